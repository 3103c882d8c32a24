import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type SampleRow, type Store } from '@meridian/store';
import {
  ALL,
  buildDashboards,
  calculateIntervalMs,
  expandMacros,
  panelQueries,
  type VariableValue,
} from '@meridian/dashboards';

/**
 * The values fleet-wide panels compute from the region rollups must equal what the raw rows say.
 * Four whole GPUs in two regions and one MIG instance (which must not count), every 10 s for two
 * hours, with error counters that step and one that resets; written through the store's writer.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'meridian-region-values-'));
let store: Store;
const NOW = Math.floor(Date.now() / 60_000) * 60_000;
const START = NOW - 2 * 3_600_000;
const GPUS = [
  { region: 'north', host: 'n0', gpu_uuid: 'GPU-n0', mig_instance: '' },
  { region: 'north', host: 'n0', gpu_uuid: 'GPU-n1', mig_instance: '' },
  { region: 'south', host: 's0', gpu_uuid: 'GPU-s0', mig_instance: '' },
  { region: 'south', host: 's0', gpu_uuid: 'GPU-s1', mig_instance: '' },
  { region: 'south', host: 's0', gpu_uuid: 'GPU-s1', mig_instance: 'MIG-x' },
];
/** Uncorrectable ECC and XID counts of GPU g at second t (MIG rows carry big numbers that must not count). */
const dbe = (g: number, t: number) => (g === 4 ? 1e6 + t : Math.floor(t / (600 * (g + 1))));
const xid = (g: number, t: number) =>
  g === 4 ? 1e6 + t : g === 2 && t >= 3600 ? Math.floor((t - 3600) / 900) : 3 + Math.floor(t / 1200);

/** The increase by the writer's rule (a drop is a reset, counted from zero), from the samples alone. */
function increase(f: (g: number, t: number) => number, g: number): number {
  let sum = 0;
  for (let t = 10; t < 7200; t += 10) {
    const p = f(g, t - 10);
    const c = f(g, t);
    sum += c >= p ? c - p : c;
  }
  return sum;
}

beforeAll(async () => {
  store = await openStore({ data: dir });
  await store.migrate();
  for (let t0 = 0; t0 < 7200; t0 += 600) {
    const rows: SampleRow[] = [];
    for (let t = t0; t < t0 + 600; t += 10)
      GPUS.forEach((g, i) =>
        rows.push({
          ts: START + t * 1000,
          source: 'sim',
          ...g,
          power_draw: 100 * (i + 1),
          ecc_dbe_volatile: dbe(i, t),
          xid_count: xid(i, t),
        }),
      );
    await store.writer('gpu').write(rows);
  }
}, 120_000);

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const fleet = buildDashboards().find((d) => d.key === 'fleet')!;
const gpuBoard = buildDashboards().find((d) => d.key === 'gpu')!;

async function panel(
  board: typeof fleet,
  title: string,
  vars: Record<string, VariableValue> = { region: ALL, host: ALL, gpu: ALL },
  // The GPU board's workload variables (gpu_assignments) stay at All here.
  workloadVars: Record<string, VariableValue> = { namespace: ALL, workload: ALL },
): Promise<{ sql: string; rows: Record<string, unknown>[] }> {
  const q = panelQueries(board.json).find((p) => p.panelTitle === title);
  if (!q?.rawSql) throw new Error(`no panel "${title}"`);
  const from = NOW - 86_400_000;
  const sql = expandMacros(q.rawSql, {
    from,
    to: NOW,
    intervalMs: calculateIntervalMs(from, NOW, q.maxDataPoints ?? 1000),
    vars: { ...workloadVars, ...vars },
  });
  return { sql, rows: await store.query<Record<string, unknown>>(sql) };
}

const total = (rows: Record<string, unknown>[], col: string) => rows.reduce((a, r) => a + Number(r[col] ?? 0), 0);

describe('fleet panels over 24 h, answered by the region rollups', () => {
  it('read the region rollup, not one row per GPU', async () => {
    for (const title of ['Error heat', 'GPUs reporting', 'Utilization by region', 'Regions']) {
      const { sql } = await panel(fleet, title);
      // Fleet-wide, the minute and hour branches exist only on the region rollups.
      expect(sql, title).toMatch(/FROM gpu_region_1m WHERE/);
      expect(sql, title).not.toMatch(/FROM gpu_1[mh]\b/);
      // Not even for short ranges: the minute rollup stands in for raw rows across whole regions.
      expect(sql, title).not.toMatch(/FROM gpu_samples\b/);
    }
  });

  it('count new errors exactly, resets included, MIG instances excluded', async () => {
    const { rows } = await panel(fleet, 'Uncorrectable errors');
    const want = (f: typeof dbe) => [0, 1, 2, 3].reduce((a, g) => a + increase(f, g), 0);
    expect(total(rows, 'ecc_dbe_volatile (increase)')).toBe(want(dbe));
    expect(total(rows, 'xid_count (increase)')).toBe(want(xid));
    expect(want(xid)).toBeGreaterThan(0);
    const heat = await panel(fleet, 'Error heat');
    const south = heat.rows.filter((r) => r['series'] === 'south');
    expect(total(south, 'xid_count (increase)')).toBe(increase(xid, 2) + increase(xid, 3));
  });

  it('count the GPUs reporting in every bucket, and total power from them', async () => {
    const gpus = await panel(fleet, 'GPUs reporting');
    expect(gpus.rows.length).toBeGreaterThan(50);
    expect(new Set(gpus.rows.map((r) => Number(r['GPUs'])))).toEqual(new Set([4]));
    const power = await panel(fleet, 'Power by region');
    const north = power.rows.filter((r) => r['series'] === 'north').map((r) => Number(r['power (total)']));
    expect(new Set(north)).toEqual(new Set([300]));
  });

  it('agree with the per-GPU rollups the GPU dashboard reads for one host', async () => {
    const all = await panel(gpuBoard, 'xid_count');
    const one = await panel(gpuBoard, 'xid_count', { region: ['south'], host: ['s0'], gpu: ALL });
    expect(all.sql).toContain('FROM gpu_region_1m');
    expect(total(one.rows, 'xid_count (increase)')).toBe(increase(xid, 2) + increase(xid, 3) + increase(xid, 4));
    const southAll = all.rows.filter((r) => r['series'] === 'south');
    expect(total(southAll, 'xid_count (increase)')).toBe(increase(xid, 2) + increase(xid, 3));
  });
});
