/**
 * One test per safety rule, each written so that it fails when its rule is switched off (each was
 * checked that way once: see scheduler/README.md). The fabric is simulated; moves land at once.
 */
import { describe, expect, it } from 'vitest';
import type { Observation, RegionObservation } from '../src/observe/observation.js';
import { createScheduler, type Scheduler } from '../src/scheduler.js';
import type { ConfigInput } from '../src/config.js';
import { MIN, SimulatedFabric, T0, at, fullMesh, region, testConfig, workload } from './fabric.js';

interface Run {
  readonly fab: SimulatedFabric;
  readonly s: Scheduler;
  now: number;
}

async function setup(
  obs: Observation,
  cfg: ConfigInput,
  edit: (o: Observation, pass: number) => Observation = (o) => o,
): Promise<Run> {
  const fab = new SimulatedFabric(obs);
  let pass = 0;
  const clock = { now: T0 };
  const s = await createScheduler({
    config: testConfig(cfg),
    executor: fab,
    observe: async (t) => edit(at(fab.obs, t), pass++),
    clock: () => clock.now,
  });
  // `now` on the returned object drives the scheduler's clock.
  const run = {
    fab,
    s,
    get now() {
      return clock.now;
    },
    set now(v: number) {
      clock.now = v;
    },
  };
  return run;
}

/** Region a full and hot (256 GPUs, 32 workloads), b and c empty: whatever moves, a stays hot. */
const hotAAmongEmpty = (): Observation => ({
  ts: T0,
  regions: [
    region('a', { gpusTotal: 256, gpusAllocated: 256, utilGpu: 99 }),
    region('b', { gpusTotal: 256, gpusAllocated: 0 }),
    region('c', { gpusTotal: 256, gpusAllocated: 0 }),
  ],
  links: fullMesh(['a', 'b', 'c']),
  workloads: Array.from({ length: 32 }, (_, i) => workload(`a${String(i).padStart(2, '0')}`, 'a')),
});

/** Moves executed in each of 12 passes 5 minutes apart (one hour). */
async function passesOverAnHour(r: Awaited<ReturnType<typeof setup>>): Promise<number[]> {
  const perPass: number[] = [];
  for (let i = 0; i < 12; i++) {
    const rep = await r.s.runPass();
    perPass.push(rep.executed.length);
    r.now += 5 * MIN;
  }
  return perPass;
}

const withRegion = (o: Observation, name: string, over: Partial<RegionObservation>): Observation => ({
  ...o,
  regions: o.regions.map((r) => (r.region === name ? { ...r, ...over } : r)),
});

