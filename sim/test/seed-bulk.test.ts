/**
 * The bulk seed bench:dashboards uses: an hourly chunk and its region fold land on the current
 * schema (every catalog metric, including those later migrations added) and the region rows sum the
 * fleet's GPUs. This broke once unnoticed when 0008 widened the tables and only the general bench
 * path ran the fold.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkInsertSql, bulkRegionInsertSql, type Fleet } from '@meridian/sim';
import { openStore, type Store } from '@meridian/store';

const dir = mkdtempSync(join(tmpdir(), 'sim-seed-bulk-'));
let store: Store;

beforeAll(async () => {
  store = await openStore({ data: dir });
  await store.migrate();
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const fleet: Fleet = {
  regions: ['east', 'west'],
  hostsPerRegion: 2,
  gpusPerHost: 4,
  links: [{ from: 'east', to: 'west', km: 1000, gbps: 400, eqMs: 0.5 }],
};

describe('the bulk seed on the current schema', () => {
  it('writes an hourly GPU chunk and folds it per region, one row per region-hour with every GPU in it', async () => {
    const nowS = 1_800_000_000;
    const chunk = {
      label: 'gpu 1h',
      entity: 'gpu' as const,
      res: '1h' as const,
      startS: nowS - 3 * 3600,
      stepS: 3600,
      steps: 3,
    };
    await store.command(bulkInsertSql(chunk, fleet, nowS - 86400));
    await store.command(bulkRegionInsertSql(chunk, fleet, nowS - 86400));
    const [series] = await store.query<{ rows: number; gpus: number }>(
      'SELECT count() AS rows, uniqExact(gpu_uuid) AS gpus FROM gpu_1h',
    );
    expect(series).toEqual({ rows: 48, gpus: 16 });
    const regions = await store.query<{ region: string; hours: number; samples: string }>(
      'SELECT region, count() AS hours, sum(samples) AS samples FROM gpu_region_1h GROUP BY region ORDER BY region',
    );
    // Each region: 8 GPUs × 3 hours of one-second samples.
    expect(regions.map((r) => [r.region, r.hours, Number(r.samples)])).toEqual([
      ['east', 3, 8 * 3 * 3600],
      ['west', 3, 8 * 3 * 3600],
    ]);
  });
});
