/**
 * Plan: from an assessment, pick which workloads to consider (triggers), where each may go
 * (feasibility), what a move costs, solve the assignment, then apply the safety limits in order of
 * net benefit. Every workload that had a reason to move but did not gets a rejection naming why.
 */
import { cmp } from '../order.js';
import type { Highs } from 'highs';
import type { Assessment, RegionAssessment } from '../assess/assess.js';
import type { SchedulerConfig } from '../config.js';
import type { Move } from '../act/executor.js';
import { pairKey, peekJob, unlandedMoves, type SchedulerMemory } from '../memory.js';
import type { Observation, WorkloadObservation } from '../observe/observation.js';
import {
  balanceAllocation,
  coefficient,
  shiftAllocation,
  imbalanceOf,
  type BalanceTerm,
  type Candidate,
  type DestOption,
  type Problem,
  type Solution,
} from './problem.js';
import { PassLedger } from './pass-ledger.js';
import { solveGreedy } from './solve-greedy.js';
import { milpSize, solveMilp } from './solve-milp.js';

/** Names of the rules that can stop a move; they label metrics and audit rows. */
export type RejectReason =
  | 'pinned'
  | 'source-stale'
  | 'priority'
  | 'cooldown'
  | 'backoff'
  | 'flap-prevented'
  | 'no-feasible-destination'
  | 'cost-exceeds-benefit'
  | 'not-selected'
  | 'coupled-partner-moving'
  | 'moves-per-pass'
  | 'moves-per-hour'
  | 'moves-per-region'
  | 'disruption-budget';

export interface PlannedMove {
  readonly move: Move;
  readonly benefit: number;
  readonly cost: number;
  readonly trigger: string;
  readonly evacuate: boolean;
  /** The limits checked (and passed) for this move. */
  readonly limits: readonly string[];
  readonly option: DestOption;
}

export interface Rejection {
  readonly workloadId: string;
  readonly commClass: string;
  readonly from: string;
  readonly to: string;
  readonly reason: RejectReason;
  readonly trigger: string;
  readonly benefit: number;
  readonly cost: number;
  readonly detail: string;
}

export interface Plan {
  readonly passId: string;
  readonly ts: number;
  readonly moves: readonly PlannedMove[];
  readonly rejected: readonly Rejection[];
  /** A queued gang this plan's `room` moves make space for, and where; null when none. */
  readonly room: Room | null;
  readonly solver: {
    readonly method: string;
    readonly status: string;
    readonly variables: number;
    readonly objective: number;
  };
}

export interface PlanOptions {
  /** Manual one-shot "rebalance now (fresh)": every unpinned workload is a candidate. */
  readonly fresh?: boolean;
  /** A loaded HiGHS runtime; without it the greedy heuristic is used. */
  readonly highs?: Highs;
  /** Sees the assignment problem before it is solved (the bench measures solvers on it). */
  readonly onProblem?: (p: Problem) => void;
}

const HOUR_MS = 3_600_000;
/** A heuristic plan this close to the LP bound (share of the bound) is taken without the MILP. */
const CERTIFIED_GAP = 1e-3;

function lostWorkSeconds(w: WorkloadObservation, cfg: SchedulerConfig, now: number): number {
  // Inference moves make-before-break: the new replica serves before the old one drains.
  if (w.commClass === 'inference') return 0;
  if (w.lastCheckpointTs !== undefined) return Math.max(0, (now - w.lastCheckpointTs) / 1000);
  return cfg.migration.checkpointIntervalSeconds / 2;
}

interface Context {
  readonly obs: Observation;
  readonly asmt: Assessment;
  readonly cfg: SchedulerConfig;
  readonly mem: SchedulerMemory;
  readonly byId: ReadonlyMap<string, WorkloadObservation>;
  /** The fleet's allocated share over the balance regions (for the balance trigger's text). */
  readonly fleetShare: number;
  /** Starved regions that take moves (`ok`, not heating), in assessment order: the holes work may fill. */
  readonly holes: readonly RegionAssessment[];
  readonly holeRegions: ReadonlySet<string>;
  /** Workloads with a move in flight: neither a candidate nor moved for room. */
  readonly inFlight: ReadonlySet<string>;
  /**
   * GPUs per source region of the moves in flight whose workload is still seen there: they relieve
   * the source's overload and imbalance already.
   */
  readonly leaving: ReadonlyMap<string, number>;
}

function coupledRegions(ctx: Context, w: WorkloadObservation): string[] {
  const out: string[] = [];
  for (const id of w.coupledWith ?? []) {
    const p = ctx.byId.get(id);
    if (p) out.push(p.region);
  }
  return out;
}

/** GPU-seconds one GPU of w is worth in region r over the horizon. */
function valuePerGpu(ctx: Context, w: WorkloadObservation, r: RegionAssessment, partners: readonly string[]): number {
  const H = ctx.cfg.horizonSeconds;
  // Inference is priced by the answers it gives within its SLO, batch and training by their progress.
  let v = H * (w.commClass === 'inference' ? r.servingGoodness : r.goodness);
  const remote = partners.filter((p) => p !== r.region);
  if (remote.length > 0) {
    const degraded = remote.filter((p) => ctx.asmt.links.get(pairKey(r.region, p))?.degraded ?? true).length;
    v -= H * ctx.cfg.value.couplingPenalty * (degraded / partners.length);
  }
  return v;
}

