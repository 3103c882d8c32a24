import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SampleRow, Store } from '@meridian/store';
import { T0, tempStore } from './helpers.js';

/** Rollups must equal the same aggregates computed from the raw rows, bucket by bucket. */
describe('rollups', () => {
  let store: Store;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ store, dispose } = await tempStore());
    // 3 GPUs x 2.5 hours at 5 s, in several batches so the views see many blocks; some readings absent.
    const rows: SampleRow[] = [];
    for (let t = 0; t < 9000; t += 5) {
      for (let g = 0; g < 3; g++) {
        const i = t / 5;
        rows.push({
          ts: T0 + t * 1000,
          source: 'sim',
          region: g === 2 ? 'us' : 'eu',
          host: `h${g}`,
          gpu_uuid: `GPU-${g}`,
          util_gpu: i % 17 === 0 ? null : (i * (g + 3)) % 101,
          power_draw: 80 + ((i * 13 + g) % 300) + 0.25,
          ecc_sbe_volatile: Math.floor(i / 40) + g,
          throttle_reasons: i % 50 === 0 ? 1 << g : 0,
        });
      }
    }
    for (let i = 0; i < rows.length; i += 1000) await store.writer('gpu').write(rows.slice(i, i + 1000));
    // Merges must not change any figure: force them.
    await store.command('OPTIMIZE TABLE gpu_1m FINAL');
    await store.command('OPTIMIZE TABLE gpu_1h FINAL');
  });
  afterAll(() => dispose());

  const cases = [
    { table: 'gpu_1m', bucket: 'toStartOfMinute' },
    { table: 'gpu_1h', bucket: 'toStartOfHour' },
  ] as const;

  for (const { table, bucket } of cases) {
    it(`${table} equals the raw aggregates`, async () => {
      const fromRollup = await store.query(
        `SELECT gpu_uuid, toUnixTimestamp(ts) AS t, sum(samples) AS n, round(avgMerge(util_gpu_avg), 6) AS avg_util,
                min(util_gpu_min) AS min_util, max(util_gpu_max) AS max_util, round(avgMerge(power_draw_avg), 4) AS avg_power,
                max(ecc_sbe_volatile_max) AS ecc, groupBitOr(throttle_reasons_any) AS thr
         FROM ${table} GROUP BY gpu_uuid, ts ORDER BY gpu_uuid, t`,
      );
      const fromRaw = await store.query(
        `SELECT gpu_uuid, toUnixTimestamp(${bucket}(ts)) AS t, count() AS n, round(avg(util_gpu), 6) AS avg_util,
                min(util_gpu) AS min_util, max(util_gpu) AS max_util, round(avg(power_draw), 4) AS avg_power,
                max(ecc_sbe_volatile) AS ecc, groupBitOr(throttle_reasons) AS thr
         FROM gpu_samples GROUP BY gpu_uuid, t ORDER BY gpu_uuid, t`,
      );
      expect(fromRollup.length).toBe(table === 'gpu_1m' ? 3 * 150 : 3 * 3);
      expect(fromRollup).toEqual(fromRaw);
    });
  }

  it('keeps descriptive labels and the source in the rollup', async () => {
    const rows = await store.query('SELECT DISTINCT region, gpu_uuid, source FROM gpu_1h ORDER BY gpu_uuid');
    expect(rows).toEqual([
      { region: 'eu', gpu_uuid: 'GPU-0', source: 'sim' },
      { region: 'eu', gpu_uuid: 'GPU-1', source: 'sim' },
      { region: 'us', gpu_uuid: 'GPU-2', source: 'sim' },
    ]);
  });
});
