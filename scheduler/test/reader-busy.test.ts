/**
 * The scheduler's load reads how busy each GPU is by the catalog's one rule (catalog utilisation.ts)
 * on the real embedded store: a fleet mixing a DCGM host (SM active), a plain NVML host and a GPU in
 * MIG mode (its instances' graphics-engine activity) gets one figure per region, and says how many
 * GPUs each source gave.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyOf } from '@meridian/catalog';
import { openStore, type SampleRow, type Store } from '@meridian/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readObservation } from '../src/observe/reader.js';
import { T0 } from './fabric.js';

const dir = mkdtempSync(join(tmpdir(), 'meridian-sched-busy-'));
let store: Store;
const NOW = T0 + 3_600_000;
const MIN = 60_000;

const base = (ts: number, uuid: string): SampleRow => ({
  ts,
  source: 'dcgm',
  region: 'mixed',
  host: 'h',
  gpu_uuid: uuid,
});

beforeAll(async () => {
  store = await openStore({ data: dir });
  await store.migrate();
  const rows: SampleRow[] = [];
  for (let m = 5; m >= 1; m--) {
    const ts = NOW - m * MIN + 1000;
    // DCGM host: NVML says 95 % (a kernel ran), the SMs were 40 % active.
    rows.push({ ...base(ts, 'GPU-dcgm'), util_gpu: 95, util_sm_active: 40 });
    // Plain host: NVML only.
    rows.push({ ...base(ts, 'GPU-plain'), source: 'nvidia-smi', util_gpu: 60 });
    // MIG GPU: no NVML utilization at all; two instances at 50 % and 70 % graphics-engine active.
    rows.push({ ...base(ts, 'GPU-mig') });
    rows.push({ ...base(ts, 'GPU-mig'), mig_instance: '1', util_gr_engine_active: 50 });
    rows.push({ ...base(ts, 'GPU-mig'), mig_instance: '2', util_gr_engine_active: 70 });
  }
  const res = await store.writer('gpu').write(rows);
  expect(res.rejected).toEqual([]);
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the busy rule in the scheduler load', () => {
  it('gives a mixed region one figure, each GPU by its best source, and counts the sources', async () => {
    const obs = await readObservation(store, NOW, { windowSeconds: 300 });
    const r = obs.regions.find((x) => x.region === 'mixed');
    // SM active 40, NVML 60, MIG instances' mean 60: (40 + 60 + 60) / 3.
    expect(r?.utilGpu).toBeCloseTo(160 / 3, 5);
    expect(r?.utilGpuRecent).toBeCloseTo(160 / 3, 5);
    expect(r?.utilSource).toEqual({ smActive: 1, grEngine: 1, nvml: 1 });
  });

  it('the same rule in code, for rows already in memory', () => {
    expect(busyOf({ util_sm_active: 40, util_gpu: 95 })).toEqual({ percent: 40, source: 'sm_active' });
    expect(busyOf({ util_gpu: 60 })).toEqual({ percent: 60, source: 'nvml' });
    expect(busyOf({}, [{ util_gr_engine_active: 50 }, { util_gr_engine_active: 70 }])).toEqual({
      percent: 60,
      source: 'gr_engine_active',
    });
    expect(busyOf({ util_gpu: Number.NaN })).toBeUndefined();
  });
});