/**
 * Why a workload in src is a candidate, or null. `into` limits its destinations: one that is a candidate only
 * because another region is starved may move only into a starved region. Balance elsewhere is the
 * imbalanced trigger's job, with its own threshold and persistence; without the limit a hole lets
 * every region above the share trade work with any region below it, moves that leave the hole and
 * the spread (max − min) as they were.
 */
function trigger(
  ctx: Context,
  src: RegionAssessment,
  partners: string[],
  fresh: boolean,
): { readonly text: string; readonly into?: ReadonlySet<string>; readonly shedOnly?: true } | null {
  const t = (text: string) => ({ text });
  const shed = (text: string) => ({ text, shedOnly: true as const });
  if (src.status === 'failed') return t(`evacuate: region ${src.region} failed (${src.reasons.join('; ')})`);
  if ((src.status === 'hot' && src.hotNow) || src.status === 'unhealthy') {
    const text = `region ${src.region} ${src.status}: ${src.reasons.join('; ')}`;
    // Hot by load alone: what it must shed is its overload (and, if imbalanced, its allocation above
    // the level where that clears); more is left to arrivals (see applyLimits).
    const byLoadOnly = src.status === 'hot' && !src.throttleHot && !src.errorsHot;
    return byLoadOnly ? shed(text) : t(text);
  }
  const bad = partners.filter(
    (p) => p !== src.region && (ctx.asmt.links.get(pairKey(src.region, p))?.degraded ?? true),
  );
  if (bad.length > 0) {
    const l = ctx.asmt.links.get(pairKey(src.region, bad[0] as string));
    return t(`link ${src.region}<->${bad[0]} degraded${l && l.reasons.length ? ` (${l.reasons.join('; ')})` : ''}`);
  }
  if (src.imbalanced && ctx.cfg.value.balancePerGpu > 0) {
    const B = ctx.cfg.balance;
    return shed(
      `region ${src.region} imbalanced: ${pct(src.share)} of its GPUs allocated, fleet ${pct(ctx.fleetShare)} (above +${pct(B.high)} pts, clears at +${pct(B.low)})`,
    );
  }
  if (ctx.cfg.value.balancePerGpu > 0 && src.share > ctx.fleetShare + ctx.cfg.balance.low) {
    // A hole a departure left that arrivals have not filled: work above the fleet's share may fill it.
    const hole = ctx.holes[0];
    if (hole)
      return {
        text: `region ${hole.region} starved: ${pct(hole.share)} of its GPUs allocated, fleet ${pct(ctx.fleetShare)} (below by more than ${pct(ctx.cfg.balance.high)} pts); ${src.region} holds ${pct(src.share)}`,
        into: ctx.holeRegions,
      };
  }
  if (fresh) return t('manual rebalance (fresh)');
  return null;
}

const pct = (x: number): string => `${Math.round(x * 100)}%`;

interface Blocked {
  readonly reason: RejectReason;
  readonly to: string;
  readonly detail: string;
}

/** Feasible destinations, or why there are none. */
function destinations(
  ctx: Context,
  w: WorkloadObservation,
  src: RegionAssessment,
  partners: readonly string[],
  evacuate: boolean,
  unitGpus: number,
  flaps: { count: number },
): DestOption[] | Blocked {
  const { cfg, asmt, obs, mem } = ctx;
  const job = peekJob(mem, w.id);
  const flapCutoff = obs.ts - cfg.flapWindowSeconds * 1000;
  const leftRecently = new Set(job.moves.filter((m) => m.ts >= flapCutoff).map((m) => m.from));
  const out: DestOption[] = [];
  let flapBlocked: string | null = null;
  for (const r of [...asmt.regions.values()]) {
    if (r.region === src.region || r.status !== 'ok' || r.heating) continue;
    if (w.gpuModel && !r.gpuModels.includes(w.gpuModel)) continue;
    if (w.minGpuMemoryBytes && (r.gpuMemoryBytes === null || r.gpuMemoryBytes < w.minGpuMemoryBytes)) continue;
    if (r.ceilingGpus - r.gpusAllocated < unitGpus) continue;
    // Data/tensor-parallel gangs never span regions unless they declare low-communication sync.
    const remote = partners.filter((p) => p !== r.region);
    if (w.commClass === 'data_parallel' && !w.lowComm && remote.length > 0) continue;
    let linksOk = true;
    for (const p of remote) {
      const l = asmt.links.get(pairKey(r.region, p));
      if (!l || l.degraded) linksOk = false;
      else if (w.latencyBudgetMs !== undefined && (l.rttMs === null || l.rttMs > w.latencyBudgetMs)) linksOk = false;
    }
    if (!linksOk) continue;
    // The checkpoint crosses the source→destination link; a failed region's checkpoint is assumed
    // replicated off-region (a dark region cannot be read), so evacuation pays no transfer.
    let transfer = 0;
    if (!evacuate && w.checkpointBytes > 0) {
      const l = asmt.links.get(pairKey(src.region, r.region));
      if (!l || l.spareBps === null || l.spareBps <= 0) continue;
      transfer = w.checkpointBytes / l.spareBps;
    }
    if (leftRecently.has(r.region)) {
      flapBlocked = r.region;
      continue;
    }
    const restart = w.restartSeconds ?? cfg.migration.restartSeconds;
    const lost = lostWorkSeconds(w, cfg, obs.ts);
    out.push({
      region: r.region,
      valuePerGpu: valuePerGpu(ctx, w, r, partners),
      costPerUnit: unitGpus * (transfer + restart + lost) + cfg.migration.overheadGpuSeconds,
      transferSeconds: transfer,
      restartSeconds: restart,
      lostWorkSeconds: lost,
    });
  }
  if (out.length === 0 && flapBlocked !== null) {
    flaps.count++;
    return {
      reason: 'flap-prevented',
      to: flapBlocked,
      detail: `would return to ${flapBlocked}, left within ${cfg.flapWindowSeconds} s`,
    };
  }
  if (out.length === 0)
    return {
      reason: 'no-feasible-destination',
      to: '',
      detail: 'no region with headroom, the GPU model, and healthy links',
    };
  return out.sort((a, b) => cmp(a.region, b.region));
}

