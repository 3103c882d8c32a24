/**
 * A failed region's work, as a cluster without cross-cluster failover treats it: the gangs its hosts
 * took wait in its own queue (nothing re-places them in another region by itself), a service among
 * them answers nothing and counts SLO time while it waits, and only a resubmission by the scheduler
 * (the executor's move of queued work) starts it elsewhere.
 */
import { describe, expect, it } from 'vitest';
import { Twin } from '@meridian/sim';

const START = Date.UTC(2026, 11, 5, 12);

describe('region failure', () => {
  it("keeps the dark region's gangs queued there, counts a downed service's SLO time, and starts a resubmitted one elsewhere", () => {
    const twin = new Twin('region-failure', { seed: 42, startMs: START });
    const west = twin.fabric.regionByName('eu-west')?.index;
    const before = new Set(twin.workloads.filter((w) => w.state === 'running' && w.currentRegion === west));
    expect(before.size).toBeGreaterThan(0);
    // eu-west goes dark at 60 s for 30 minutes; run 10 minutes into it.
    for (let t = 0; t < 660; t += twin.tickS) twin.step();
    const stranded = [...before].filter((w) => w.state === 'queued');
    // Every gang the failure stopped (none finished in 10 minutes) still waits in eu-west.
    expect(stranded.length).toBe(before.size);
    for (const w of stranded) {
      expect(w.heldIn).toBe(west);
      expect(w.currentRegion).toBe(west);
    }
    const service = stranded.find((w) => w.kind === 'inference');
    expect(service?.sloViolationS).toBeGreaterThanOrEqual(590);

    // A resubmission (the scheduler's move of queued work) takes a gang to another region's queue.
    const gang = stranded.find((w) => w.kind !== 'inference') ?? (stranded[0] as (typeof stranded)[number]);
    const move = {
      moveId: 'm1',
      workloadId: gang.id,
      from: 'eu-west',
      to: 'eu-central',
      gpus: gang.gpus,
      checkpointBytes: gang.checkpointBytes,
      reason: 'evacuate: region eu-west failed',
    };
    expect(twin.executeMove({ ...move, from: 'eu-north' })).toEqual({
      status: 'failed',
      error: `workload ${gang.id} waits in eu-west, not eu-north`,
    });
    expect(twin.executeMove(move)).toMatchObject({ status: 'done' });
    expect(twin.stats.resubmitted).toBe(1);
    expect(twin.stats.moves).toBe(0);
    twin.step();
    expect(gang.state).toBe('running');
    expect(twin.regionName(gang.currentRegion)).toBe('eu-central');
    // Its wait counts from the failure (60 s), not from its first arrival.
    expect(gang.queuedS).toBeGreaterThan(590);
    expect(gang.queuedS).toBeLessThanOrEqual(twin.timeS - 60);
  });
});
