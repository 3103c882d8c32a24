/**
 * Candidates: which workloads have a reason to move (triggers), where each may go (feasibility), what
 * a move costs, and, for a starved region, the one candidate that fills it. A workload with a reason
 * to move that is stopped here is held, and the hold names the rule.
 */
import { cmp } from '../order.js';
import type { RegionAssessment } from '../assess/assess.js';
import type { SchedulerConfig } from '../config.js';
import { pairKey, peekJob } from '../memory.js';
import type { WorkloadObservation } from '../observe/observation.js';
import type { BalanceTerm, Candidate, DestOption } from './problem.js';
import { pct, type Blocked, type Context } from './types.js';

function lostWorkSeconds(w: WorkloadObservation, cfg: SchedulerConfig, now: number): number {
  // Inference moves make-before-break: the new replica serves before the old one drains.
  if (w.commClass === 'inference') return 0;
  if (w.lastCheckpointTs !== undefined) return Math.max(0, (now - w.lastCheckpointTs) / 1000);
  return cfg.migration.checkpointIntervalSeconds / 2;
}

function coupledRegions(ctx: Context, w: WorkloadObservation): string[] {
  const out: string[] = [];
  for (const id of w.coupledWith ?? []) {
    const p = ctx.byId.get(id);
    if (p) out.push(p.region);
  }
  return out;
}

/**
 * Share of the per-move overhead a serving rescue pays: an inference replica leaving a region that
 * throttles. Such a move is make-before-break (the source serves until the target is up), so it
 * neither stops service nor loses work if it fails; what is left of the overhead (rescheduling,
 * image pull, cache warm-up) is about a twelfth of a gang's. Without it a one-GPU service, the bulk
 * of the Alibaba traces' LS pods, could never pay a move however late its answers (issue 18).
 */
export const SERVING_RESCUE_OVERHEAD_SHARE = 1 / 12;

/** The fixed GPU-seconds a move of one unit of w out of src costs (config migration.overheadGpuSeconds). */
export function moveOverhead(w: WorkloadObservation, src: RegionAssessment, cfg: SchedulerConfig): number {
  const o = cfg.migration.overheadGpuSeconds;
  return w.commClass === 'inference' && src.throttleHot ? o * SERVING_RESCUE_OVERHEAD_SHARE : o;
}