describe('safety rules', () => {
  it('oscillating load: at most one move per job per cooldown, and no A→B→A', async () => {
    const names = ['a', 'b', 'c'];
    const obs: Observation = {
      ts: T0,
      regions: names.map((n) => region(n, { gpusAllocated: 40 })),
      links: fullMesh(names),
      workloads: names.flatMap((n) => Array.from({ length: 5 }, (_, i) => workload(`${n}${i}`, n))),
    };
    // The hot spot swings between a and b every pass (measured utilization 95 % vs 50 %).
    const cfg: ConfigInput = {
      cooldownSeconds: 600,
      flapWindowSeconds: 3600,
      limits: { movesPerPass: 10, movesPerRegionPerPass: 10, movesPerHour: 1000, disruptionBudget: 1 },
    };
    const r = await setup(obs, cfg, (o, pass) =>
      withRegion(withRegion(o, 'a', { utilGpu: pass % 2 === 0 ? 95 : 50 }), 'b', { utilGpu: pass % 2 === 0 ? 50 : 95 }),
    );
    for (let i = 0; i < 40; i++) {
      await r.s.runPass();
      r.now += MIN;
    }
    expect(r.fab.log.length).toBeGreaterThan(0);
    const byJob = new Map<string, { ts: number; from: string; to: string }[]>();
    for (const m of r.fab.log) {
      const ts = Number(m.moveId.split(':')[0]?.replace('pass-', ''));
      byJob.set(m.workloadId, [...(byJob.get(m.workloadId) ?? []), { ts, from: m.from, to: m.to }]);
    }
    let multi = 0;
    for (const moves of byJob.values()) {
      for (let i = 1; i < moves.length; i++) {
        multi++;
        const prev = moves[i - 1] as { ts: number; from: string };
        const cur = moves[i] as { ts: number; to: string };
        expect(cur.ts - prev.ts).toBeGreaterThanOrEqual(600_000);
        // no A→B→A inside the flap window
        if (cur.ts - prev.ts < 3_600_000) expect(cur.to).not.toBe(prev.from);
      }
    }
    // The swinging load did try to move jobs again: the rules, not the lack of demand, held them.
    const held = r.s.decisions().filter((d) => d.outcome === 'cooldown' || d.outcome === 'flap-prevented');
    expect(held.length + multi).toBeGreaterThan(0);
  });

  it('cooldown: a job that just moved stays put for the cooldown, even when its new region runs hot', async () => {
    const names = ['a', 'b', 'c', 'd'];
    const obs: Observation = {
      ts: T0,
      regions: names.map((n) => region(n, { gpusAllocated: 40 })),
      links: fullMesh(names),
      workloads: [workload('j', 'a'), ...names.map((n) => workload(`${n}-pinned`, n, { gpus: 32, pinned: true }))],
    };
    // The hot spot follows j: wherever j runs, utilization reads 95 %.
    const fab = new SimulatedFabric(obs);
    let now = T0;
    const s = await createScheduler({
      config: testConfig({ cooldownSeconds: 600, flapWindowSeconds: 3600, limits: { disruptionBudget: 1 } }),
      executor: fab,
      observe: async (t) => {
        const o = at(fab.obs, t);
        const where = o.workloads.find((w) => w.id === 'j')?.region;
        return withRegion(o, where ?? '', { utilGpu: 95 });
      },
      clock: () => now,
    });
    for (let i = 0; i < 15; i++) {
      await s.runPass();
      now += MIN;
    }
    const times = fab.log.map((m) => Number(m.moveId.split(':')[0]?.replace('pass-', '')));
    // Moves at 0 and 10 minutes only: each waits out the 600 s cooldown.
    expect(times.map((t) => (t - T0) / MIN)).toEqual([0, 10]);
    expect(s.decisions().filter((d) => d.outcome === 'cooldown').length).toBe(9 + 4);
  });

  it('a stale region gets no moves in, and none out until the failover timeout', async () => {
    // b and c are full, so the only region with headroom is d, whose data is stale.
    const obs: Observation = {
      ts: T0,
      regions: [
        region('a', { gpusAllocated: 64, utilGpu: 95 }),
        region('b', { gpusAllocated: 56 }),
        region('c', { gpusAllocated: 56 }),
        region('d', { gpusAllocated: 8, lastSampleTs: T0 - 10 * MIN }),
      ],
      links: fullMesh(['a', 'b', 'c', 'd']),
      workloads: [
        ...Array.from({ length: 8 }, (_, i) => workload(`a${i}`, 'a')),
        workload('d0', 'd'),
        workload('b0', 'b', { gpus: 56 }),
        workload('c0', 'c', { gpus: 56 }),
      ],
    };
    const fab = new SimulatedFabric(obs);
    let now = T0;
    const staleTs = T0 - 2 * MIN;
    let phase2 = false;
    const s = await createScheduler({
      config: testConfig({
        freshness: { staleAfterSeconds: 90, failoverTimeoutSeconds: 600 },
        limits: { disruptionBudget: 1 },
      }),
      executor: fab,
      // d stopped reporting two minutes before the first pass and stays silent.
      // In phase 2 b frees up, so d's evacuation has somewhere to go.
      observe: async (t) =>
        withRegion(withRegion(at(fab.obs, t), 'd', { lastSampleTs: staleTs }), 'b', phase2 ? { gpusAllocated: 8 } : {}),
      clock: () => now,
    });
    for (let i = 0; i < 7; i++) {
      const rep = await s.runPass();
      expect(rep.executed.filter((e) => e.planned.move.to === 'd' || e.planned.move.from === 'd')).toEqual([]);
      now += MIN;
    }
    expect(s.state().assessment?.regions.get('d')?.status).toBe('unknown');
    expect(s.alerts().some((a) => a.labels.alertname === 'MeridianRegionStale' && a.labels.region_from === 'd')).toBe(
      true,
    );
    // Past the failover timeout (600 s after it went stale at staleTs + 90 s), d is evacuated.
    now = staleTs + 90_000 + 600_000 + MIN;
    phase2 = true;
    const after = await s.runPass();
    expect(s.state().assessment?.regions.get('d')?.status).toBe('failed');
    expect(after.executed.map((e) => e.planned.move.workloadId)).toContain('d0');
  });

  it('work queued in a failed region is resubmitted elsewhere, past the move limits and without the move overhead', async () => {
    // d went silent 20 minutes ago (failed at once at a 600 s failover); the failure stopped three
    // 8-GPU jobs, which wait in its queue. Resubmitting them stops nothing that runs and moves no
    // bytes: one move per pass, per region and per hour, and an overhead that outweighs any live
    // move, hold none of them.
    const obs: Observation = {
      ts: T0,
      regions: [region('a'), region('b'), region('c'), region('d', { gpusAllocated: 0, lastSampleTs: T0 - 20 * MIN })],
      links: fullMesh(['a', 'b', 'c', 'd']),
      workloads: [],
      queued: ['q0', 'q1', 'q2'].map((id) => workload(id, 'd')),
    };
    const s = await createScheduler({
      config: testConfig({
        freshness: { staleAfterSeconds: 90, failoverTimeoutSeconds: 600 },
        limits: { movesPerPass: 1, movesPerRegionPerPass: 1, movesPerHour: 1 },
        migration: { overheadGpuSeconds: 1_000_000 },
      }),
      executor: new SimulatedFabric(obs),
      observe: async () => obs,
      clock: () => T0,
    });
    const rep = await s.runPass();
    expect(s.state().assessment?.regions.get('d')?.status).toBe('failed');
    expect(
      rep.executed.map((e) => [e.planned.move.workloadId, e.planned.move.from, e.planned.evacuate, e.planned.stopped]),
    ).toEqual([
      ['q0', 'd', true, true],
      ['q1', 'd', true, true],
      ['q2', 'd', true, true],
    ]);

    // Nor does a later pass's hourly limit count them: a minute later d's queue is empty and a is
    // hot by load, and its one live move of the hour is still left.
    const later: Observation = {
      ...obs,
      ts: T0 + MIN,
      regions: [
        region('a', { gpusAllocated: 64, utilGpu: 95, lastSampleTs: T0 + MIN }),
        region('b', { lastSampleTs: T0 + MIN }),
        region('c', { lastSampleTs: T0 + MIN }),
        obs.regions[3] as RegionObservation,
      ],
      workloads: [workload('a0', 'a')],
      queued: [],
    };
    let now = T0;
    const twice = await createScheduler({
      config: testConfig({
        freshness: { staleAfterSeconds: 90, failoverTimeoutSeconds: 600 },
        // Until they land, the resubmitted GPUs still count as in flight for the disruption budget.
        limits: { movesPerPass: 1, movesPerRegionPerPass: 1, movesPerHour: 1, disruptionBudget: 1 },
      }),
      executor: new SimulatedFabric(obs),
      observe: async () => (now === T0 ? obs : later),
      clock: () => now,
    });
    expect((await twice.runPass()).executed).toHaveLength(3);
    now = T0 + MIN;
    expect((await twice.runPass()).executed.map((e) => e.planned.move.workloadId)).toEqual(['a0']);
    // Work queued in a region that still answers is left to that region's queue.
    const fine = await createScheduler({
      config: testConfig({ freshness: { staleAfterSeconds: 90, failoverTimeoutSeconds: 600 } }),
      executor: new SimulatedFabric(obs),
      observe: async () => ({ ...obs, regions: [...obs.regions.slice(0, 3), region('d', { gpusAllocated: 0 })] }),
      clock: () => T0,
    });
    expect((await fine.runPass()).executed).toEqual([]);
  });

  it('the rate limits hold: per pass and per hour', async () => {
    const obs = hotAAmongEmpty();
    // Keep a hot whatever moves out: its utilization stays at 99 %.
    const r = await setup(obs, {
      limits: { movesPerPass: 2, movesPerRegionPerPass: 10, movesPerHour: 5, disruptionBudget: 1 },
    });
    const perPass = await passesOverAnHour(r);
    expect(Math.max(...perPass)).toBe(2);
    // 12 passes 5 minutes apart = 1 hour: at most 5 moves in the first hour's window.
    expect(perPass.reduce((a, b) => a + b, 0)).toBe(5);
    expect(r.s.decisions().some((d) => d.outcome === 'moves-per-hour')).toBe(true);
    expect(r.s.decisions().some((d) => d.outcome === 'moves-per-pass')).toBe(true);
  });

  it('the rate limits scale with the fleet: ⌊GPUs ÷ limits.perGpus⌋ times the counts', async () => {
    // 768 GPUs at perGpus 256: three times the counts (6 per pass, 15 per hour, 30 per region).
    const obs = hotAAmongEmpty();
    const r = await setup(obs, {
      limits: { movesPerPass: 2, movesPerRegionPerPass: 10, movesPerHour: 5, disruptionBudget: 1, perGpus: 256 },
    });
    const perPass = await passesOverAnHour(r);
    expect(Math.max(...perPass)).toBe(6);
    expect(perPass.reduce((a, b) => a + b, 0)).toBe(15);
    expect(r.s.decisions().some((d) => d.outcome === 'moves-per-hour')).toBe(true);
  });

  it('gangs move whole; only inference replica sets may split', async () => {
    // b and c can each take only 10 GPUs; a 16-GPU data-parallel gang must not be split across them.
    const obs: Observation = {
      ts: T0,
      regions: [
        region('a', { gpusAllocated: 64, utilGpu: 95 }),
        region('b', { gpusAllocated: 44 }),
        region('c', { gpusAllocated: 44 }),
      ],
      links: fullMesh(['a', 'b', 'c']),
      workloads: [
        workload('gang', 'a', { commClass: 'data_parallel', gpus: 16 }),
        workload('infer', 'a', {
          kind: 'inference',
          commClass: 'inference',
          gpus: 16,
          replicaGpus: 2,
          lastCheckpointTs: undefined,
        }),
        workload('fill', 'a', { gpus: 32, pinned: true }),
        workload('b0', 'b', { gpus: 44 }),
        workload('c0', 'c', { gpus: 44 }),
      ],
    };
    const r = await setup(obs, { limits: { disruptionBudget: 1, movesPerRegionPerPass: 4 } });
    const rep = await r.s.runPass();
    const moves = rep.executed.map((e) => e.planned.move);
    expect(moves.filter((m) => m.workloadId === 'gang')).toEqual([]);
    expect(rep.plan?.rejected.find((x) => x.workloadId === 'gang')?.reason).toBe('no-feasible-destination');
    // The replica set did move, in whole replicas, split over b and c.
    const inf = moves.filter((m) => m.workloadId === 'infer');
    expect(inf.length).toBeGreaterThan(0);
    for (const m of inf) {
      expect(m.gpus % 2).toBe(0);
      expect(m.replicas).toBe(m.gpus / 2);
    }
  });

  it('nothing moves when the cost exceeds the benefit', async () => {
    // The last checkpoint is 3 hours old: a move would throw away 3 h × 8 GPUs of work for 1 h of relief.
    const obs: Observation = {
      ts: T0,
      regions: [region('a', { gpusAllocated: 64, utilGpu: 95 }), region('b', { gpusAllocated: 8 })],
      links: fullMesh(['a', 'b']),
      workloads: [...Array.from({ length: 8 }, (_, i) => workload(`a${i}`, 'a')), workload('b0', 'b')],
    };
    const fab = new SimulatedFabric(obs);
    const s = await createScheduler({
      config: testConfig({ limits: { disruptionBudget: 1 } }),
      executor: fab,
      observe: async (t) => ({
        ...at(fab.obs, t),
        workloads: fab.obs.workloads.map((w) => ({ ...w, lastCheckpointTs: t - 180 * MIN })),
      }),
      clock: () => T0,
    });
    const rep = await s.runPass();
    expect(rep.executed).toEqual([]);
    const held = rep.plan?.rejected.filter((x) => x.workloadId.startsWith('a')) ?? [];
    expect(held).toHaveLength(8);
    expect(held.every((x) => x.reason === 'cost-exceeds-benefit')).toBe(true);
    expect(held[0]?.cost).toBeGreaterThan(held[0]?.benefit ?? Infinity);
  });

  it('a degraded link makes pipeline-parallel work leave it', async () => {
    // Stages p0 (in a) and p1 (in b) talk over a↔b, which degrades: RTT 2.5× the floor and 2 % loss.
    const obs: Observation = {
      ts: T0,
      regions: [
        region('a', { gpusAllocated: 16 }),
        region('b', { gpusAllocated: 16 }),
        region('c', { gpusAllocated: 16 }),
      ],
      links: fullMesh(['a', 'b', 'c'], (x, y) =>
        (x === 'a' && y === 'b') || (x === 'b' && y === 'a') ? { rttMs: 24.5, lossPct: 2 } : {},
      ),
      workloads: [
        workload('p0', 'a', { commClass: 'pipeline', coupledWith: ['p1'], latencyBudgetMs: 30 }),
        workload('p1', 'b', { commClass: 'pipeline', coupledWith: ['p0'], latencyBudgetMs: 30 }),
        workload('x', 'a'),
      ],
    };
    const r = await setup(obs, {});
    const rep = await r.s.runPass();
    const moves = rep.executed.map((e) => e.planned.move);
    // Exactly one stage moves (one at a time per coupled job), and afterwards no stage uses a↔b.
    expect(moves).toHaveLength(1);
    expect(moves[0]?.reason).toMatch(/link a<->b degraded/);
    const where = new Map(r.fab.obs.workloads.map((w) => [w.id, w.region]));
    const pair = [where.get('p0'), where.get('p1')].sort().join('');
    expect(['ab', 'ba']).not.toContain(pair);
    // The independent job in a had no reason to move.
    expect(where.get('x')).toBe('a');
  });

  it('a pinned job stays, even in a failed region', async () => {
    const obs: Observation = {
      ts: T0,
      regions: [region('a', { gpusAllocated: 64, utilGpu: 95 }), region('b', { gpusAllocated: 0 })],
      links: fullMesh(['a', 'b']),
      workloads: [workload('pinned', 'a', { pinned: true, gpus: 64 })],
    };
    const r = await setup(obs, { limits: { disruptionBudget: 1 } });
    const rep = await r.s.runPass();
    expect(rep.executed).toEqual([]);
    expect(rep.plan?.rejected.map((x) => [x.workloadId, x.reason])).toEqual([['pinned', 'pinned']]);
  });

  it('freshest window: throttling that has cleared sends nothing away', async () => {
    // a is throttle-hot by the 5-minute figure (60 %). Only the freshest window tells whether that
    // is still so (50 %) or over (1 %, below the 5 % at which it clears).
    const base = (recent: number): Observation => ({
      ts: T0,
      regions: [
        region('a', { gpusAllocated: 40, throttledShare: 0.6, throttledShareRecent: recent }),
        region('b', { gpusAllocated: 8 }),
      ],
      links: fullMesh(['a', 'b']),
      workloads: Array.from({ length: 5 }, (_, i) => workload(`a${i}`, 'a')),
    });
    const still = await setup(base(0.5), { limits: { disruptionBudget: 1 } });
    const moved = (await still.s.runPass()).executed.map((e) => e.planned.move.from);
    expect(moved.length).toBeGreaterThan(0);
    expect(new Set(moved)).toEqual(new Set(['a']));

    const cleared = await setup(base(0.01), { limits: { disruptionBudget: 1 } });
    const rep = await cleared.s.runPass();
    expect(rep.executed).toEqual([]);
    const a = cleared.s.state().assessment?.regions.get('a');
    expect([a?.status, a?.hotNow]).toEqual(['hot', false]);
    expect(a?.reasons.join('; ')).toContain('cleared in the last 60 s (load 63%, throttled 1%)');
  });

  it('freshest window: a hot region sheds the overload it has now, not the one the smoothed window remembers', async () => {
    // a: 5-minute utilization 95 %, hot. Its freshest window reads 95 % or 80 % (still inside the
    // dead band, so still hot). Either way it sheds down to the middle of the band (72.5 % of 64 = 46).
    const shed = async (recent: number): Promise<[number, string[]]> => {
      const obs: Observation = {
        ts: T0,
        regions: [
          region('a', { gpusAllocated: 40, utilGpu: 95, utilGpuRecent: recent }),
          region('b', { gpusAllocated: 0, gpusTotal: 128 }),
        ],
        links: fullMesh(['a', 'b']),
        workloads: Array.from({ length: 5 }, (_, i) => workload(`a${i}`, 'a')),
      };
      const r = await setup(obs, { limits: { disruptionBudget: 1, movesPerPass: 10, movesPerRegionPerPass: 10 } });
      const rep = await r.s.runPass();
      const gpus = rep.executed.reduce((n, e) => n + e.planned.move.gpus, 0);
      return [gpus, [...new Set(rep.plan?.rejected.map((x) => x.reason))]];
    };
    // 61 − 46 = 15 GPUs of overload by the smoothed figure: two 8-GPU jobs leave. 51 − 46 = 5 by the
    // fresh one: relieving 5 GPUs does not pay for moving 8 (benefit 4,500 < cost 3,400 × 1.5).
    expect(await shed(95)).toEqual([16, ['cost-exceeds-benefit']]);
    expect(await shed(80)).toEqual([0, ['cost-exceeds-benefit']]);
  });

  it('freshest window: a region heating up takes nothing in before its smoothed figures catch up', async () => {
    // a is hot by load; b is the only destination. Its 5-minute throttled share is 2 % (ok), and its
    // freshest window shows either the same or 50 % (cooling just failed).
    const base = (recent: number): Observation => ({
      ts: T0,
      regions: [
        region('a', { gpusAllocated: 40, utilGpu: 95 }),
        region('b', { gpusAllocated: 8, throttledShare: 0.02, throttledShareRecent: recent }),
      ],
      links: fullMesh(['a', 'b']),
      workloads: Array.from({ length: 5 }, (_, i) => workload(`a${i}`, 'a')),
    });
    const calm = await setup(base(0.02), { limits: { disruptionBudget: 1 } });
    const landed = (await calm.s.runPass()).executed.map((e) => e.planned.move.to);
    expect(landed.length).toBeGreaterThan(0);
    expect(new Set(landed)).toEqual(new Set(['b']));

    const heating = await setup(base(0.5), { limits: { disruptionBudget: 1 } });
    const rep = await heating.s.runPass();
    expect(rep.executed).toEqual([]);
    expect(heating.s.state().assessment?.regions.get('b')).toMatchObject({ status: 'ok', heating: true });
    expect(rep.plan?.rejected.map((x) => x.reason)).toContain('no-feasible-destination');
  });

  it('hysteresis: load must persist above the high threshold, and the dead band changes nothing', async () => {
    const obs: Observation = {
      ts: T0,
      regions: [region('a', { gpusAllocated: 32 }), region('b', { gpusAllocated: 8 })],
      links: fullMesh(['a', 'b']),
      workloads: [...Array.from({ length: 4 }, (_, i) => workload(`a${i}`, 'a')), workload('b0', 'b')],
    };
    // util: 90 % for 2 minutes (less than the 3-minute persistence), 75 % (dead band), then 90 % for 3+.
    const utils = [90, 90, 90, 75, 90, 90, 90, 90];
    const r = await setup(
      obs,
      { load: { low: 0.6, high: 0.85, persistSeconds: 180 }, limits: { disruptionBudget: 1 } },
      (o, pass) => withRegion(o, 'a', { utilGpu: utils[pass] ?? 90 }),
    );
    const statuses: string[] = [];
    for (let i = 0; i < utils.length; i++) {
      await r.s.runPass();
      statuses.push(r.s.state().assessment?.regions.get('a')?.status ?? '');
      r.now += MIN;
    }
    expect(statuses).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'hot']);
  });
});
