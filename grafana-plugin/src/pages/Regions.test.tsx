import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { testIds } from '../components/testIds';
import { renderApp } from '../test/render';
import { dsAnswer, http, HttpResponse, seenSql, server } from '../test/server';
import { defaultTables } from '../test/server';

describe('Regions → hosts → GPUs drill-down', () => {
  it('clicks from the region list to a region, a host and a GPU', async () => {
    const user = userEvent.setup();
    renderApp('/a/meridian-fabric-app/regions?from=now-6h&to=now');
    const row = await screen.findByTestId(testIds.regions.row('eu-west'));
    expect(row).toHaveTextContent('1,024');
    expect(row).toHaveTextContent('degraded');
    await user.click(within(row).getByRole('link', { name: 'eu-west' }));

    const host = await screen.findByTestId(testIds.regions.hostRow('fra-gpu-001'));
    expect(seenSql.hosts).toContain("region = 'eu-west'");
    expect(await screen.findByTestId(testIds.chart('util_gpu'))).toHaveTextContent('95.0%');
    expect(seenSql.util_gpu).toContain('$__timeInterval(ts)');
    expect(screen.getByTestId(testIds.throttleReasons)).toHaveTextContent(
      'Clock throttle reasons in this range: SW power cap, SW thermal slowdown',
    );
    expect(seenSql.throttle_reasons).toContain('groupBitOr(throttle_reasons)');
    await user.click(within(host).getByRole('link', { name: 'fra-gpu-001' }));

    const table = await screen.findByTestId(testIds.gpus.table);
    expect(seenSql.gpus).toContain("host = 'fra-gpu-001'");
    // GPU 0 is in MIG mode: its two instances sit right under it.
    const parent = within(table).getByTestId(testIds.gpus.row('GPU-00000000-aaaa-bbbb-cccc-000000000000'));
    const mig = within(table).getByTestId(testIds.gpus.row('GPU-00000000-aaaa-bbbb-cccc-000000000000', '1/0'));
    expect(mig).toHaveTextContent('MIG 1/0 (3g.40gb)');
    expect(parent.nextElementSibling).toBe(mig);

    await user.click(within(parent).getByRole('link', { name: 'GPU-00000000-aaaa-bbbb-cccc-000000000000' }));
    expect(await screen.findByTestId(testIds.gpus.detail)).toHaveTextContent(
      'NVIDIA H100 80GB HBM3 on fra-gpu-001 in eu-west',
    );
    expect(seenSql.gpus).toContain("gpu_uuid = 'GPU-00000000-aaaa-bbbb-cccc-000000000000'");
  });

  it('says what to check when a region has no hosts in range', async () => {
    server.use(dsAnswer({ ...defaultTables, hosts: [] }));
    renderApp('/a/meridian-fabric-app/regions/eu-west');
    expect(await screen.findByText('No hosts reported in eu-west in this range')).toBeInTheDocument();
  });

  it('shows permission denied on the host list', async () => {
    server.use(
      http.post('http://grafana.test/api/ds/query', () => HttpResponse.json({ message: 'Forbidden' }, { status: 403 })),
    );
    renderApp('/a/meridian-fabric-app/regions/eu-west');
    expect((await screen.findAllByText(/permission denied/)).length).toBeGreaterThan(0);
  });

  it('refuses a region name that is not a label value instead of building SQL from it', async () => {
    renderApp("/a/meridian-fabric-app/regions/x'%20OR%201=1--");
    expect((await screen.findAllByText(/region: "x' OR 1=1--" is not a valid label value/)).length).toBeGreaterThan(0);
  });
});