/** GPU-seconds one GPU of w is worth in region r over the horizon. */
export function valuePerGpu(
  ctx: Context,
  w: WorkloadObservation,
  r: RegionAssessment,
  partners: readonly string[],
): number {
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
  // mutation-check: degraded-link trigger
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

/** Feasible destinations, or why there are none. */
export function destinations(
  ctx: Context,
  w: WorkloadObservation,
  src: RegionAssessment,
  partners: readonly string[],
  evacuate: boolean,
  unitGpus: number,
  flaps: { count: number },
  stopped = false,
): DestOption[] | Blocked {
  const { cfg, asmt, obs, mem } = ctx;
  const job = peekJob(mem, w.id);
  const flapCutoff = obs.ts - cfg.flapWindowSeconds * 1000;
  const leftRecently = new Set(job.moves.filter((m) => m.ts >= flapCutoff).map((m) => m.from));
  const out: DestOption[] = [];
  let flapBlocked: string | null = null;
  for (const r of [...asmt.regions.values()]) {
    // mutation-check: freshest window: heating
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
    // mutation-check: flap (A→B→A)
    if (leftRecently.has(r.region)) {
      flapBlocked = r.region;
      continue;
    }
    const restart = w.restartSeconds ?? cfg.migration.restartSeconds;
    // Work already stopped by its region's failure has lost what it will lose; resubmitting it is
    // its restart, with none of a live move's overhead (it restarts, image pull and all, anyway).
    const lost = stopped ? 0 : lostWorkSeconds(w, cfg, obs.ts);
    out.push({
      region: r.region,
      valuePerGpu: valuePerGpu(ctx, w, r, partners),
      costPerUnit: unitGpus * (transfer + restart + lost) + (stopped ? 0 : moveOverhead(w, src, cfg)),
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
  reject: Hold,
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

/** Records a hold: a workload with a reason to move that a rule stops. */
export type Hold = (w: WorkloadObservation, trig: string, b: Blocked) => void;

/**
 * Every workload with a reason to move and somewhere to go, in id order; the others with a reason
 * are held through `hold`. Of those there only to fill a starved region, one per region is kept.
 */
export function findCandidates(
  ctx: Context,
  balance: BalanceTerm | undefined,
  fresh: boolean,
  hold: Hold,
): { candidates: Candidate[]; flapsPrevented: number } {
  const candidates: Candidate[] = [];
  /** Candidates there only to fill a starved region (see fillHoles). */
  const holeFillers = new Set<Candidate>();
  const flaps = { count: 0 };
  // Work queued in a failed region is evacuated too: the cluster that would restart it is gone, so
  // without a failover it waits for the region to come back (its services answer nothing meanwhile).
  const stranded = (ctx.obs.queued ?? []).filter((q) => ctx.asmt.regions.get(q.region)?.status === 'failed');
  const stopped = new Set(stranded.map((w) => w.id));
  for (const w of [...ctx.obs.workloads, ...stranded].sort((a, b) => cmp(a.id, b.id))) {
    const found = candidateFor(ctx, w, fresh, flaps, hold, stopped.has(w.id));
    if (found === null) continue;
    candidates.push(found.cand);
    if (found.holeFiller) holeFillers.add(found.cand);
  }
  // mutation-check: starved: fewest moves
  if (balance && holeFillers.size > 0) fillHoles(ctx, balance, candidates, holeFillers, hold);
  return { candidates, flapsPrevented: flaps.count };
}

/** w as a candidate, or null (no reason to move, or held: then `hold` has the rule). */
function candidateFor(
  ctx: Context,
  w: WorkloadObservation,
  fresh: boolean,
  flaps: { count: number },
  hold: Hold,
  stopped: boolean,
): { cand: Candidate; holeFiller: boolean } | null {
  if (ctx.inFlight.has(w.id)) return null;
  const src = ctx.asmt.regions.get(w.region);
  if (!src) return null;
  const partners = coupledRegions(ctx, w);
  const why = trigger(ctx, src, partners, fresh);
  if (why === null) return null;
  const trig = why.text;
  const evacuate = src.status === 'failed';
  const held = heldBy(ctx, w, src, evacuate);
  if (held !== null) {
    hold(w, trig, held);
    return null;
  }
  // mutation-check: gangs whole
  const divisible =
    w.commClass === 'inference' && w.replicaGpus !== undefined && w.replicaGpus > 0 && w.gpus % w.replicaGpus === 0;
  const unitGpus = divisible ? (w.replicaGpus as number) : w.gpus;
  const units = divisible ? w.gpus / unitGpus : 1;
  const found = destinations(ctx, w, src, partners, evacuate, unitGpus, flaps, stopped);
  if (!Array.isArray(found)) {
    hold(w, trig, found);
    return null;
  }
  // mutation-check: starved: into the hole only
  const dests = why.into ? found.filter((d) => why.into?.has(d.region)) : found;
  if (dests.length === 0) {
    hold(w, trig, {
      reason: 'no-feasible-destination',
      to: '',
      detail: `moved only to fill a starved region (${[...(why.into ?? [])].join(', ')}), and none can take it`,
    });
    return null;
  }
  const cand: Candidate = {
    workload: w,
    source: w.region,
    units,
    unitGpus,
    sourceValuePerGpu: valuePerGpu(ctx, w, src, partners),
    trigger: trig,
    evacuate,
    ...(stopped ? { stopped: true as const } : {}),
    options: dests,
    ...(why.shedOnly ? { shedOnly: true } : {}),
  };
  return { cand, holeFiller: why.into !== undefined };
}

/** The rule that keeps w where it is whatever the destinations (pinned, stale, priority, cooldown, backoff). */
function heldBy(ctx: Context, w: WorkloadObservation, src: RegionAssessment, evacuate: boolean): Blocked | null {
  const { obs, cfg } = ctx;
  const job = peekJob(ctx.mem, w.id);
  const last = job.moves[job.moves.length - 1];
  // mutation-check: pinned
  if (w.pinned) return { reason: 'pinned', to: '', detail: 'workload is pinned (opted out of moves)' };
  if (src.status === 'unknown')
    return {
      reason: 'source-stale',
      to: '',
      detail: 'source region data is stale; waiting for the failover timeout',
    };
  if (!evacuate && w.priority >= cfg.limits.priorityThreshold)
    return { reason: 'priority', to: '', detail: `priority ${w.priority} ≥ ${cfg.limits.priorityThreshold}` };
  // mutation-check: cooldown
  if (!evacuate && last && obs.ts - last.ts < cfg.cooldownSeconds * 1000)
    return {
      reason: 'cooldown',
      to: '',
      detail: `moved ${Math.round((obs.ts - last.ts) / 1000)} s ago; cooldown ${cfg.cooldownSeconds} s`,
    };
  if (obs.ts < job.notBefore)
    return {
      reason: 'backoff',
      to: '',
      detail: `backing off after ${job.failures} failed move(s) until ${new Date(job.notBefore).toISOString()}`,
    };
  return null;
}
