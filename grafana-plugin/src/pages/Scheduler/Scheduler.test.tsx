import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { testIds } from '../../components/testIds';
import { renderApp } from '../../test/render';
import { grant } from '../../test/runtimeState';
import { http, HttpResponse, PROXY, server } from '../../test/server';

const URL = '/a/meridian-fabric-app/scheduler';

describe('Scheduler page', () => {
  it('shows the plan, decision history with inputs, and alerts to a viewer, without controls', async () => {
    const user = userEvent.setup();
    renderApp(URL);
    const plan = await screen.findByTestId(testIds.scheduler.plan);
    expect(await within(plan).findByText(/eu-west hot: mean utilization 93%/)).toBeInTheDocument();
    expect(screen.queryByTestId(testIds.scheduler.approve)).toBeNull();
    expect(screen.queryByTestId(testIds.scheduler.controls)).toBeNull();
    expect(await screen.findByText(/controls need the Scheduler operator role/)).toBeInTheDocument();
    const decisions = screen.getByTestId(testIds.scheduler.decisions);
    expect(await within(decisions).findByText(/held: cooldown 14 min left/)).toBeInTheDocument();
    expect(within(plan).getByText('1 candidate moves held back')).toBeInTheDocument();
    await user.click(within(decisions).getAllByRole('button', { name: 'inputs' })[0]!);
    expect(within(decisions).getByText(/"floor_ms": 64.3/)).toBeInTheDocument();
    expect(within(screen.getByTestId(testIds.scheduler.alerts)).getByText('MeridianLinkDegraded')).toBeInTheDocument();
  });

  it('lets an operator approve the pending plan through the plugin route', async () => {
    grant('meridian-fabric-app.scheduler:write');
    const posted: unknown[] = [];
    server.use(
      http.post(`${PROXY}/api/v1/plan/approve`, async ({ request }) => {
        posted.push(await request.json());
        return HttpResponse.json({ approved: 'p-0042', executed: 1 });
      }),
    );
    const user = userEvent.setup();
    renderApp(URL);
    await user.click(await screen.findByTestId(testIds.scheduler.approve));
    await waitFor(() => expect(posted).toEqual([{ passId: 'p-0042' }]));
    expect(await screen.findByText('Approve plan: done')).toBeInTheDocument();
  });

  it('lets an operator pause, and reports a refusal by the scheduler', async () => {
    grant('meridian-fabric-app.scheduler:write');
    server.use(
      http.post(`${PROXY}/api/v1/pause`, () => HttpResponse.json({ message: 'viewer token' }, { status: 403 })),
    );
    const user = userEvent.setup();
    renderApp(URL);
    await user.click(await screen.findByTestId(testIds.scheduler.pause));
    expect(await screen.findByText(/Pause: the scheduler refused \(permission denied\)/)).toBeInTheDocument();
  });

  it('shows resume instead of pause when paused, and an empty plan state', async () => {
    grant('meridian-fabric-app.scheduler:write');
    server.use(
      http.get(`${PROXY}/api/v1/state`, () => HttpResponse.json({ paused: true, lastPassTs: null, lastError: null })),
      http.get(`${PROXY}/api/v1/plan`, () => HttpResponse.json({ plan: null, pending: false, expiresTs: null })),
    );
    renderApp(URL);
    expect(await screen.findByTestId(testIds.scheduler.resume)).toBeInTheDocument();
    expect(screen.queryByTestId(testIds.scheduler.pause)).toBeNull();
    expect(await screen.findByText('No plan waiting')).toBeInTheDocument();
  });

  it('tells a user whom Grafana refuses the scheduler routes', async () => {
    server.use(
      http.get(`${PROXY}/api/v1/state`, () => HttpResponse.json({ message: 'Forbidden' }, { status: 403 })),
      http.get(`${PROXY}/api/v1/plan`, () => HttpResponse.json({ message: 'Forbidden' }, { status: 403 })),
    );
    renderApp(URL);
    expect(await screen.findByText('Could not reach the scheduler API')).toBeInTheDocument();
    expect(screen.getAllByText(/Scheduler API: permission denied/).length).toBeGreaterThan(0);
  });
});
