import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { testIds } from '../components/testIds';
import { renderApp } from '../test/render';
import { dsAnswer, http, HttpResponse, PROXY, seenSql, server } from '../test/server';

const URL = '/a/meridian-fabric-app/overview?from=now-6h&to=now';

describe('Overview page', () => {
  it('draws every region with its GPU count and every link, coloured by health', async () => {
    renderApp(URL);
    const map = await screen.findByTestId(testIds.overview.map);
    const euWest = within(map).getByTestId(testIds.overview.region('eu-west'));
    expect(euWest).toHaveTextContent('eu-west');
    expect(euWest).toHaveTextContent('1024 GPUs');
    expect(within(map).getByTestId(testIds.overview.region('us-east'))).toHaveTextContent('2048 GPUs');
    expect(within(map).getByTestId(testIds.overview.link('eu-west->us-east'))).toHaveTextContent('loss 1.70%');
    // 512 + 1024 + 2048 GPUs across the three regions.
    expect(screen.getByText('3,584')).toBeInTheDocument();
    // A 6 h range reads the raw tables with the ClickHouse macros.
    expect(seenSql.regions).toContain('FROM gpu_samples WHERE $__timeFilter(ts)');
  });

  it('lists active alerts and the latest decisions with their reasons and links', async () => {
    renderApp(URL);
    const alerts = await screen.findByTestId(testIds.overview.alerts);
    expect(await within(alerts).findByText('MeridianLinkDegraded')).toBeInTheDocument();
    const decisions = screen.getByTestId(testIds.overview.decisions);
    expect(await within(decisions).findByText(/moved pipeline stage away from the degraded link/)).toBeInTheDocument();
    const linkLink = within(decisions).getAllByRole('link', { name: 'link' })[0]!;
    expect(linkLink.getAttribute('href')).toBe(
      '/a/meridian-fabric-app/links?from=now-6h&to=now&link=eu-west-%3Eeu-north',
    );
  });

  it('shows the Meridian alert rules firing in Grafana beside the scheduler’s, with NVIDIA’s action for an Xid', async () => {
    renderApp(URL);
    const box = await screen.findByTestId(testIds.overview.grafanaAlerts);
    expect(await within(box).findByText('GPU Xid error')).toBeInTheDocument();
    expect(box).toHaveTextContent('Xid 79 on eu-west-h03 (GPU-3): GPU has fallen off the bus');
    expect(box).toHaveTextContent('NVIDIA: RESTART_BM: drain the node and reboot it');
    // Pending is not firing, and another app's rules are not Meridian's.
    expect(box).not.toHaveTextContent('Packet loss on a long-haul link');
    expect(box).not.toHaveTextContent('DiskFull');
    expect(within(screen.getByTestId(testIds.overview.alerts)).getByText('MeridianLinkDegraded')).toBeInTheDocument();
  });

  it('says so when the user may not read Grafana’s alert rules, and still shows the rest', async () => {
    server.use(
      http.get('http://grafana.test/api/prometheus/grafana/api/v1/alerts', () =>
        HttpResponse.json({ message: 'You do not have permission' }, { status: 403 }),
      ),
    );
    renderApp(URL);
    const box = await screen.findByTestId(testIds.overview.grafanaAlerts);
    expect(await within(box).findByText(/Grafana alerting: permission denied/)).toBeInTheDocument();
    expect(await screen.findByTestId(testIds.overview.map)).toBeInTheDocument();
  });

  it('shows a loading state first', () => {
    renderApp(URL);
    expect(screen.getAllByTestId(testIds.page.loading).length).toBeGreaterThan(0);
  });

  it('shows an empty state that says what to check when no region reported', async () => {
    server.use(dsAnswer({ regions: [], links: [], topology: [] }));
    renderApp(URL);
    const empty = await screen.findByText('No regions reported in this range');
    expect(empty.closest(`[data-testid="${testIds.page.empty}"]`)).toHaveTextContent('Widen the time range');
  });

  it('shows the data source error and the next step when ClickHouse fails', async () => {
    server.use(
      http.post('http://grafana.test/api/ds/query', () =>
        HttpResponse.json(
          {
            results: {
              regions: {
                status: 500,
                error: "Code: 60. DB::Exception: Unknown table expression identifier 'gpu_samples'",
              },
            },
          },
          { status: 500 },
        ),
      ),
    );
    renderApp(URL);
    const err = await screen.findByText(/Unknown table expression identifier/);
    expect(err.closest(`[data-testid="${testIds.page.error}"]`)).toHaveTextContent('meridian migrate');
  });

  it('tells a user without query permission whom to ask', async () => {
    server.use(
      http.post('http://grafana.test/api/ds/query', () =>
        HttpResponse.json({ message: 'access denied to data source' }, { status: 403 }),
      ),
    );
    renderApp(URL);
    expect(await screen.findByText(/permission denied \(access denied to data source\)/)).toBeInTheDocument();
    expect(screen.getByText(/Ask a Grafana admin for Query permission/)).toBeInTheDocument();
  });

  it('asks for configuration when no data source is picked', async () => {
    renderApp(URL, { schedulerUrl: 'http://scheduler.test:8080' });
    expect(await screen.findByText(/No ClickHouse data source is selected/)).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /Open configuration/ })).toHaveAttribute(
      'href',
      '/plugins/meridian-fabric-app',
    );
  });

  it('keeps the telemetry when only the scheduler is down', async () => {
    server.use(
      http.get(`${PROXY}/api/v1/alerts`, () =>
        HttpResponse.json({ message: 'dial tcp: connection refused' }, { status: 502 }),
      ),
    );
    renderApp(URL);
    expect(await screen.findByTestId(testIds.overview.map)).toBeInTheDocument();
    expect(await screen.findByText(/Scheduler API: cannot be reached/)).toBeInTheDocument();
  });
});
