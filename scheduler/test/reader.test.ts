/**
 * The store reader against the real embedded store (chDB): samples go in through the store's writer,
 * the rollups are built by the engine, and the Observation must carry the figures back.
 */
import { FIBER_MS_PER_KM } from '@meridian/catalog';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type SampleRow, type Store } from '@meridian/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readObservation } from '../src/observe/reader.js';
import { T0 } from './fabric.js';

const dir = mkdtempSync(join(tmpdir(), 'meridian-sched-reader-'));
let store: Store;
const NOW = T0 + 3_600_000;
const MIN = 60_000;

beforeAll(async () => {
  store = await openStore({ data: dir });
  await store.migrate();
  const gpu: SampleRow[] = [];
  // Five minutes at one sample a minute; region a: 2 GPUs at 90 %, throttled half the time, one XID;
  // region b: 1 GPU at 30 %, its newest sample 4 minutes old.
  for (let m = 5; m >= 1; m--) {
    const ts = NOW - m * MIN + 1000;
    for (const [uuid, xid] of [
      ['GPU-a0', 5 - m < 3 ? 0 : 1],
      ['GPU-a1', 0],
    ] as const) {
      gpu.push({
        ts,
        source: 'sim',
        region: 'a',
        host: 'a-h0',
        gpu_uuid: uuid,
        model: 'H100',
        util_gpu: 90,
        power_draw: 560,
        power_limit: 700,
        temp_gpu: 80,
        throttled: m % 2,
        xid_count: xid,
        ecc_dbe_volatile: 0,
      });
    }
    if (m >= 4) {
      gpu.push({
        ts,
        source: 'sim',
        region: 'b',
        host: 'b-h0',
        gpu_uuid: 'GPU-b0',
        model: 'A100',
        util_gpu: 30,
        power_draw: 200,
        power_limit: 400,
        temp_gpu: 60,
        throttled: 0,
        xid_count: 0,
        ecc_dbe_volatile: 0,
      });
    }
  }
  const res = await store.writer('gpu').write(gpu);
  expect(res.rejected).toEqual([]);
  const links: SampleRow[] = [];
  // Two elected probers measure the pair (the collector's STAMP roster); they agree here.
  for (let m = 5; m >= 1; m--) {
    for (const host of ['a-h1', 'a-h0'])
      links.push({
        ts: NOW - m * MIN + 2000,
        source: 'sim',
        link_id: 'a->b',
        region_from: 'a',
        region_to: 'b',
        host,
        lane: 0,
        rtt_avg: 12,
        loss_pct: 0.5,
        jitter: 0.3,
        throughput: 5e9,
        capacity: 12.5e9,
      });
  }
  const lr = await store.writer('link').write(links);
  expect(lr.rejected).toEqual([]);
  await store.insert('topology', [
    { updated: NOW - 10 * MIN, source: 'sim', kind: 'region', id: 'a', region: 'a', gpus: 16 },
    { updated: NOW - 10 * MIN, source: 'sim', kind: 'region', id: 'b', region: 'b', gpus: 8 },
    {
      updated: NOW - 10 * MIN,
      source: 'sim',
      kind: 'link',
      id: 'a->b',
      region: 'a',
      region_to: 'b',
      route_km: 1000,
      capacity_gbps: 100,
    },
  ]);
  await store.insert('inventory', [
    {
      ts: NOW - 10 * MIN,
      source: 'sim',
      region: 'a',
      host: 'a-h0',
      gpu_uuid: 'GPU-a0',
      model: 'H100',
      memory_total: 80e9,
    },
    {
      ts: NOW - 10 * MIN,
      source: 'sim',
      region: 'a',
      host: 'a-h0',
      gpu_uuid: 'GPU-a1',
      model: 'H100',
      memory_total: 80e9,
    },
    {
      ts: NOW - 10 * MIN,
      source: 'sim',
      region: 'b',
      host: 'b-h0',
      gpu_uuid: 'GPU-b0',
      model: 'A100',
      memory_total: 40e9,
    },
  ]);
  await store.insert('workloads', [
    {
      ts: NOW - 20 * MIN,
      source: 'sim',
      workload_id: 'j1',
      kind: 'training',
      comm_class: 'data_parallel',
      gpus: 8,
      region: 'a',
      checkpoint_bytes: 1e10,
      state: 'running',
      priority: 5,
      pinned: 0,
    },
    // A later row for the same workload replaces the first: it has moved to b.
    {
      ts: NOW - 20 * MIN,
      source: 'sim',
      workload_id: 'j2',
      kind: 'inference',
      comm_class: 'inference',
      gpus: 4,
      region: 'a',
      checkpoint_bytes: 2e9,
      state: 'running',
    },
    {
      ts: NOW - 10 * MIN,
      source: 'sim',
      workload_id: 'j2',
      kind: 'inference',
      comm_class: 'inference',
      gpus: 4,
      region: 'b',
      checkpoint_bytes: 2e9,
      state: 'running',
      pinned: 1,
    },
    {
      ts: NOW - 10 * MIN,
      source: 'sim',
      workload_id: 'j3',
      kind: 'batch',
      comm_class: 'independent',
      gpus: 2,
      region: 'b',
      checkpoint_bytes: 0,
      state: 'done',
    },
  ]);
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('readObservation on the embedded store', () => {
  it('builds per-region figures from the 1-minute rollups', async () => {
    const obs = await readObservation(store, NOW, { windowSeconds: 300 });
    expect(obs.ts).toBe(NOW);
    expect(obs.regions.map((r) => r.region)).toEqual(['a', 'b']);
    const [a, b] = obs.regions;
    expect(a?.gpusTotal).toBe(16);
    expect(a?.gpusAllocated).toBe(8);
    expect(a?.utilGpu).toBeCloseTo(90, 5);
    expect(a?.powerHeadroom).toBeCloseTo(0.2, 5);
    expect(a?.thermalHeadroomC).toBeCloseTo(5, 5);
    // m = 5..1 → throttled 1,0,1,0,1 → 3/5
    expect(a?.throttledShare).toBeCloseTo(0.6, 5);
    // One XID over 2 GPUs × 5 minutes = 1/6 GPU-hours → 6 per GPU-hour.
    expect(a?.xidRate).toBeCloseTo(6, 5);
    expect(a?.eccRate).toBe(0);
    expect(a?.gpuModels).toEqual(['H100']);
    expect(a?.gpuMemoryBytes).toBe(80e9);
    expect(a?.lastSampleTs).toBe(NOW - MIN + 1000);
    expect(b?.gpusTotal).toBe(8);
    expect(b?.gpusAllocated).toBe(4);
    expect(b?.utilGpu).toBeCloseTo(30, 5);
    expect(b?.gpuModels).toEqual(['A100']);
    expect(b?.lastSampleTs).toBe(NOW - 4 * MIN + 1000);
  });

  it('reads the freshest window beside the smoothed one', async () => {
    // The newest rollup minute of a holds m = 1 (throttled); the two newest, m = 2 and 1 (0 and 1).
    const one = await readObservation(store, NOW, { windowSeconds: 300, recentSeconds: 60 });
    const [a, b] = one.regions;
    expect(a?.throttledShare).toBeCloseTo(0.6, 5);
    expect(a?.throttledShareRecent).toBeCloseTo(1, 5);
    expect(a?.utilGpuRecent).toBeCloseTo(90, 5);
    // b's newest sample is 4 minutes old: nothing in the freshest window, so nothing is claimed.
    expect(b?.utilGpu).toBeCloseTo(30, 5);
    expect([b?.utilGpuRecent, b?.throttledShareRecent]).toEqual([null, null]);
    const two = await readObservation(store, NOW, { windowSeconds: 300, recentSeconds: 120 });
    expect(two.regions[0]?.throttledShareRecent).toBeCloseTo(0.5, 5);
  });

  it('reads the link matrix with the fiber floor from topology, and which hosts probed it', async () => {
    const obs = await readObservation(store, NOW, { windowSeconds: 300 });
    expect(obs.links).toHaveLength(1);
    const l = obs.links[0];
    expect(l?.from).toBe('a');
    expect(l?.to).toBe('b');
    expect(l?.rttMs).toBeCloseTo(12, 5);
    expect(l?.floorMs).toBeCloseTo(2 * 1000 * FIBER_MS_PER_KM, 6);
    expect(l?.lossPct).toBeCloseTo(0.5, 5);
    expect(l?.throughputBps).toBeCloseTo(5e9, 0);
    expect(l?.capacityBps).toBeCloseTo(12.5e9, 0);
    expect(l?.lastSampleTs).toBe(NOW - MIN + 2000);
    expect(l?.probers).toEqual(['a-h0', 'a-h1']);
  });

  it('keeps the latest row of each running workload', async () => {
    const obs = await readObservation(store, NOW, { windowSeconds: 300 });
    expect(obs.workloads.map((w) => [w.id, w.region, w.gpus, w.pinned, w.commClass])).toEqual([
      ['j1', 'a', 8, false, 'data_parallel'],
      ['j2', 'b', 4, true, 'inference'],
    ]);
    expect(obs.workloads[0]?.priority).toBe(5);
    expect(obs.workloads[1]?.replicaGpus).toBeUndefined();
  });

  it('filters by source with a bound parameter', async () => {
    const obs = await readObservation(store, NOW, { windowSeconds: 300, source: "x' OR 1=1 --" });
    expect(obs.workloads).toEqual([]);
    expect(obs.regions.every((r) => r.utilGpu === null)).toBe(true);
  });
});
