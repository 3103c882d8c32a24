/**
 * Room for a queued gang that fits in no region: the fewest training or batch moves out of the
 * roomiest region that can open it, held to the same limits as the plan's own moves.
 */
import { cmp } from '../order.js';
import type { RegionAssessment } from '../assess/assess.js';
import { peekJob, unlandedMoves } from '../memory.js';
import type { WorkloadObservation } from '../observe/observation.js';
import { destinations, valuePerGpu } from './candidates.js';
import type { PassLedger } from './pass-ledger.js';
import { shiftAllocation, type DestOption, type Problem } from './problem.js';
import type { Context, PlannedMove, Rejection, Room } from './types.js';

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
export function makeRoom(
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