export interface PlanResult {
  readonly plan: Plan;
  /** A→B→A returns refused this pass. */
  readonly flapsPrevented: number;
  readonly solveMs: number;
}

export function plan(
  obs: Observation,
  asmt: Assessment,
  cfg: SchedulerConfig,
  mem: SchedulerMemory,
  opts: PlanOptions = {},
): PlanResult {
  const passId = `pass-${obs.ts}`;
  const byId = new Map(obs.workloads.map((w) => [w.id, w]));
  const balance = balanceTerm(asmt, cfg, mem, byId);
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
  const ctx: Context = {
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
  const rejected: Rejection[] = [];
  const candidates: Candidate[] = [];
  /** Candidates there only to fill a starved region (see fillHoles). */
  const holeFillers = new Set<Candidate>();
  const flaps = { count: 0 };
  const reject = (w: WorkloadObservation, trig: string, b: Blocked, benefit = 0, cost = 0) =>
    rejected.push({
      workloadId: w.id,
      commClass: w.commClass,
      from: w.region,
      to: b.to,
      reason: b.reason,
      trigger: trig,
      benefit,
      cost,
      detail: b.detail,
    });

  const workloads = [...obs.workloads].sort((a, b) => cmp(a.id, b.id));
  for (const w of workloads) {
    if (ctx.inFlight.has(w.id)) continue;
    const src = asmt.regions.get(w.region);
    if (!src) continue;
    const partners = coupledRegions(ctx, w);
    const why = trigger(ctx, src, partners, opts.fresh ?? false);
    if (why === null) continue;
    const trig = why.text;
    const evacuate = src.status === 'failed';
    const job = peekJob(mem, w.id);
    const last = job.moves[job.moves.length - 1];
    if (w.pinned) {
      reject(w, trig, { reason: 'pinned', to: '', detail: 'workload is pinned (opted out of moves)' });
      continue;
    }
    if (src.status === 'unknown') {
      reject(w, trig, {
        reason: 'source-stale',
        to: '',
        detail: 'source region data is stale; waiting for the failover timeout',
      });
      continue;
    }
    if (!evacuate && w.priority >= cfg.limits.priorityThreshold) {
      reject(w, trig, {
        reason: 'priority',
        to: '',
        detail: `priority ${w.priority} ≥ ${cfg.limits.priorityThreshold}`,
      });
      continue;
    }
    if (!evacuate && last && obs.ts - last.ts < cfg.cooldownSeconds * 1000) {
      reject(w, trig, {
        reason: 'cooldown',
        to: '',
        detail: `moved ${Math.round((obs.ts - last.ts) / 1000)} s ago; cooldown ${cfg.cooldownSeconds} s`,
      });
      continue;
    }
    if (obs.ts < job.notBefore) {
      reject(w, trig, {
        reason: 'backoff',
        to: '',
        detail: `backing off after ${job.failures} failed move(s) until ${new Date(job.notBefore).toISOString()}`,
      });
      continue;
    }
    const divisible =
      w.commClass === 'inference' && w.replicaGpus !== undefined && w.replicaGpus > 0 && w.gpus % w.replicaGpus === 0;
    const unitGpus = divisible ? (w.replicaGpus as number) : w.gpus;
    const units = divisible ? w.gpus / unitGpus : 1;
    const found = destinations(ctx, w, src, partners, evacuate, unitGpus, flaps);
    if (!Array.isArray(found)) {
      reject(w, trig, found);
      continue;
    }
    const dests = why.into ? found.filter((d) => why.into?.has(d.region)) : found;
    if (dests.length === 0) {
      reject(w, trig, {
        reason: 'no-feasible-destination',
        to: '',
        detail: `moved only to fill a starved region (${[...(why.into ?? [])].join(', ')}), and none can take it`,
      });
      continue;
    }
    const cand: Candidate = {
      workload: w,
      source: w.region,
      units,
      unitGpus,
      sourceValuePerGpu: valuePerGpu(ctx, w, src, partners),
      trigger: trig,
      evacuate,
      options: dests,
      ...(why.shedOnly ? { shedOnly: true } : {}),
    };
    candidates.push(cand);
    if (why.into) holeFillers.add(cand);
  }
  if (balance && holeFillers.size > 0) fillHoles(ctx, balance, candidates, holeFillers, reject);

  // Capacity: the top of each destination's load band, less moves already heading there.
  const incoming = new Map<string, number>();
  for (const m of unlandedMoves(mem, byId)) incoming.set(m.to, (incoming.get(m.to) ?? 0) + m.gpus);
  const headroom = new Map<string, number>();
  for (const r of asmt.regions.values())
    if (r.status === 'ok')
      headroom.set(r.region, Math.max(0, r.ceilingGpus - r.gpusAllocated - (incoming.get(r.region) ?? 0)));
  const reserve = keepRoomForLargestGang(headroom, asmt, cfg, obs, candidates);
  const excess = new Map<string, number>();
  for (const r of asmt.regions.values()) {
    if (r.targetGpus !== null && (r.status === 'hot' || r.status === 'unhealthy'))
      // Load is the larger of allocation and measured use, so a region hot by utilization alone
      // also has GPUs' worth of overload to shed.
      excess.set(r.region, Math.max(0, Math.round(r.loadRecent * r.gpusTotal) - r.targetGpus));
    // A failed region must be emptied entirely.
    if (r.status === 'failed') excess.set(r.region, r.gpusAllocated);
  }
  // Moves already under way relieve their source even while the observation still shows the
  // workload there; without this the next pass would move more for the same overload.
  for (const [from, gpus] of ctx.leaving) {
    const e = excess.get(from);
    if (e !== undefined) excess.set(from, Math.max(0, e - gpus));
  }
  const problem: Problem = {
    candidates,
    headroom,
    excess,
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
    flapsPrevented: flaps.count,
    solveMs,
  };
}

/**
 * A starved region is filled with the fewest moves: of the candidates there only to fill one, each
 * starved region keeps the one that brings the most for its cost (the imbalance it removes, up to the
 * region's deficit, less margin × cost), and the others are held this pass. Steered arrivals fill
 * the rest of the hole at no migration; without this a hole drew several small moves (inference
 * sets are cheap to move) where one larger one covers it.
 */
function fillHoles(
  ctx: Context,
  balance: BalanceTerm,
  candidates: Candidate[],
  fillers: ReadonlySet<Candidate>,
  reject: (w: WorkloadObservation, trig: string, b: Blocked) => void,
): void {
  const perGpu = 2 * balance.value;
  const keep = new Set<Candidate>();
  const best = new Map<string, { cand: Candidate; score: number; deficit: number }>();
  for (const c of fillers)
    for (const o of c.options) {
      const r = balance.regions.get(o.region);
      if (!r) continue;
      const deficit = Math.max(0, balance.share * r.total - r.allocated);
      const units = Math.min(c.units, Math.max(1, Math.ceil(deficit / c.unitGpus)));
      const score = Math.min(units * c.unitGpus, deficit) * perGpu - ctx.cfg.margin * units * o.costPerUnit;
      const cur = best.get(o.region);
      if (!cur || score > cur.score || (score === cur.score && cmp(c.workload.id, cur.cand.workload.id) < 0))
        best.set(o.region, { cand: c, score, deficit });
    }
  // A hole already filled (by arrivals, or moves in flight) keeps none: they would only trade work.
  for (const b of best.values()) if (b.score > 0) keep.add(b.cand);
  for (const c of fillers) {
    if (keep.has(c)) continue;
    candidates.splice(candidates.indexOf(c), 1);
    const into = [...best]
      .filter(([, b]) => keep.has(b.cand))
      .map(([r, b]) => `${b.cand.workload.id} into ${r} (deficit ${Math.round(b.deficit)} GPUs)`);
    reject(c.workload, c.trigger, {
      reason: 'not-selected',
      to: '',
      detail: `a starved region is filled with the fewest moves; this pass: ${into.join(', ')}; arrivals fill the rest`,
    });
  }
}

/**
 * Keeps `keepFreeGpus` (default: the largest gang running) free in the region with the most free
 * GPUs, by lowering its headroom. Evacuating a failed region may use the reserve: that work has
 * nowhere else to go.
 */
function keepRoomForLargestGang(
  headroom: Map<string, number>,
  asmt: Assessment,
  cfg: SchedulerConfig,
  obs: Observation,
  candidates: readonly Candidate[],
): Reserve | null {
  if (candidates.some((c) => c.evacuate)) return null;
  const keep = cfg.keepFreeGpus ?? obs.workloads.reduce((n, w) => Math.max(n, w.gpus), 0);
  if (keep <= 0) return null;
  let roomiest: RegionAssessment | null = null;
  for (const r of [...asmt.regions.values()].sort((a, b) => cmp(a.region, b.region))) {
    if (r.status !== 'ok') continue;
    if (!roomiest || r.gpusTotal - r.gpusAllocated > roomiest.gpusTotal - roomiest.gpusAllocated) roomiest = r;
  }
  if (!roomiest) return null;
  // A region short of the room takes nothing more, so that departures can open the room up again.
  const free = roomiest.gpusTotal - roomiest.gpusAllocated;
  headroom.set(roomiest.region, Math.max(0, Math.min(headroom.get(roomiest.region) ?? 0, free - keep)));
  return { region: roomiest.region, gpus: keep };
}

/** The room the plan keeps free for the largest gang (see keepRoomForLargestGang). */
interface Reserve {
  readonly region: string;
  readonly gpus: number;
}

/**
 * The imbalance the plan prices: over the regions that may hold work (not unknown, not failed), with
 * moves in flight counted where they are going, so a pass does not re-balance what is already moving.
 */
function balanceTerm(
  asmt: Assessment,
  cfg: SchedulerConfig,
  mem: SchedulerMemory,
  byId: ReadonlyMap<string, WorkloadObservation>,
): BalanceTerm | undefined {
  const eligible = [...asmt.regions.values()].filter(
    (r) => r.gpusTotal > 0 && r.status !== 'unknown' && r.status !== 'failed',
  );
  if (eligible.length < 2 || cfg.value.balancePerGpu <= 0) return undefined;
  const alloc = shiftAllocation(new Map(eligible.map((r) => [r.region, r.gpusAllocated])), unlandedMoves(mem, byId));
  const regions = new Map<string, { total: number; allocated: number }>();
  for (const r of eligible)
    // A throttled or erring region's GPUs are worth their goodness as headroom: work that lands
    // there runs slow, so its share is taken of what its GPUs deliver, and leaving it balances.
    regions.set(r.region, { total: r.gpusTotal * r.goodness, allocated: alloc.get(r.region) as number });
  let total = 0;
  let allocated = 0;
  for (const v of regions.values()) {
    total += v.total;
    allocated += v.allocated;
  }
  // A GPU moved from a region above the share to one below removes 2 GPUs of imbalance, and is
  // worth balancePerGpu over the horizon.
  return { value: (cfg.value.balancePerGpu * cfg.horizonSeconds) / 2, regions, share: allocated / total };
}

export function solve(p: Problem, cfg: SchedulerConfig, highs: Highs | undefined): Solution {
  if (p.candidates.length === 0)
    return { method: 'none', status: 'no candidates', objective: 0, assignments: [], variables: 0 };
  const useMilp =
    highs !== undefined && cfg.solver !== 'greedy' && (cfg.solver === 'milp' || milpSize(p) <= cfg.milpMaxVariables);
  if (useMilp) {
    // The LP relaxation is solved first: on this transportation-like structure its optimum is
    // often integral already, which is then the MILP optimum too, at a fraction of the time.
    const lp = solveMilp(highs, p, { timeLimitSeconds: cfg.milpTimeLimitSeconds, relax: true });
    if (lp.status === 'optimal' && lp.assignments.every((a) => Math.abs(a.units - Math.round(a.units)) < 1e-6)) {
      return {
        ...lp,
        status: 'optimal',
        assignments: lp.assignments.map((a) => ({ ...a, units: Math.round(a.units) })).filter((a) => a.units > 0),
      };
    }
    // The LP bound certifies a heuristic plan: one within CERTIFIED_GAP of it is as good as the MILP
    // would prove, at a fraction of the time (the priced imbalance makes fractional optima common).
    if (lp.status === 'optimal') {
      const g = solveGreedy(p);
      if (g.objective >= lp.objective - CERTIFIED_GAP * Math.abs(lp.objective))
        return { ...g, status: 'greedy within 0.1 % of the LP bound' };
    }
    const s = solveMilp(highs, p, { timeLimitSeconds: cfg.milpTimeLimitSeconds });
    if (s.status === 'optimal' || s.status === 'empty') return s;
    // A MILP that did not prove optimality in time falls back to the heuristic, and says so.
    const g = solveGreedy(p);
    return { ...g, status: `greedy after milp ${s.status}` };
  }
  return solveGreedy(p);
}

interface Chosen {
  readonly cand: Candidate;
  readonly opt: DestOption;
  readonly units: number;
  readonly net: number;
}

function applyLimits(
  ctx: Context,
  p: Problem,
  s: Solution,
  passId: string,
  rejected: Rejection[],
  reserve: Reserve | null,
  ledger: PassLedger,
): PlannedMove[] {
  const { cfg, asmt } = ctx;
  const balanceValue = p.balance?.value ?? 0;
  /** What removing imbalance by these moves is worth, on top of an allocation. */
  const balanceGain = (base: Map<string, number>, moves: { from: string; to: string; gpus: number }[]) =>
    balanceValue > 0 ? balanceValue * (imbalanceOf(p, base) - imbalanceOf(p, shiftAllocation(base, moves))) : 0;
  const before = balanceAllocation(p, []);
  const chosen: Chosen[] = s.assignments.map((a) => {
    const cand = p.candidates[a.candidate] as Candidate;
    const opt = cand.options[a.option] as DestOption;
    const relief = (p.excess.get(cand.source) ?? 0) > 0 ? p.overloadValue * a.units * cand.unitGpus : 0;
    const alone = balanceGain(before, [{ from: cand.source, to: opt.region, gpus: a.units * cand.unitGpus }]);
    return { cand, opt, units: a.units, net: a.units * coefficient(cand, opt, p.margin) + relief + alone };
  });
  chosen.sort(
    (a, b) => b.net - a.net || cmp(a.cand.workload.id, b.cand.workload.id) || cmp(a.opt.region, b.opt.region),
  );

  // Candidates the solver left where they are: say why.
  const picked = new Set(chosen.map((c) => c.cand.workload.id));
  // Overload left in each source once the chosen moves are made: a candidate only "pays" if moving
  // it would still relieve something.
  const leftOver = new Map(p.excess);
  for (const c of chosen)
    leftOver.set(c.cand.source, Math.max(0, (leftOver.get(c.cand.source) ?? 0) - c.units * c.cand.unitGpus));
  const allChosen = balanceAllocation(
    p,
    chosen.map((c) => ({ from: c.cand.source, to: c.opt.region, gpus: c.units * c.cand.unitGpus })),
  );
  for (const c of p.candidates) {
    if (picked.has(c.workload.id)) continue;
    const relief = p.overloadValue * Math.min(leftOver.get(c.source) ?? 0, c.unitGpus);
    // Its best destination, counting what it would add to the chosen moves' balance.
    let best = c.options[0] as DestOption;
    let gain = 0;
    let worth = -Infinity;
    for (const o of c.options) {
      const g = balanceGain(allChosen, [{ from: c.source, to: o.region, gpus: c.units * c.unitGpus }]);
      const v = coefficient(c, o, p.margin) + g;
      if (v > worth) {
        worth = v;
        best = o;
        gain = g;
      }
    }
    const pays = worth + relief > 0;
    // What actually kept it: the room left at its best destination once the chosen moves land, the
    // room kept there for the largest gang, or else the solver's trade-off.
    let into = 0;
    for (const x of chosen) if (x.opt.region === best.region) into += x.units * x.cand.unitGpus;
    const roomLeft = Math.max(0, (p.headroom.get(best.region) ?? 0) - into);
    const kept = reserve?.region === best.region ? ` (it keeps ${reserve.gpus} GPUs free for the largest gang)` : '';
    const why =
      roomLeft < c.unitGpus
        ? `destination ${best.region} has ${roomLeft} GPUs of headroom left after this pass's other moves${kept}; it needs ${c.unitGpus}`
        : `the solver's plan scores higher without it: its move adds no more than the chosen moves already bring (overload relieved, imbalance removed)`;
    rejected.push({
      workloadId: c.workload.id,
      commClass: c.workload.commClass,
      from: c.source,
      to: best.region,
      reason: pays ? 'not-selected' : 'cost-exceeds-benefit',
      trigger: c.trigger,
      benefit:
        c.units * c.unitGpus * (best.valuePerGpu - c.sourceValuePerGpu) +
        p.overloadValue * Math.min(leftOver.get(c.source) ?? 0, c.units * c.unitGpus) +
        gain,
      cost: c.units * best.costPerUnit,
      detail: pays ? why : `cost × margin ${p.margin} exceeds the benefit over ${cfg.horizonSeconds} s`,
    });
  }

  const excessLeft = new Map(p.excess);
  const shedFor = new Map(ctx.leaving);
  const groupsMoving = new Set<string>();
  const out: PlannedMove[] = [];
  // Allocation once the moves accepted so far are made: each move is credited with the imbalance it
  // removes on top of them (past the fleet's share, moving more removes nothing).
  let balanced = before;

  for (const c of chosen) {
    const w = c.cand.workload;
    const gpus = c.units * c.cand.unitGpus;
    const ex = excessLeft.get(c.cand.source) ?? 0;
    const relief = p.overloadValue * Math.min(ex, gpus);
    const shift = [{ from: c.cand.source, to: c.opt.region, gpus }];
    const benefit = gpus * (c.opt.valuePerGpu - c.cand.sourceValuePerGpu) + relief + balanceGain(balanced, shift);
    const cost = c.units * c.opt.costPerUnit;
    const rej = (reason: RejectReason, detail: string) =>
      rejected.push({
        workloadId: w.id,
        commClass: w.commClass,
        from: c.cand.source,
        to: c.opt.region,
        reason,
        trigger: c.cand.trigger,
        benefit,
        cost,
        detail,
      });
    const limits: string[] = [];
    limits.push('benefit>cost×margin');
    if (!(benefit > cost * p.margin)) {
      rej(
        'cost-exceeds-benefit',
        `benefit ${benefit.toFixed(0)} ≤ cost ${cost.toFixed(0)} × margin ${p.margin} (GPU-s)`,
      );
      continue;
    }
    // Work that leaves a region only for its load or its imbalance stops leaving once the region's
    // overload is covered and its allocation is back within `balance.low` of the fleet's share (where
    // `imbalanced` clears), counting moves in flight and this pass's: past that, the priced imbalance
    // would keep trading work for the last points of spread, which steered arrivals even out free.
    const src = asmt.regions.get(c.cand.source);
    const bandLeft = src?.imbalanced
      ? src.gpusAllocated - (ctx.fleetShare + cfg.balance.low) * src.gpusTotal - (shedFor.get(c.cand.source) ?? 0)
      : 0;
    limits.push('overload-and-band');
    if (c.cand.shedOnly && ex <= 0 && bandLeft <= 0) {
      rej(
        'not-selected',
        `region ${c.cand.source}: its overload is covered${src?.imbalanced ? ` and it is within +${pct(cfg.balance.low)} of the fleet's share` : ''} once this pass's moves and those in flight land; arrivals even out the rest`,
      );
      continue;
    }
    const group = [w.id, ...(w.coupledWith ?? [])].sort().join('+');
    const partnerMoving = (w.coupledWith ?? []).some((id) => groupsMoving.has(id));
    limits.push('coupled-one-at-a-time');
    if (partnerMoving) {
      rej('coupled-partner-moving', `a coupled stage of ${group} already moves this pass`);
      continue;
    }
    limits.push(`moves-per-pass≤${cfg.limits.movesPerPass}`);
    if (ledger.moves >= cfg.limits.movesPerPass) {
      rej('moves-per-pass', `${cfg.limits.movesPerPass} moves already planned this pass`);
      continue;
    }
    limits.push(`moves-per-hour≤${cfg.limits.movesPerHour}`);
    if (ledger.hourly >= cfg.limits.movesPerHour) {
      rej('moves-per-hour', `${ledger.hourly} moves in the last hour`);
      continue;
    }
    limits.push(`moves-per-region≤${cfg.limits.movesPerRegionPerPass}`);
    const fromN = ledger.perRegion.get(c.cand.source) ?? 0;
    const toN = ledger.perRegion.get(c.opt.region) ?? 0;
    if (fromN >= cfg.limits.movesPerRegionPerPass || toN >= cfg.limits.movesPerRegionPerPass) {
      rej(
        'moves-per-region',
        `region ${fromN >= cfg.limits.movesPerRegionPerPass ? c.cand.source : c.opt.region} reached ${cfg.limits.movesPerRegionPerPass} moves this pass`,
      );
      continue;
    }
    if (!c.cand.evacuate) {
      limits.push(`disruption-budget≤${ledger.budget}`);
      if (ledger.disrupted + gpus > ledger.budget) {
        rej('disruption-budget', `${ledger.disrupted} GPUs already migrating; budget ${ledger.budget}`);
        continue;
      }
    }
    const room = ledger.headroom.get(c.opt.region) ?? 0;
    if (room < gpus) {
      rej('not-selected', `destination ${c.opt.region} has ${room} GPUs of headroom left`);
      continue;
    }
    ledger.take(c.cand.source, c.opt.region, gpus);
    excessLeft.set(c.cand.source, Math.max(0, ex - gpus));
    shedFor.set(c.cand.source, (shedFor.get(c.cand.source) ?? 0) + gpus);
    balanced = shiftAllocation(balanced, shift);
    groupsMoving.add(w.id);
    const divisible = c.cand.units > 1 || c.cand.unitGpus !== w.gpus;
    out.push({
      move: {
        moveId: `${passId}:${w.id}:${c.opt.region}`,
        workloadId: w.id,
        from: c.cand.source,
        to: c.opt.region,
        gpus,
        checkpointBytes: w.checkpointBytes,
        reason: c.cand.trigger,
        commClass: w.commClass,
        ...(divisible ? { replicas: c.units } : {}),
      },
      benefit,
      cost,
      trigger: c.cand.trigger,
      evacuate: c.cand.evacuate,
      limits,
      option: c.opt,
    });
  }
  return out;
}

export interface Room {
  /** The queued gang. */
  readonly workloadId: string;
  /** The region room is made in. */
  readonly region: string;
  readonly gpus: number;
}

/**
 * Room for a queued gang that fits in no region. The gang's GPUs wait idle for as long as it queues,
 * and no standing reserve is kept for it (a reserve holds a region half empty for as long as it
 * stands), so room is made when a gang actually waits: in the eligible region with the most free
 * GPUs, by moving out the fewest workloads whose GPUs cover the shortfall, each to the healthy region
 * with the most headroom. Only gangs that stop to move (training, batch) free their GPUs at once;
 * inference moves make-before-break, so it is not moved for room. The moves pass every limit the
 * plan's own moves do, and each must be worth more than its cost × margin: its share (by GPUs) of the
 * gang's GPUs × half the horizon, the wait assumed when nothing is done (the real wait is unknown).
 * All or nothing: moves that would not open the whole room are not made.
 */
function makeRoom(
  ctx: Context,
  p: Problem,
  planned: readonly PlannedMove[],
  passId: string,
  rejected: Rejection[],
  ledger: PassLedger,
): (Room & { readonly moves: PlannedMove[] }) | null {
  const { obs, asmt, mem } = ctx;
  const queued = obs.queued ?? [];
  if (queued.length === 0) return null;
  // Allocation once moves in flight and this pass's moves land.
  const alloc = shiftAllocation(new Map([...asmt.regions.values()].map((r) => [r.region, r.gpusAllocated])), [
    ...unlandedMoves(mem, ctx.byId),
    ...planned.map((m) => m.move),
  ]);
  // Where the gang may start: a region hot only by load (often still in its dead band after a
  // surge) sheds work for room like any other; a throttled, erring, stale or failed one would slow it.
  const open = [...asmt.regions.values()]
    .filter((r) => (r.status === 'ok' || (r.status === 'hot' && !r.throttleHot)) && !r.errorsHot)
    .sort((a, b) => cmp(a.region, b.region));
  const free = (r: RegionAssessment) => r.gpusTotal - (alloc.get(r.region) ?? 0);
  const fits = (g: WorkloadObservation, r: RegionAssessment) =>
    r.gpusTotal >= g.gpus && (!g.gpuModel || r.gpuModels.includes(g.gpuModel));
  // The largest gang that fits nowhere now (ties: the first by id, as the queue is read).
  const gang = [...queued]
    .sort((a, b) => b.gpus - a.gpus || cmp(a.id, b.id))
    .find((g) => open.some((r) => fits(g, r)) && !open.some((r) => fits(g, r) && free(r) >= g.gpus));
  if (!gang) return null;
  // The roomiest region first; the next where the roomiest cannot make room (nothing movable, or no
  // destination takes what it holds). The first region's refusal is the one recorded.
  const homes = open.filter((r) => fits(gang, r)).sort((a, b) => free(b) - free(a) || cmp(a.region, b.region));
  let first: { src: RegionAssessment; detail: string } | null = null;
  for (const src of homes) {
    const made = roomIn(ctx, p, planned, passId, gang, src, free(src), ledger.clone());
    if (Array.isArray(made)) return { workloadId: gang.id, region: src.region, gpus: gang.gpus, moves: made };
    first ??= { src, detail: made };
  }
  if (first)
    rejected.push({
      workloadId: gang.id,
      commClass: gang.commClass,
      from: gang.region,
      to: first.src.region,
      reason: 'no-feasible-destination',
      trigger: roomTrigger(gang, first.src, free(first.src)),
      benefit: 0,
      cost: 0,
      detail: first.detail,
    });
  return null;
}

const roomTrigger = (gang: WorkloadObservation, src: RegionAssessment, free: number): string =>
  `room for queued ${gang.id} (${gang.gpus} GPUs): ${src.region} has ${free} free`;

/** The moves that open `gang.gpus` free GPUs in src, or why they cannot be made. */
function roomIn(
  ctx: Context,
  p: Problem,
  planned: readonly PlannedMove[],
  passId: string,
  gang: WorkloadObservation,
  src: RegionAssessment,
  free: number,
  pass: PassLedger,
): PlannedMove[] | string {
  const { obs, cfg, mem } = ctx;
  const short = gang.gpus - free;
  const trig = roomTrigger(gang, src, free);
  // A region's own refusals of a move back (A→B→A) are counted by the plan's moves, not here.
  const flaps = { count: 0 };

  // Headroom left in each destination once this pass's moves land.
  const headroom = pass.headroom;
  const moving = new Set(planned.map((m) => m.move.workloadId));
  const stake = (gang.gpus * cfg.horizonSeconds) / 2;
  interface Option {
    readonly w: WorkloadObservation;
    readonly dest: DestOption;
    readonly cost: number;
    readonly benefit: number;
  }
  const options: Option[] = [];
  for (const w of [...obs.workloads].sort((a, b) => cmp(a.id, b.id))) {
    if (w.region !== src.region || w.commClass === 'inference' || w.pinned || (w.coupledWith?.length ?? 0) > 0)
      continue;
    if (w.gpus >= gang.gpus || ctx.inFlight.has(w.id) || moving.has(w.id)) continue;
    if (w.priority >= cfg.limits.priorityThreshold) continue;
    const job = peekJob(mem, w.id);
    const last = job.moves[job.moves.length - 1];
    if ((last && obs.ts - last.ts < cfg.cooldownSeconds * 1000) || obs.ts < job.notBefore) continue;
    const dests = destinations(ctx, w, src, [], false, w.gpus, flaps);
    if (!Array.isArray(dests)) continue;
    let dest: DestOption | null = null;
    for (const d of dests)
      if (
        (headroom.get(d.region) ?? 0) >= w.gpus &&
        (!dest || (headroom.get(d.region) ?? 0) > (headroom.get(dest.region) ?? 0))
      )
        dest = d;
    if (!dest) continue;
    // Its own value there against here counts too (a throttled home is worth leaving).
    const gain = w.gpus * (dest.valuePerGpu - valuePerGpu(ctx, w, src, []));
    options.push({ w, dest, cost: dest.costPerUnit, benefit: (stake * Math.min(w.gpus, short)) / short + gain });
  }
  // One workload that covers the shortfall, the cheapest; else the largest first, fewest moves.
  const single = options.filter((o) => o.w.gpus >= short).sort((a, b) => a.cost - b.cost || cmp(a.w.id, b.w.id))[0];
  const picked: Option[] = [];
  if (single) picked.push(single);
  else {
    let covered = 0;
    for (const o of [...options].sort((a, b) => b.w.gpus - a.w.gpus || a.cost - b.cost || cmp(a.w.id, b.w.id))) {
      if (covered >= short) break;
      picked.push(o);
      covered += o.w.gpus;
    }
    if (covered < short)
      return `${src.region} is ${short} GPUs short, and its training and batch that may move elsewhere hold only ${covered}`;
  }

  // The same limits as the plan's own moves, counted on top of them (the ledger has booked those).
  const L = cfg.limits;
  if (pass.moves + picked.length > L.movesPerPass)
    return `making room takes ${picked.length} moves; ${pass.moves} of ${L.movesPerPass} per pass already planned`;
  if (pass.hourly + picked.length > L.movesPerHour)
    return `making room takes ${picked.length} moves; ${pass.hourly} of ${L.movesPerHour} in the last hour already made`;
  const moves: PlannedMove[] = [];
  for (const o of picked) {
    if (!(o.benefit > o.cost * p.margin))
      return `moving ${o.w.id} (${o.w.gpus} GPUs) for room: benefit ${o.benefit.toFixed(0)} ≤ cost ${o.cost.toFixed(0)} × margin ${p.margin} (GPU-s)`;
    for (const r of [src.region, o.dest.region])
      if ((pass.perRegion.get(r) ?? 0) + 1 > L.movesPerRegionPerPass)
        return `making room needs more than ${L.movesPerRegionPerPass} moves in ${r} this pass`;
    if (pass.disrupted + o.w.gpus > pass.budget)
      return `making room would put ${pass.disrupted + o.w.gpus} GPUs in migration; budget ${pass.budget}`;
    const room = headroom.get(o.dest.region) ?? 0;
    if (room < o.w.gpus) return `destination ${o.dest.region} has ${room} GPUs of headroom left`;
    pass.take(src.region, o.dest.region, o.w.gpus);
    moves.push({
      move: {
        moveId: `${passId}:${o.w.id}:${o.dest.region}`,
        workloadId: o.w.id,
        from: src.region,
        to: o.dest.region,
        gpus: o.w.gpus,
        checkpointBytes: o.w.checkpointBytes,
        reason: trig,
        commClass: o.w.commClass,
      },
      benefit: o.benefit,
      cost: o.cost,
      trigger: trig,
      evacuate: false,
      limits: [
        'benefit>cost×margin',
        `moves-per-pass≤${L.movesPerPass}`,
        `moves-per-hour≤${L.movesPerHour}`,
        `moves-per-region≤${L.movesPerRegionPerPass}`,
        `disruption-budget≤${pass.budget}`,
      ],
      option: o.dest,
    });
  }
  return moves;
}
