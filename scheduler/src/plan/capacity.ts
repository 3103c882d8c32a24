/**
 * What the assignment problem may use: each destination's headroom (less the room kept for the
 * largest gang), each source's overload, and the priced imbalance.
 */
import { cmp } from '../order.js';
import type { Assessment, RegionAssessment } from '../assess/assess.js';
import type { SchedulerConfig } from '../config.js';
import { unlandedMoves, type SchedulerMemory } from '../memory.js';
import type { Observation, WorkloadObservation } from '../observe/observation.js';
import { shiftAllocation, type BalanceTerm, type Candidate } from './problem.js';

/**
 * Keeps `keepFreeGpus` (default: the largest gang running) free in the region with the most free
 * GPUs, by lowering its headroom. Evacuating a failed region may use the reserve: that work has
 * nowhere else to go.
 */
export function keepRoomForLargestGang(
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
export interface Reserve {
  readonly region: string;
  readonly gpus: number;
}

/**
 * The imbalance the plan prices: over the regions that may hold work (not unknown, not failed), with
 * moves in flight counted where they are going, so a pass does not re-balance what is already moving.
 */
export function balanceTerm(
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
  const serving = servingGpus(byId);
  const regions = new Map<string, { total: number; allocated: number }>();
  for (const r of eligible) {
    // A throttled or erring region's GPUs are worth their goodness as headroom: work that lands
    // there runs slow, so its share is taken of what its GPUs deliver, and leaving it balances.
    // What they deliver depends on what runs there: its inference GPUs serve at servingGoodness
    // (a late answer is lost), the rest at goodness. Counted at goodness alone, a throttling region
    // full of services looked emptier than it serves, and balance kept services there that missed
    // their SLO (trace-large-cooling-loss, issue 18).
    const f = r.gpusAllocated > 0 ? Math.min(1, (serving.get(r.region) ?? 0) / r.gpusAllocated) : 0;
    // mutation-check: balance: serving GPUs at servingGoodness
    const worth = (1 - f) * r.goodness + f * r.servingGoodness;
    regions.set(r.region, { total: r.gpusTotal * worth, allocated: alloc.get(r.region) as number });
  }
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

/** GPUs of inference workloads per region (where they run now). */
function servingGpus(byId: ReadonlyMap<string, WorkloadObservation>): Map<string, number> {
  const out = new Map<string, number>();
  for (const w of byId.values()) if (w.commClass === 'inference') out.set(w.region, (out.get(w.region) ?? 0) + w.gpus);
  return out;
}

/** Capacity: the top of each destination's load band, less moves already heading there. */
export function headroomOf(
  asmt: Assessment,
  mem: SchedulerMemory,
  byId: ReadonlyMap<string, WorkloadObservation>,
): Map<string, number> {
  const incoming = new Map<string, number>();
  for (const m of unlandedMoves(mem, byId)) incoming.set(m.to, (incoming.get(m.to) ?? 0) + m.gpus);
  const headroom = new Map<string, number>();
  for (const r of asmt.regions.values())
    if (r.status === 'ok')
      headroom.set(r.region, Math.max(0, r.ceilingGpus - r.gpusAllocated - (incoming.get(r.region) ?? 0)));
  return headroom;
}

/** GPUs each hot, unhealthy or failed region must shed, less what moves under way already take out. */
export function excessOf(asmt: Assessment, leaving: ReadonlyMap<string, number>): Map<string, number> {
  const excess = new Map<string, number>();
  for (const r of asmt.regions.values()) {
    if (r.targetGpus !== null && (r.status === 'hot' || r.status === 'unhealthy'))
      // Load is the larger of allocation and measured use, so a region hot by utilization alone
      // also has GPUs' worth of overload to shed.
      // mutation-check: freshest window: overload
      excess.set(r.region, Math.max(0, Math.round(r.loadRecent * r.gpusTotal) - r.targetGpus));
    // A failed region must be emptied entirely.
    if (r.status === 'failed') excess.set(r.region, r.gpusAllocated);
  }
  // Moves already under way relieve their source even while the observation still shows the
  // workload there; without this the next pass would move more for the same overload.
  for (const [from, gpus] of leaving) {
    const e = excess.get(from);
    if (e !== undefined) excess.set(from, Math.max(0, e - gpus));
  }
  return excess;
}
