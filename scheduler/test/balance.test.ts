/**
 * The plan's objective beyond the safety rules: the priced spread of allocated share across regions,
 * the free-GPU reserve that keeps room for the largest gang, the per-move overhead that makes one
 * large move beat several small ones, and what a throttled region's work is worth elsewhere. Each test also runs with its feature off and expects the
 * other answer, so it fails if the feature stops working.
 */
import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '../src/config.js';
import type { Observation } from '../src/observe/observation.js';
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

/**
 * a has lost cooling: `throttled` of its GPU time is throttled. It runs an 8-GPU inference service
 * (80 GB of weights, 8 s over the link) and an 8-GPU batch job; b and c are busier than a by
 * allocation, with room for 14 GPUs each.
 */
const throttled = (share: number): Observation => ({
  ts: T0,
  regions: [
    region('a', { gpusAllocated: 32, throttledShare: share, throttledShareRecent: share }),
    region('b', { gpusAllocated: 40 }),
    region('c', { gpusAllocated: 40 }),
  ],
  links: fullMesh(['a', 'b', 'c']),
  workloads: [
    workload('serve', 'a', { kind: 'inference', commClass: 'inference', checkpointBytes: 80e9 }),
    workload('batch', 'a', { kind: 'batch', checkpointBytes: 8e9 }),
    workload('a0', 'a', { gpus: 16, pinned: true }),
    workload('b0', 'b', { gpus: 40, pinned: true }),
    workload('c0', 'c', { gpus: 40, pinned: true }),
  ],
});

describe('a throttled region', () => {
  // The default per-move overhead (3,600 GPU-s) applies: a move must bring more than a little.
  const overhead = { migration: { overheadGpuSeconds: 3600 } };

  it("sheds its inference first: a late answer is lost, so the service's whole value is at stake", async () => {
    // Throttled 30 %: the inference service gains 8 × 3,600 × 0.3 ≈ 8,600 GPU-s against
    // 1.5 × (8 × (8 + 120) + 3,600) ≈ 6,900; the batch job, slowed by 30 % × 0.5, gains 4,300
    // against 1.5 × (8 × (1 + 120 + 300) + 3,600) ≈ 10,400 and stays.
    const moves = await movesOf(throttled(0.3), overhead);
    expect(moves.map((m) => [m.id, m.from])).toEqual([['serve', 'a']]);
    // Valued like throughput work (half a throttled GPU's output lost), the service gains 4,300
    // too, and stays behind with its SLO broken.
    const asBatch = await movesOf(throttled(0.3), { ...overhead, value: { inferenceThrottleSlowdown: 0.5 } });
    expect(asBatch).toEqual([]);
  });

  it('counts its GPUs at what they deliver when pricing balance, so leaving it is not imbalance', async () => {
    // Throttled 60 %, with balance priced. By GPU count a (50 %) is below the fleet's share (58 %)
    // and b and c above it: moving the service a→b adds 16 GPUs of imbalance, priced at
    // 16 × 0.6 × 3,600 ÷ 2 ≈ 17,300 GPU-s, all the 17,300 it gains by leaving. Counted at their
    // goodness (1 − 0.5 × 0.6), a's 64 GPUs are 45, a is above the share, and the move adds 7.
    const cfg = { ...overhead, value: { balancePerGpu: 0.6 } };
    const moves = await movesOf(throttled(0.6), cfg);
    expect(moves.map((m) => [m.id, m.from])).toEqual([['serve', 'a']]);
    // With throttling not slowing throughput work (goodness 1), a's GPUs count whole and it stays.
    expect(await movesOf(throttled(0.6), { ...cfg, value: { ...cfg.value, throttleSlowdown: 0 } })).toEqual([]);
  });

  it('counts the GPUs that serve at what they serve: a throttled region of services sheds them despite balance', async () => {
    // The same a, with throttling not slowing throughput work (goodness 1), but everything it runs
    // is inference: its GPUs serve at 1 − 1 × 0.6 = 0.4 of their worth (a late answer is lost), so
    // a's 64 GPUs are 26 and it is above the share. Counted at the training goodness they were 64,
    // a was below the share, and balance kept its services there with their SLO broken.
    const services = throttled(0.6);
    const obs: Observation = {
      ...services,
      workloads: services.workloads.map((w) =>
        w.region === 'a' ? { ...w, kind: 'inference' as const, commClass: 'inference' as const } : w,
      ),
    };
    const moves = await movesOf(obs, { ...overhead, value: { balancePerGpu: 0.6, throttleSlowdown: 0 } });
    expect(moves.map((m) => m.from)).toEqual(['a', 'a']);
    expect(moves.map((m) => m.id).sort()).toEqual(['batch', 'serve']);
  });
});
