import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { renderApp } from '../../test/render';
import { grant } from '../../test/runtimeState';
import { http, HttpResponse, PROXY, server } from '../../test/server';
import { whatIfBody, whatIfTestIds } from './WhatIfPanel';

const URL = '/a/meridian-fabric-app/scheduler';
const outcome = (slo: number, moves: number) => ({
  sloMinutes: slo,
  queueSeconds: 0,
  queued: 0,
  moves,
  bytesMoved: 2 ** 31,
});

describe('What-if beside approve', () => {
  it('is not offered to a viewer', async () => {
    renderApp(URL);
    await screen.findByText(/controls need the Scheduler operator role/);
    expect(screen.queryByTestId(whatIfTestIds.panel)).toBeNull();
  });

  it('projects a region failure through the plugin route and shows it against doing nothing', async () => {
    grant('meridian-fabric-app.scheduler:write');
    const posted: unknown[] = [];
    server.use(
      http.post(`${PROXY}/api/v1/whatif`, async ({ request }) => {
        posted.push(await request.json());
        return HttpResponse.json({
          minutes: 30,
          event: { type: 'region_failure', region: 'eu-west' },
          planned: [{ workloadId: 'train-7', from: 'eu-west', to: 'eu-north', gpus: 8 }],
          withPlan: outcome(1.5, 1),
          doNothing: outcome(12.25, 0),
          notes: ['a simulation on the twin'],
        });
      }),
    );
    const user = userEvent.setup();
    renderApp(URL);
    const panel = await screen.findByTestId(whatIfTestIds.panel);
    await user.click(within(panel).getByLabelText('Region failure'));
    await user.type(within(panel).getByRole('textbox'), 'eu-west');
    await user.click(within(panel).getByTestId(whatIfTestIds.run));
    await waitFor(() =>
      expect(posted).toEqual([{ minutes: 30, event: { type: 'region_failure', region: 'eu-west' } }]),
    );
    const result = await screen.findByTestId(whatIfTestIds.result);
    expect(within(result).getByText('12.3')).toBeInTheDocument();
    expect(within(result).getByText('1.5')).toBeInTheDocument();
    expect(within(result).getByText(/train-7 eu-west→eu-north/)).toBeInTheDocument();
  });

  it('names what is missing before asking', () => {
    expect(whatIfBody('plan', '', 30)).toEqual({ body: { minutes: 30, usePendingPlan: true } });
    expect(whatIfBody('cooling_loss', ' ', 30)).toEqual({ error: 'Region: name the region' });
    expect(whatIfBody('link_cut', '', 30)).toEqual({ error: 'Link: write it as from->to' });
    expect(whatIfBody('plan', '', 0)).toEqual({ error: 'Minutes: a whole number from 1 to 240' });
  });
});
