/**
 * Migration 0008_dcgm_profiling on the real embedded store: a store that stopped at 0005, with rows in
 * it, gains the DCGM profiling and NVLink error columns on the raw table and every rollup; the old rows
 * stay as they were, rows written after it fill the new columns, and the re-created views roll them up
 * (per series, per region, minute and hour). The applied migrations' checksums stay what they were
 * before any metric carried `since`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricsAddedBy } from '@meridian/catalog';
import { openStore, renderClusterDdl, type SampleRow, type Store } from '@meridian/store';
import { migrationChecksum, migrations, migrationsTableDdl } from '../src/schema/migrations.js';
import { T0 } from './helpers.js';

const VERSION = '0008_dcgm_profiling';

/** Checksums of the migrations applied before 0008, as they were before any metric had `since`. */
const APPLIED_CHECKSUMS: Record<string, string> = {
  '0001_raw_tables': '4b4e4e2cf7b489a4',
  '0002_rollups': '4b2e96e2b387d9c6',
  '0003_aux_tables': '9f6a010fc7ec790a',
  '0004_increments_region_rollups': 'cac4986a94abeeea',
  '0005_workload_fields': 'd9aa7a5956f50450',
  '0006_gpu_attribution': 'a7b7cd7a74fea75c',
  '0007_daily_rollups': 'd12607c3533cb22c',
};

const row = (t: number, extra: Partial<SampleRow> = {}): SampleRow => ({
  ts: T0 + t * 1000,
  source: 'dcgm',
  region: 'eu',
  host: 'h1',
  gpu_uuid: 'GPU-1',
  util_gpu: 90,
  ...extra,
});

describe(`migration ${VERSION}`, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'meridian-store-0008-'));
  let store: Store;
  let applied: readonly string[] = [];
  beforeAll(async () => {
    store = await openStore({ data: dir });
    // A store as it was before 0008: every earlier migration applied and recorded, rows written.
    await store.command(migrationsTableDdl({}));
    for (const m of migrations.filter((x) => x.version < VERSION)) {
      for (const stmt of m.statements({})) await store.command(stmt);
      await store.command('INSERT INTO schema_migrations VALUES ({v:String}, {d:String}, {c:String}, now64(3))', {
        v: m.version,
        d: m.description,
        c: migrationChecksum(m),
      });
    }
    await store.command(
      `INSERT INTO gpu_samples (ts, source, region, host, gpu_uuid, util_gpu) VALUES
       (fromUnixTimestamp64Milli(${T0}), 'dcgm', 'eu', 'h1', 'GPU-1', 80)`,
    );
    applied = (await store.migrate()).applied;
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the checksums of the migrations applied before it', () => {
    for (const m of migrations.filter((x) => x.version < VERSION)) {
      expect(migrationChecksum(m), m.version).toBe(APPLIED_CHECKSUMS[m.version]);
    }
  });

  it('is applied once, to a store that stopped before it', async () => {
    // 0008, and the migrations after it.
    expect(applied[0]).toBe(VERSION);
    expect(applied).not.toContain('0007_daily_rollups');
    expect((await store.migrate()).applied).toEqual([]);
  });

  it('adds each new metric to the raw table and every rollup, counters with their increases', async () => {
    const cols = await store.query<{ table: string; name: string }>(
      'SELECT table, name FROM system.columns WHERE database = currentDatabase()',
    );
    const has = (t: string, c: string) => cols.some((x) => x.table === t && x.name === c);
    const added = metricsAddedBy('gpu', VERSION);
    expect(added.map((m) => m.name)).toContain('util_tensor_active');
    for (const m of added) {
      expect(has('gpu_samples', m.name), m.name).toBe(true);
      const rollupCol = m.kind === 'gauge' ? `${m.name}_avg` : `${m.name}_max`;
      for (const t of ['gpu_1m', 'gpu_1h', 'gpu_region_1m', 'gpu_region_1h']) {
        expect(has(t, rollupCol), `${t}.${rollupCol}`).toBe(true);
        if (m.kind === 'counter') expect(has(t, `${m.name}_inc`), `${t}.${m.name}_inc`).toBe(true);
      }
      if (m.kind === 'counter') expect(has('gpu_samples', `${m.name}_inc`)).toBe(true);
    }
  });

  it('stores the profiling ratios with ZSTD alone and re-codecs util_sm_active and energy_total', async () => {
    const codecs = await store.query<{ name: string; c: string }>(
      `SELECT name, compression_codec AS c FROM system.columns
       WHERE database = currentDatabase() AND table = 'gpu_samples' AND name IN ('util_sm_active', 'util_tensor_active', 'energy_total', 'util_gpu')
       ORDER BY name`,
    );
    expect(codecs).toEqual([
      { name: 'energy_total', c: 'CODEC(Delta(8), ZSTD(1))' },
      { name: 'util_gpu', c: 'CODEC(Gorilla(4), ZSTD(1))' },
      { name: 'util_sm_active', c: 'CODEC(ZSTD(1))' },
      { name: 'util_tensor_active', c: 'CODEC(ZSTD(1))' },
    ]);
  });

  it('keeps the old row, fills the new columns going forward, and rolls them up', async () => {
    const w = await store
      .writer('gpu')
      .write([
        row(60, { util_sm_active: 40, util_tensor_active: 25, nvlink_replay_errors: 3 }),
        row(70, { util_sm_active: 60, util_tensor_active: 35, nvlink_replay_errors: 7 }),
      ]);
    expect(w.written).toBe(2);
    const raw = await store.query<{ util_gpu: number; util_tensor_active: number | null }>(
      'SELECT util_gpu, util_tensor_active FROM gpu_samples ORDER BY ts',
    );
    expect(raw).toEqual([
      { util_gpu: 80, util_tensor_active: null },
      { util_gpu: 90, util_tensor_active: 25 },
      { util_gpu: 90, util_tensor_active: 35 },
    ]);
    for (const t of ['gpu_1m', 'gpu_1h', 'gpu_region_1m', 'gpu_region_1h']) {
      const r = await store.query<{ tensor: number; replay: string; inc: string; util: number }>(
        `SELECT avgMerge(util_tensor_active_avg) AS tensor, toString(max(nvlink_replay_errors_max)) AS replay,
                toString(sum(nvlink_replay_errors_inc)) AS inc, avgMerge(util_gpu_avg) AS util
         FROM ${t} WHERE ts >= toDateTime(${(T0 + 60_000) / 1000}, 'UTC') OR ${t.includes('1h') ? '1' : '0'}`,
      );
      // The hour bucket holds the pre-migration row too: util over 80, 90, 90; tensor over the two new.
      expect(r[0]?.tensor, t).toBe(30);
      expect(r[0]?.replay, t).toBe('7');
      expect(r[0]?.inc, t).toBe('4');
      expect(r[0]?.util, t).toBeCloseTo(t.includes('1h') ? (80 + 90 + 90) / 3 : 90, 6);
    }
  });

  it('renders ON CLUSTER ALTERs and re-created views for a cluster, before the global tables', () => {
    const ddl = renderClusterDdl('fabric');
    expect(ddl).toContain(`-- migration ${VERSION}`);
    expect(ddl).toContain("ALTER TABLE gpu_samples ON CLUSTER 'fabric' ADD COLUMN IF NOT EXISTS util_sm_occupancy");
    expect(ddl).toContain("DROP VIEW IF EXISTS gpu_region_1h_mv ON CLUSTER 'fabric'");
    expect(ddl.indexOf(`-- migration ${VERSION}`)).toBeLessThan(ddl.indexOf('CREATE OR REPLACE TABLE gpu_1m_global'));
  });
});
