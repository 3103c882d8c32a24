/**
 * A serving rescue pays a twelfth of the per-move overhead (issue 18): an inference replica leaving
 * a region that throttles moves make-before-break, losing neither service nor work if the move
 * fails. With the full overhead a one-GPU service (most LS pods of the Alibaba traces) could never
 * pay a move however late its answers; a gang in the same region still pays the full overhead.
 */
import { describe, expect, it } from 'vitest';
import { assess } from '../src/assess/assess.js';
import { emptyMemory } from '../src/memory.js';
import { moveOverhead, SERVING_RESCUE_OVERHEAD_SHARE } from '../src/plan/candidates.js';
import { plan } from '../src/plan/plan.js';
import { T0, fullMesh, region, testConfig, workload } from './fabric.js';

const cfg = testConfig({ migration: { overheadGpuSeconds: 3600 } });
const obs = (throttledShare: number) => ({
  ts: T0,
  regions: [region('a', { throttledShare, gpusAllocated: 20 }), region('b', { gpusAllocated: 8 })],
  links: fullMesh(['a', 'b']),
  workloads: [
    workload('svc', 'a', { kind: 'inference', commClass: 'inference', gpus: 1, checkpointBytes: 10 * 2 ** 30 }),
    workload('gang', 'a', { gpus: 1, checkpointBytes: 2 * 2 ** 30 }),
  ],
});

function moved(throttledShare: number): string[] {
  const o = obs(throttledShare);
  const mem = emptyMemory();
  const asmt = assess(o, cfg, mem);
  return plan(o, asmt, cfg, mem)
    .plan.moves.map((m) => m.move.workloadId)
    .sort();
}

describe('serving rescue overhead', () => {
  it('charges an inference replica in a throttling region a twelfth of the overhead, anything else all of it', () => {
    const o = obs(0.5);
    const a = assess(o, cfg, emptyMemory()).regions.get('a');
    expect(a?.throttleHot).toBe(true);
    const [svc, gang] = o.workloads;
    if (!a || !svc || !gang) throw new Error('fixture');
    expect(moveOverhead(svc, a, cfg)).toBeCloseTo(3600 * SERVING_RESCUE_OVERHEAD_SHARE, 9);
    expect(moveOverhead(gang, a, cfg)).toBe(3600);
    const cool = assess(obs(0), cfg, emptyMemory()).regions.get('a');
    if (!cool) throw new Error('fixture');
    expect(moveOverhead(svc, cool, cfg)).toBe(3600);
  });

  it('moves the one-GPU service out of a throttling region, and not the one-GPU gang beside it', () => {
    expect(moved(0.5)).toEqual(['svc']);
    expect(moved(0)).toEqual([]);
  });
});
