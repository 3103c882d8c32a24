/**
 * Plan: from an assessment, pick which workloads to consider (triggers), where each may go
 * (feasibility), what a move costs, solve the assignment, then apply the safety limits in order of
 * net benefit. Every workload that had a reason to move but did not gets a rejection naming why.
 * Each step lives in its own module: candidates.ts, capacity.ts, solve.ts, limits.ts, room.ts.
 */
import type { Assessment } from '../assess/assess.js';
import type { SchedulerConfig } from '../config.js';
import type { SchedulerMemory } from '../memory.js';
import type { Observation } from '../observe/observation.js';
import { findCandidates } from './candidates.js';
import { balanceTerm, excessOf, headroomOf, keepRoomForLargestGang } from './capacity.js';
import { applyLimits } from './limits.js';
import { PassLedger } from './pass-ledger.js';
import type { BalanceTerm, Problem } from './problem.js';
import { makeRoom } from './room.js';
import { solve } from './solve.js';
import { HOUR_MS, type Context, type PlanOptions, type PlanResult, type Rejection } from './types.js';

/**
 * The configured move limits for this fleet: movesPerPass, movesPerRegionPerPass and movesPerHour
 * times ⌊fleet GPUs ÷ limits.perGpus⌋ (at least once; perGpus 0 leaves them as given).
 */
export function limitsForFleet(cfg: SchedulerConfig, fleetGpus: number): SchedulerConfig {
  const L = cfg.limits;
  // mutation-check: limits scale with the fleet
  const k = L.perGpus > 0 ? Math.max(1, Math.floor(fleetGpus / L.perGpus)) : 1;
  if (k === 1) return cfg;
  return {
    ...cfg,
    limits: {
      ...L,
      movesPerPass: L.movesPerPass * k,
      movesPerRegionPerPass: L.movesPerRegionPerPass * k,
      movesPerHour: L.movesPerHour * k,
    },
  };
}

export function plan(
  obs: Observation,
  asmt: Assessment,
  configured: SchedulerConfig,
  mem: SchedulerMemory,
  opts: PlanOptions = {},
): PlanResult {
  const cfg = limitsForFleet(
    configured,
    [...asmt.regions.values()].reduce((n, r) => n + r.gpusTotal, 0),
  );
  const passId = `pass-${obs.ts}`;
  const byId = new Map(obs.workloads.map((w) => [w.id, w]));
  const balance = balanceTerm(asmt, cfg, mem, byId);
  const ctx = planContext(obs, asmt, cfg, mem, byId, balance);
  const rejected: Rejection[] = [];
  const { candidates, flapsPrevented } = findCandidates(ctx, balance, opts.fresh ?? false, (w, trig, b) =>
    rejected.push({
      workloadId: w.id,
      commClass: w.commClass,
      from: w.region,
      to: b.to,
      reason: b.reason,
      trigger: trig,
      benefit: 0,
      cost: 0,
      detail: b.detail,
    }),
  );

  const headroom = headroomOf(asmt, mem, byId);
  const reserve = keepRoomForLargestGang(headroom, asmt, cfg, obs, candidates);
  const problem: Problem = {
    candidates,
    headroom,
    excess: excessOf(asmt, ctx.leaving),
    overloadValue: cfg.value.overloadPerGpu * cfg.horizonSeconds,
    margin: cfg.margin,
    ...(balance ? { balance } : {}),
  };

  opts.onProblem?.(problem);
  const t0 = performance.now();
  const solution = solve(problem, cfg, opts.highs);
  const solveMs = performance.now() - t0;

  const totalGpus = [...asmt.regions.values()].reduce((n, r) => n + r.gpusTotal, 0);
  const ledger = new PassLedger({
    headroom: problem.headroom,
    movesLastHour: mem.recentMoves.filter((t) => t > obs.ts - HOUR_MS).length,
    gpusInFlight: mem.inFlight.reduce((n, f) => n + f.move.gpus, 0),
    budget: Math.floor(cfg.limits.disruptionBudget * totalGpus),
  });
  const moves = applyLimits(ctx, problem, solution, passId, rejected, reserve, ledger);
  const room = makeRoom(ctx, problem, moves, passId, rejected, ledger);
  return {
    plan: {
      passId,
      ts: obs.ts,
      moves: [...moves, ...(room?.moves ?? [])],
      rejected,
      room: room ? { workloadId: room.workloadId, region: room.region, gpus: room.gpus } : null,
      solver: {
        method: solution.method,
        status: solution.status,
        variables: solution.variables,
        objective: solution.objective,
      },
    },
    flapsPrevented,
    solveMs,
  };
}

/** What every planning step reads: the fleet's share, the starved regions, the moves in flight. */
function planContext(
  obs: Observation,
  asmt: Assessment,
  cfg: SchedulerConfig,
  mem: SchedulerMemory,
  byId: Context['byId'],
  balance: BalanceTerm | undefined,
): Context {
  let fleetAlloc = 0;
  let fleetTotal = 0;
  for (const [name, v] of balance?.regions ?? []) {
    fleetAlloc += v.allocated;
    // The trigger's text states shares of GPUs, as `imbalanced` measures them, not of goodness.
    fleetTotal += asmt.regions.get(name)?.gpusTotal ?? 0;
  }
  const holes = [...asmt.regions.values()].filter((r) => r.starved && r.status === 'ok' && !r.heating);
  const leaving = new Map<string, number>();
  for (const f of mem.inFlight)
    if (byId.get(f.move.workloadId)?.region === f.move.from)
      leaving.set(f.move.from, (leaving.get(f.move.from) ?? 0) + f.move.gpus);
  return {
    obs,
    asmt,
    cfg,
    mem,
    byId,
    fleetShare: fleetTotal > 0 ? fleetAlloc / fleetTotal : 0,
    holes,
    holeRegions: new Set(holes.map((r) => r.region)),
    inFlight: new Set(mem.inFlight.map((f) => f.move.workloadId)),
    leaving,
  };
}
