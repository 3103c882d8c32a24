/**
 * The safety limits, applied to the solver's moves in order of net benefit: benefit over cost ×
 * margin, the overload and balance band, coupled stages one at a time, moves per pass, per hour and
 * per region, the disruption budget and the destination's headroom. Every candidate left where it is
 * gets a hold naming why.
 */
import { cmp } from '../order.js';
import type { PassLedger } from './pass-ledger.js';
import {
  balanceAllocation,
  coefficient,
  imbalanceOf,
  shiftAllocation,
  type Candidate,
  type DestOption,
  type Problem,
  type Solution,
} from './problem.js';
import type { Reserve } from './capacity.js';
import { pct, type Context, type PlannedMove, type RejectReason, type Rejection } from './types.js';

interface Chosen {
  readonly cand: Candidate;
  readonly opt: DestOption;
  readonly units: number;
  readonly net: number;
}

type Shift = { from: string; to: string; gpus: number }[];

/** What removing imbalance by these moves is worth, on top of an allocation. */
function balanceGain(p: Problem, base: Map<string, number>, moves: Shift): number {
  const balanceValue = p.balance?.value ?? 0;
  return balanceValue > 0 ? balanceValue * (imbalanceOf(p, base) - imbalanceOf(p, shiftAllocation(base, moves))) : 0;
}

/** The solver's moves, best net benefit first; the candidates it left where they are are held, saying why. */
export function applyLimits(
  ctx: Context,
  p: Problem,
  s: Solution,
  passId: string,
  rejected: Rejection[],
  reserve: Reserve | null,
  ledger: PassLedger,
): PlannedMove[] {
  const before = balanceAllocation(p, []);
  const chosen: Chosen[] = s.assignments.map((a) => {
    const cand = p.candidates[a.candidate] as Candidate;
    const opt = cand.options[a.option] as DestOption;
    const relief = (p.excess.get(cand.source) ?? 0) > 0 ? p.overloadValue * a.units * cand.unitGpus : 0;
    const alone = balanceGain(p, before, [{ from: cand.source, to: opt.region, gpus: a.units * cand.unitGpus }]);
    return { cand, opt, units: a.units, net: a.units * coefficient(cand, opt, p.margin) + relief + alone };
  });
  chosen.sort(
    (a, b) => b.net - a.net || cmp(a.cand.workload.id, b.cand.workload.id) || cmp(a.opt.region, b.opt.region),
  );
  holdUnpicked(ctx, p, chosen, rejected, reserve);
  return acceptMoves(ctx, p, chosen, before, passId, rejected, ledger);
}

/** Candidates the solver left where they are: say why. */
function holdUnpicked(
  ctx: Context,
  p: Problem,
  chosen: readonly Chosen[],
  rejected: Rejection[],
  reserve: Reserve | null,
): void {
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
      const g = balanceGain(p, allChosen, [{ from: c.source, to: o.region, gpus: c.units * c.unitGpus }]);
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
      detail: pays ? why : `cost × margin ${p.margin} exceeds the benefit over ${ctx.cfg.horizonSeconds} s`,
    });
  }
}

/**
 * The limits, in order of net benefit: each accepted move is booked in the ledger, so the next is
 * held to what is left.
 */
function acceptMoves(
  ctx: Context,
  p: Problem,
  chosen: readonly Chosen[],
  before: Map<string, number>,
  passId: string,
  rejected: Rejection[],
  ledger: PassLedger,
): PlannedMove[] {
  const { cfg, asmt } = ctx;
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
    const benefit = gpus * (c.opt.valuePerGpu - c.cand.sourceValuePerGpu) + relief + balanceGain(p, balanced, shift);
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
    // mutation-check: cost vs benefit
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
    // mutation-check: load/imbalance: stop at band
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
    // A resubmission of work its failed region stopped disrupts nothing that runs and moves no
    // bytes: the move limits, which bound disruption and churn, do not count it; headroom does.
    // mutation-check: stopped work: no move limits
    if (!c.cand.stopped) {
      limits.push(`moves-per-pass≤${cfg.limits.movesPerPass}`);
      if (ledger.moves >= cfg.limits.movesPerPass) {
        rej('moves-per-pass', `${cfg.limits.movesPerPass} moves already planned this pass`);
        continue;
      }
      limits.push(`moves-per-hour≤${cfg.limits.movesPerHour}`);
      // mutation-check: rate limit
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
    }
    const room = ledger.headroom.get(c.opt.region) ?? 0;
    if (room < gpus) {
      rej('not-selected', `destination ${c.opt.region} has ${room} GPUs of headroom left`);
      continue;
    }
    // mutation-check: stopped work: no move limits
    if (c.cand.stopped) ledger.takeRoom(c.opt.region, gpus);
    else ledger.take(c.cand.source, c.opt.region, gpus);
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
      ...(c.cand.stopped ? { stopped: true as const } : {}),
      limits,
      option: c.opt,
    });
  }
  return out;
}
