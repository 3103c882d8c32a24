/**
 * Migration 0005_workload_fields on the real embedded store: a store that stopped at 0003 (with a
 * workload row in it) gains the planner's workload columns, the old row reads with their defaults,
 * and a row that states them reads them back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, renderClusterDdl, type Store, type TableRows } from '@meridian/store';
import { migrationChecksum, migrations, migrationsTableDdl } from '../src/schema/migrations.js';
import { T0 } from './helpers.js';

const VERSION = '0005_workload_fields';
const NEW_COLUMNS: Record<string, string> = {
  coupled_with: 'Array(String)',
  replica_gpus: 'UInt32',
  gpu_model: 'LowCardinality(String)',
  min_gpu_memory: 'UInt64',
  last_checkpoint_ts: "Nullable(DateTime64(3, 'UTC'))",
  low_comm: 'UInt8',
  latency_budget_ms: 'Float32',
};

const row = (id: string, over: Partial<TableRows['workloads']> = {}): TableRows['workloads'] => ({
  ts: T0,
  source: 'sim',
  workload_id: id,
  kind: 'training',
  comm_class: 'pipeline',
  gpus: 8,
  region: 'a',
  checkpoint_bytes: 1e10,
  state: 'running',
  ...over,
});

describe(`migration ${VERSION}`, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'meridian-store-0005-'));
  let store: Store;
  let applied: readonly string[] = [];
  beforeAll(async () => {
    store = await openStore({ data: dir });
    // A store as it was before 0005: the first three migrations applied and recorded, one row written.
    await store.command(migrationsTableDdl({}));
    for (const m of migrations.slice(0, 3)) {
      for (const stmt of m.statements({})) await store.command(stmt);
      await store.command('INSERT INTO schema_migrations VALUES ({v:String}, {d:String}, {c:String}, now64(3))', {
        v: m.version,
        d: m.description,
        c: migrationChecksum(m),
      });
    }
    await store.insert('workloads', [row('old')]);
    applied = (await store.migrate()).applied;
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is applied once, after the others, to a store that stopped at 0003', async () => {
    const order = migrations.map((m) => m.version);
    expect(order.indexOf(VERSION)).toBeGreaterThan(order.indexOf('0004_increments_region_rollups'));
    expect(applied).toContain(VERSION);
    expect(applied).not.toContain('0003_aux_tables');
    expect((await store.migrate()).applied).toEqual([]);
  });

  it('adds every workload column the planner reads, with its type', async () => {
    const cols = await store.query<{ name: string; type: string }>(
      "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'workloads'",
    );
    const byName = new Map(cols.map((c) => [c.name, c.type]));
    for (const [name, type] of Object.entries(NEW_COLUMNS)) expect(byName.get(name), name).toBe(type);
  });

  it('reads a row written before it with the defaults, and a row that states the fields back', async () => {
    await store.insert('workloads', [
      row('new', {
        coupled_with: ['new-s1'],
        replica_gpus: 2,
        gpu_model: 'H100',
        min_gpu_memory: 80e9,
        last_checkpoint_ts: T0 - 600_000,
        low_comm: 1,
        latency_budget_ms: 25,
      }),
    ]);
    const rows = await store.query<Record<string, unknown>>(
      `SELECT workload_id, coupled_with, replica_gpus, gpu_model, min_gpu_memory,
              toUnixTimestamp64Milli(last_checkpoint_ts) AS last_checkpoint_ms, low_comm, latency_budget_ms
       FROM workloads FINAL ORDER BY workload_id`,
    );
    expect(
      rows.map((r) => ({
        ...r,
        min_gpu_memory: Number(r.min_gpu_memory),
        last_checkpoint_ms: r.last_checkpoint_ms === null ? null : Number(r.last_checkpoint_ms),
      })),
    ).toEqual([
      {
        workload_id: 'new',
        coupled_with: ['new-s1'],
        replica_gpus: 2,
        gpu_model: 'H100',
        min_gpu_memory: 80e9,
        last_checkpoint_ms: T0 - 600_000,
        low_comm: 1,
        latency_budget_ms: 25,
      },
      {
        workload_id: 'old',
        coupled_with: [],
        replica_gpus: 0,
        gpu_model: '',
        min_gpu_memory: 0,
        last_checkpoint_ms: null,
        low_comm: 0,
        latency_budget_ms: 0,
      },
    ]);
  });

  it('renders ON CLUSTER for a cluster, as the other DDL does', () => {
    const ddl = renderClusterDdl('fabric');
    expect(ddl).toContain(`-- migration ${VERSION}`);
    expect(ddl).toContain(
      "ALTER TABLE workloads ON CLUSTER 'fabric' ADD COLUMN IF NOT EXISTS coupled_with Array(String)",
    );
    // The global table is created after every migration, AS the local one, so it has the columns too.
    expect(ddl.indexOf(`-- migration ${VERSION}`)).toBeLessThan(
      ddl.indexOf('CREATE OR REPLACE TABLE workloads_global'),
    );
  });
});
