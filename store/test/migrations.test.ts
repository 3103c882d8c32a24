import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTITIES, metricsOf, rawTable, rollupTable } from '@meridian/catalog';
import { migrations, type Store } from '@meridian/store';
import { tempStore } from './helpers.js';

describe('migrations', () => {
  let store: Store;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ store, dispose } = await tempStore());
  });
  afterAll(() => dispose());

  const schemaSnapshot = () =>
    store.query<{ name: string; create_table_query: string }>(
      'SELECT name, create_table_query FROM system.tables WHERE database = currentDatabase() ORDER BY name',
    );

  it('applies a second time with no error and no change', async () => {
    const before = await schemaSnapshot();
    const again = await store.migrate();
    expect(again.applied).toEqual([]);
    expect(again.skipped).toEqual(migrations.map((m) => m.version));
    expect(again.skipped.slice(0, 3)).toEqual(['0001_raw_tables', '0002_rollups', '0003_aux_tables']);
    expect(await schemaSnapshot()).toEqual(before);
    const recorded = await store.query<{ c: number }>('SELECT count() AS c FROM schema_migrations FINAL');
    expect(Number(recorded[0]?.c)).toBe(migrations.length);
  });

  it('creates every table, with one column per catalog metric', async () => {
    const tables = new Set((await schemaSnapshot()).map((t) => t.name));
    for (const e of ENTITIES) {
      for (const t of [rawTable(e), rollupTable(e, '1m'), rollupTable(e, '1h'), `${rollupTable(e, '1m')}_mv`]) {
        expect(tables.has(t), t).toBe(true);
      }
      const cols = await store.query<{ name: string; type: string }>(
        'SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = {t:String}',
        { t: rawTable(e) },
      );
      const byName = new Map(cols.map((c) => [c.name, c.type]));
      for (const m of metricsOf(e)) expect(byName.get(m.name), m.name).toBe(`Nullable(${m.type})`);
    }
    for (const t of ['inventory', 'topology', 'workloads', 'scheduler_decisions', 'extra_metrics']) {
      expect(tables.has(t), t).toBe(true);
    }
  });

  it('puts series first and time last in the raw sort key, with day partitions, TTL and dedup window', async () => {
    const [gpu] = await store.query<{ sorting_key: string; partition_key: string; create_table_query: string }>(
      "SELECT sorting_key, partition_key, create_table_query FROM system.tables WHERE database = currentDatabase() AND name = 'gpu_samples'",
    );
    expect(gpu?.sorting_key).toBe('region, host, gpu_uuid, mig_instance, ts');
    expect(gpu?.partition_key).toBe('toDate(ts)');
    expect(gpu?.create_table_query).toContain('ttl_only_drop_parts = 1');
    expect(gpu?.create_table_query).toContain('non_replicated_deduplication_window = 1000');
    expect(gpu?.create_table_query).toMatch(/TTL toDateTime\(ts\) \+ toIntervalDay\(14\)/);
  });

  it('refuses to run when an applied migration has changed', async () => {
    await store.command("INSERT INTO schema_migrations VALUES ('0002_rollups', 'tampered', 'deadbeef', now64(3) + 10)");
    await expect(store.migrate()).rejects.toThrow(/migration 0002_rollups was applied with checksum deadbeef/);
  });
});
