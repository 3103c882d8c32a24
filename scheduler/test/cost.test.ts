/**
 * What a move costs in the plan. An inference set moves make-before-break (the executors bring the
 * new replicas up before the old ones drain), so it loses no work: it costs only the surge, the
 * GPUs held at the destination while the weights copy and the replicas start. A gang stops, so it
 * also loses the work done since its last checkpoint.
 */
import { describe, expect, it } from 'vitest';
import type { Observation } from '../src/observe/observation.js';
import { createScheduler } from '../src/scheduler.js';
import { MIN, SimulatedFabric, T0, fullMesh, region, testConfig, workload } from './fabric.js';

describe('migration cost', () => {
  it('an inference set pays only its surge capacity; a training gang of the same size also pays lost work', async () => {
    // a is hot; b is empty. Both 8-GPU workloads checkpointed 5 minutes ago; the link has 10 GB/s spare.
    const obs: Observation = {
      ts: T0,
      regions: [region('a', { gpusAllocated: 40, utilGpu: 95 }), region('b', { gpusAllocated: 0 })],
      links: fullMesh(['a', 'b']),
      workloads: [
        workload('serve', 'a', { kind: 'inference', commClass: 'inference', checkpointBytes: 20e9 }),
        workload('train', 'a', { checkpointBytes: 50e9 }),
      ],
    };
    const cfg = testConfig({ limits: { disruptionBudget: 1 } });
    const fab = new SimulatedFabric(obs);
    const s = await createScheduler({ config: cfg, executor: fab, observe: async () => fab.obs, clock: () => T0 });
    const rep = await s.runPass();
    const byId = new Map(rep.executed.map((e) => [e.planned.move.workloadId, e.planned]));
    const restart = cfg.migration.restartSeconds;
    const serve = byId.get('serve');
    const train = byId.get('train');
    expect(serve?.option.lostWorkSeconds).toBe(0);
    expect(serve?.cost).toBeCloseTo(8 * (20e9 / 10e9 + restart), 6);
    expect(train?.option.lostWorkSeconds).toBe((5 * MIN) / 1000);
    expect(train?.cost).toBeCloseTo(8 * (50e9 / 10e9 + restart + 300), 6);
  });
});
