/**
 * The plan's objective beyond the safety rules: the priced spread of allocated share across regions,
 * the free-GPU reserve that keeps room for the largest gang, and the per-move overhead that makes
 * one large move beat several small ones. Each test also runs with its feature off and expects the
 * other answer, so it fails if the feature stops working.
 */
import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '../src/config.js';
import type { Observation } from '../src/observation.js';
import { createScheduler } from '../src/scheduler.js';
import { MIN, SimulatedFabric, T0, fullMesh, region, testConfig, workload } from './fabric.js';

async function movesOf(obs: Observation, cfg: ConfigInput): Promise<{ id: string; from: string; to: string }[]> {
  const fab = new SimulatedFabric(obs);
  const s = await createScheduler({
    config: testConfig(cfg),
    executor: fab,
    // One pass at T0, on the observation as given (its checkpoint times included).
    observe: async () => fab.obs,
    clock: () => T0,
  });
  const rep = await s.runPass();
  return rep.executed.map((e) => ({ id: e.planned.move.workloadId, from: e.planned.move.from, to: e.planned.move.to }));
}

/**
 * a holds 75 % of its GPUs, b 12.5 %, c `cGpus` of 64: a is far above the fleet's share, none is
 * hot. Every workload checkpointed 5 minutes before T0 (300 s of work lost per GPU moved).
 */
const lopsided = (cGpus = 32): Observation => ({
  ts: T0,
  regions: [
    region('a', { gpusAllocated: 48 }),
    region('b', { gpusAllocated: 8 }),
    region('c', { gpusAllocated: cGpus }),
  ],
  links: fullMesh(['a', 'b', 'c']),
  workloads: [
    ...Array.from({ length: 6 }, (_, i) => workload(`a${i}`, 'a')),
    workload('b0', 'b', { pinned: true }),
    workload('c0', 'c', { gpus: cGpus, pinned: true }),
  ],
});

describe('balance', () => {
  it('moves work out of a region far above the fleet, into one below it, only when imbalance is priced', async () => {
    // The fleet holds 88 of 192 GPUs (46 %): a is above, b below, c (50 %) slightly above. An 8-GPU
    // move a→b removes 16 GPUs of imbalance (16 × 0.6 × 3,600 s ÷ 2 ≈ 17,000 GPU-s) against
    // 1.5 × 8 × (5 + 120 + 300) ≈ 5,100 GPU-s of cost; a→c removes nothing (c is above the share).
    const priced = await movesOf(lopsided(), { value: { balancePerGpu: 0.6 } });
    // Two moves per region per pass.
    expect(priced).toHaveLength(2);
    expect(priced.every((m) => m.from === 'a' && m.to === 'b')).toBe(true);
    expect(await movesOf(lopsided(), { value: { balancePerGpu: 0 } })).toEqual([]);
  });

  it('keeps room for the largest gang in the roomiest region', async () => {
    // With c at 25 % both b and c are below the share; b (56 free) is the roomiest. Keeping 56 free
    // there leaves the balancing moves only c.
    const kept = await movesOf(lopsided(16), { value: { balancePerGpu: 0.6 }, keepFreeGpus: 56 });
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.every((m) => m.from === 'a' && m.to === 'c')).toBe(true);
    // Without the reserve, b takes some of them.
    const open = await movesOf(lopsided(16), { value: { balancePerGpu: 0.6 }, keepFreeGpus: 0 });
    expect(open.some((m) => m.to === 'b')).toBe(true);
  });

  it('a per-move overhead makes one large move beat two small ones that bring the same', async () => {
    // a is hot (60 of 64 allocated): 14 GPUs above its target, worth 900 GPU-s each.
    const obs: Observation = {
      ts: T0,
      regions: [
        region('a', { gpusAllocated: 60 }),
        region('b', { gpusAllocated: 16 }),
        region('c', { gpusAllocated: 16 }),
      ],
      links: fullMesh(['a', 'b', 'c']),
      workloads: [
        workload('big', 'a', { gpus: 16, lastCheckpointTs: T0 - MIN }),
        // Fresher checkpoints: per GPU, the two small jobs are cheaper to move than the big one.
        workload('small1', 'a', { lastCheckpointTs: T0 }),
        workload('small2', 'a', { lastCheckpointTs: T0 }),
        workload('rest', 'a', { gpus: 28, pinned: true }),
        workload('b0', 'b', { gpus: 16, pinned: true }),
        workload('c0', 'c', { gpus: 16, pinned: true }),
      ],
    };
    const withOverhead = await movesOf(obs, { migration: { overheadGpuSeconds: 3600 } });
    expect(withOverhead.map((m) => m.id)).toEqual(['big']);
    const without = await movesOf(obs, { migration: { overheadGpuSeconds: 0 } });
    expect(without.map((m) => m.id).sort()).toEqual(['small1', 'small2']);
  });
});
