/**
 * Store rows that make a region run hot or cool for the Slurm end-to-end tests: GPU samples (the
 * telemetry a collector would send), and the declared regions and link between them. The figures
 * are written for the test; the jobs and clusters they are read beside are real Slurm.
 */
import type { SampleRow, Store } from '@meridian/store';

export async function declareFabric(store: Store, now: number, gpusPerRegion: Record<string, number>): Promise<void> {
  const regions = Object.keys(gpusPerRegion);
  await store.insert(
    'topology',
    regions.map((r) => ({
      updated: now,
      source: 'test',
      kind: 'region' as const,
      id: r,
      region: r,
      gpus: gpusPerRegion[r],
    })),
  );
  const [a, b] = regions;
  if (a && b)
    await store.insert('topology', [
      {
        updated: now,
        source: 'test',
        kind: 'link',
        id: `${a}->${b}`,
        region: a,
        region_to: b,
        route_km: 1000,
        capacity_gbps: 100,
      },
    ]);
}

/** One sample per GPU at `now` (util % per region), and the link both ways. */
export async function heat(store: Store, now: number, util: Record<string, number>, gpus = 16): Promise<void> {
  const rows: SampleRow[] = [];
  for (const [region, u] of Object.entries(util))
    for (let i = 0; i < gpus; i++)
      rows.push({
        ts: now,
        source: 'test',
        region,
        host: `${region}-h${Math.floor(i / 8)}`,
        gpu_uuid: `GPU-${region}-${i}`,
        model: 'h100',
        util_gpu: u,
        power_draw: 300,
        power_limit: 700,
        temp_gpu: 60,
        throttled: 0,
        xid_count: 0,
        ecc_dbe_volatile: 0,
      });
  const r = await store.writer('gpu').write(rows);
  if (r.rejected.length > 0) throw new Error(`heat: rows rejected: ${JSON.stringify(r.rejected[0])}`);
  const names = Object.keys(util);
  const links: SampleRow[] = [];
  for (const from of names)
    for (const to of names)
      if (from !== to)
        links.push({
          ts: now,
          source: 'test',
          link_id: `${from}->${to}`,
          region_from: from,
          region_to: to,
          host: `${from}-h0`,
          lane: 0,
          rtt_avg: 10.5,
          loss_pct: 0,
          jitter: 0.1,
          throughput: 1e9,
          capacity: 12.5e9,
        });
  const l = await store.writer('link').write(links);
  if (l.rejected.length > 0) throw new Error(`heat: link rows rejected: ${JSON.stringify(l.rejected[0])}`);
}
