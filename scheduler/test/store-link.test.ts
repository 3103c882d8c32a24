/**
 * The degraded-link trigger through the real store: workloads with their coupled stages, latency
 * budget and last checkpoint (migration 0005) are written to the embedded chDB store beside link
 * samples, and the scheduler's own observe path (readObservation, no injected Observation) must see
 * the pipeline coupling and move a stage off the degraded link.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type SampleRow, type Store, type TableRows } from '@meridian/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readObservation } from '../src/observe/reader.js';
import { createScheduler } from '../src/scheduler.js';
import { DryRunExecutor } from '../src/act/executors.js';
import { MIN, T0, testConfig } from './fabric.js';

const dir = mkdtempSync(join(tmpdir(), 'meridian-sched-store-link-'));
let store: Store;
const NOW = T0 + 2 * 3_600_000;
const REGIONS = ['a', 'b', 'c'];
/** 1,000 km of fiber: a 9.8 ms RTT floor. a↔b runs at 24.5 ms (2.5× the floor) with 2 % loss. */
const degraded = (x: string, y: string) => (x === 'a' && y === 'b') || (x === 'b' && y === 'a');

const pipelineStage = (id: string, region: string, partner: string): TableRows['workloads'] => ({
  ts: NOW - 30 * MIN,
  source: 'sim',
  workload_id: id,
  kind: 'training',
  comm_class: 'pipeline',
  gpus: 8,
  region,
  checkpoint_bytes: 50e9,
  state: 'running',
  coupled_with: [partner],
  latency_budget_ms: 30,
  last_checkpoint_ts: NOW - 5 * MIN,
  gpu_model: 'H100',
});

beforeAll(async () => {
  store = await openStore({ data: dir });
  await store.migrate();
  const gpu: SampleRow[] = [];
  const link: SampleRow[] = [];
  for (let m = 5; m >= 0; m--) {
    const ts = NOW - m * MIN - 1000;
    for (const r of REGIONS)
      for (let g = 0; g < 2; g++)
        gpu.push({
          ts,
          source: 'sim',
          region: r,
          host: `${r}-h0`,
          gpu_uuid: `GPU-${r}${g}`,
          model: 'H100',
          util_gpu: 50,
          power_draw: 400,
          power_limit: 700,
          temp_gpu: 60,
          throttled: 0,
          xid_count: 0,
          ecc_dbe_volatile: 0,
        });
    for (const x of REGIONS)
      for (const y of REGIONS)
        if (x !== y)
          link.push({
            ts,
            source: 'sim',
            link_id: `${x}->${y}`,
            region_from: x,
            region_to: y,
            host: `${x}-h0`,
            lane: 0,
            rtt_avg: degraded(x, y) ? 24.5 : 10.5,
            loss_pct: degraded(x, y) ? 2 : 0,
            jitter: 0.1,
            throughput: 2.5e9,
            capacity: 12.5e9,
          });
  }
  expect((await store.writer('gpu').write(gpu)).rejected).toEqual([]);
  expect((await store.writer('link').write(link)).rejected).toEqual([]);
  await store.insert('topology', [
    ...REGIONS.map((r) => ({
      updated: NOW - 60 * MIN,
      source: 'sim',
      kind: 'region' as const,
      id: r,
      region: r,
      gpus: 64,
    })),
    ...REGIONS.flatMap((x) =>
      REGIONS.filter((y) => x < y).map((y) => ({
        updated: NOW - 60 * MIN,
        source: 'sim',
        kind: 'link' as const,
        id: `${x}->${y}`,
        region: x,
        region_to: y,
        route_km: 1000,
        capacity_gbps: 100,
      })),
    ),
  ]);
  await store.insert('workloads', [
    pipelineStage('p0', 'a', 'p1'),
    pipelineStage('p1', 'b', 'p0'),
    // A workload written without the 0005 fields reads as before: no partners, any GPU.
    {
      ts: NOW - 30 * MIN,
      source: 'sim',
      workload_id: 'x',
      kind: 'batch',
      comm_class: 'independent',
      gpus: 8,
      region: 'a',
      checkpoint_bytes: 1e9,
      state: 'running',
    },
  ]);
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('degraded link, observed from the store', () => {
  it('reads the coupled stages, latency budget, checkpoint time and GPU model back', async () => {
    const obs = await readObservation(store, NOW, { windowSeconds: 300 });
    const p0 = obs.workloads.find((w) => w.id === 'p0');
    expect(p0?.coupledWith).toEqual(['p1']);
    expect(p0?.latencyBudgetMs).toBe(30);
    expect(p0?.lastCheckpointTs).toBe(NOW - 5 * MIN);
    expect(p0?.gpuModel).toBe('H100');
    const x = obs.workloads.find((w) => w.id === 'x');
    expect(x?.coupledWith).toBeUndefined();
    expect(x?.lastCheckpointTs).toBeUndefined();
    expect(x?.gpuModel).toBeUndefined();
  });

  it('moves one pipeline stage so that no stage talks over a↔b', async () => {
    const executor = new DryRunExecutor();
    const s = await createScheduler({ config: testConfig(), store, executor, clock: () => NOW });
    const rep = await s.runPass();
    const moves = rep.executed.map((e) => e.planned.move);
    expect(moves).toHaveLength(1);
    const m = moves[0];
    expect(m?.reason).toMatch(/link a<->b degraded/);
    expect(['p0', 'p1']).toContain(m?.workloadId);
    // After the move the two stages share a region, or talk over a healthy link (a↔c or b↔c).
    const where = new Map([
      ['p0', 'a'],
      ['p1', 'b'],
    ]);
    where.set(m?.workloadId as string, m?.to as string);
    expect([where.get('p0'), where.get('p1')].sort().join('')).not.toBe('ab');
    // The independent job in a had no reason to move.
    expect(moves.some((mv) => mv.workloadId === 'x')).toBe(false);
    await s.stop();
  });
});
