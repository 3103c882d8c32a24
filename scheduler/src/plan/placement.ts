/**
 * Placement steering: weights for where NEW work starts, by region, as Karmada's static weights place
 * new replicas. Balancing arrivals costs no migration, so the plan's moves are left for what only a
 * move can fix (hot, failing or badly linked regions) and the imbalance a move removes best.
 *
 * A region takes new work only while it is `ok` and not heating. Weights are each region's GPUs below
 * the highest allocated share ("fill the valleys"): the fullest region gets none, and a balanced
 * fleet gets weights in proportion to its free GPUs.
 *
 * No room is held back here for the largest gang: with arrivals steered, a standing reserve is
 * enforced (the reserve region stays half empty) and widens the spread for as long as it stands.
 * Room is made when a gang is actually queued instead (plan.ts, makeRoom).
 */
import { cmp } from '../order.js';
import type { Assessment, RegionAssessment } from '../assess/assess.js';
import type { SchedulerConfig } from '../config.js';
import { unlandedMoves, type SchedulerMemory } from '../memory.js';
import { shiftAllocation } from './problem.js';
import type { Observation } from '../observe/observation.js';

/**
 * `ok` and not heating; or hot by load alone with the freshest window already below the level where
 * it clears: the smoothed window lags a departure by up to `windowSeconds`, and a region a large gang
 * just left would otherwise take no arrivals for that long. Moves still wait for the state to clear
 * (one move is a whole gang; arrivals come one at a time and the weights are recomputed each pass).
 */
function takesNewWork(r: RegionAssessment): boolean {
  if (r.status === 'ok') return !r.heating;
  return r.status === 'hot' && !r.hotNow && !r.throttleHot && !r.errorsHot;
}

export interface Placement {
  /** Weight per region for new work; regions left out take none. Empty: no region can take work. */
  readonly weights: ReadonlyMap<string, number>;
}

/**
 * The weights, from the observation with the moves in flight (this pass's included) counted where
 * they are going: a gang being moved already holds its destination's GPUs.
 */
export function placementWeights(
  obs: Observation,
  asmt: Assessment,
  cfg: SchedulerConfig,
  mem: SchedulerMemory,
  /** A region making room for a queued gang (plan.ts, makeRoom): it takes no new work meanwhile. */
  hold?: string,
): Placement {
  const open = [...asmt.regions.values()]
    .filter((r) => takesNewWork(r) && r.gpusTotal > 0 && r.region !== hold)
    .sort((a, b) => cmp(a.region, b.region));
  const total = new Map(open.map((r) => [r.region, r.gpusTotal]));
  const alloc = shiftAllocation(
    new Map(open.map((r) => [r.region, r.gpusAllocated])),
    unlandedMoves(mem, new Map(obs.workloads.map((w) => [w.id, w]))),
  );
  const free = (r: string) => (total.get(r) ?? 0) - (alloc.get(r) ?? 0);
  let top = 0;
  for (const [r, n] of total) top = Math.max(top, (alloc.get(r) ?? 0) / n);
  const weights = new Map<string, number>();
  for (const [r, n] of total) {
    if (free(r) <= 0) continue;
    const below = Math.round((top - (alloc.get(r) ?? 0) / n) * n);
    if (below > 0) weights.set(r, below);
  }
  if (weights.size === 0)
    // Every region with room is at the same share: new work goes in proportion to the room left.
    for (const r of total.keys()) if (free(r) > 0) weights.set(r, free(r));
  return { weights };
}
