import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTITIES, REGION_ENTITIES, rollupTable } from '@meridian/catalog';
import type { Store } from '@meridian/store';
import { tempStore, T0 } from './helpers.js';

/** The active parts of one table, by format. */
async function partTypes(store: Store, table: string): Promise<string[]> {
  const rows = await store.query<{ part_type: string }>(
    'SELECT part_type FROM system.parts WHERE database = currentDatabase() AND table = {t:String} AND active ORDER BY name',
    { t: table },
  );
  return rows.map((r) => r.part_type);
}

describe('rollup part format (migration 0012)', () => {
  let store: Store;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ store, dispose } = await tempStore());
  });
  afterAll(() => dispose());

  it('sets the compact threshold on every rollup table and leaves the raw tables at the default', async () => {
    const tables = await store.query<{ name: string; create_table_query: string }>(
      "SELECT name, create_table_query FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree'",
    );
    const rollups = tables.filter((t) => /_(1m|1h|1d)$/.test(t.name));
    // Every entity per series and every region entity per region, at three tiers each.
    expect(rollups).toHaveLength((ENTITIES.length + REGION_ENTITIES.length) * 3);
    const settings = (t: { create_table_query: string }) => t.create_table_query.split(' SETTINGS ')[1];
    for (const t of rollups) expect(settings(t), t.name).toContain('min_bytes_for_wide_part = 67108864');
    for (const t of tables.filter((t) => t.name.endsWith('_samples')))
      expect(settings(t), t.name).not.toContain('min_bytes_for_wide_part');
  });

  it('writes the minute rollup of a large batch Compact, where the engine default would write it Wide', async () => {
    // One minute of 12,288 GPUs: its gpu_1m part is over the default 10 MiB and under 64 MiB.
    await store.command(
      `INSERT INTO gpu_samples (ts, source, region, host, gpu_uuid, util_gpu, memory_used, power_draw, temp_gpu, clock_sm, throttle_reasons)
       SELECT fromUnixTimestamp64Milli({t0:Int64}), 'test', 'r', concat('h', toString(intDiv(number, 8))), concat('g', toString(number)),
              number % 100, number * 4096, 300 + number % 400, 40 + number % 50, 1980, 0
       FROM numbers(12288)`,
      { t0: T0 },
    );
    const m1 = rollupTable('gpu', '1m');
    expect(await partTypes(store, m1)).toEqual(['Compact']);
    // The same rows into a copy at the engine's default threshold: Wide, so the size is past it.
    await store.command(`CREATE TABLE m1_default AS ${m1}`);
    await store.command('ALTER TABLE m1_default MODIFY SETTING min_bytes_for_wide_part = 10485760');
    await store.command(`INSERT INTO m1_default SELECT * FROM ${m1}`);
    expect(await partTypes(store, 'm1_default')).toEqual(['Wide']);
    const [row] = await store.query<{ n: number; gpus: number }>(
      `SELECT sum(samples) AS n, uniqExact(gpu_uuid) AS gpus FROM ${m1}`,
    );
    expect(Number(row?.n)).toBe(12288);
    expect(Number(row?.gpus)).toBe(12288);
  });
});
