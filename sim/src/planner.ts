/**
 * An INTERIM rebalancer, used only until @meridian/scheduler exports its own loop (createScheduler).
 * It reads the twin's state directly instead of the store, and applies two rules with a cooldown
 * and a cost check: move the biggest movable gang out of a hot (throttling) region, and pull
 * together a gang that spans a degraded or cut link. It exists so that `meridian up` shows the
 * observe → act → record loop end to end today; the real planner replaces it through `Planner`.
 */
import { THERMAL_SLOWDOWN_MASK } from '@meridian/catalog';
import type { TableRows } from '@meridian/store';
import type { Move } from '@meridian/scheduler';
import { baseRttMs } from './geo.js';
import type { Twin } from './twin.js';
import type { Workload } from './workloads.js';

export interface PlannedPass {
  readonly moves: Move[];
  readonly decisions: TableRows['scheduler_decisions'][];
}

/** What the all-in-one needs from a planner; the real scheduler's adapter implements the same. */
export interface Planner {
  readonly name: string;
  pass(twin: Twin): PlannedPass;
}

export interface InterimPlannerOptions {
  /** A region is hot when the share of its busy GPUs throttling is above this. */
  readonly hotThrottledShare?: number;
  readonly cooldownS?: number;
  readonly maxMovesPerPass?: number;
  /** Move only when benefit > cost × margin. */
  readonly margin?: number;
}

export class InterimPlanner implements Planner {
  readonly name = 'interim-threshold';
  private passes = 0;
  private readonly lastMoved = new Map<string, number>();

  constructor(private readonly opts: InterimPlannerOptions = {}) {}

  pass(twin: Twin): PlannedPass {
    const passId = `pass-${String(++this.passes).padStart(6, '0')}`;
    const f = twin.fabric;
    const now = twin.timeS;
    const hotShare = this.opts.hotThrottledShare ?? 0.25;
    const cooldown = this.opts.cooldownS ?? 900;
    const maxMoves = this.opts.maxMovesPerPass ?? 2;
    const margin = this.opts.margin ?? 1.5;

    const regions = f.regions.map((r) => {
      let busy = 0;
      let throttled = 0;
      let temp = 0;
      for (let g = r.gpuStart; g < r.gpuStart + r.gpuCount; g++) {
        if (f.job[g] === -1 || f.hostFailed[f.gpuHost[g] as number] === 1) continue;
        busy++;
        temp += f.temp[g] as number;
        if (((f.throttle[g] as number) & THERMAL_SLOWDOWN_MASK) !== 0) throttled++;
      }
      return { r, busy, share: busy ? throttled / busy : 0, temp: busy ? temp / busy : 0, free: f.freeGpus(r.index) };
    });
    const degraded = f.links.filter((l) => l.cut || l.lossPct > 1 || l.addedRttMs > 2);

    const moves: Move[] = [];
    const decisions: TableRows['scheduler_decisions'][] = [];
    const movable = (w: Workload): boolean =>
      w.state === 'running' && !w.pinned && !w.migration && now - (this.lastMoved.get(w.id) ?? -Infinity) >= cooldown;

    const consider = (w: Workload, from: number, reason: string, benefitS: number): void => {
      if (moves.length >= maxMoves) return;
      const candidates = regions
        .filter(
          (x) => x.r.index !== from && x.share < hotShare / 2 && x.free >= w.gpus && twin.routes.path(from, x.r.index),
        )
        .sort((a, b) => b.free - a.free || a.r.index - b.r.index);
      const to = candidates[0];
      const fromName = twin.regionName(from);
      const base = {
        ts: twin.nowMs,
        pass_id: passId,
        workload_id: w.id,
        region_from: fromName,
        inputs: JSON.stringify({
          regions: regions.map((x) => ({
            region: x.r.name,
            throttled: round(x.share),
            temp: round(x.temp),
            free: x.free,
          })),
        }),
        limits: [] as string[],
        executor: 'twin',
      };
      if (!to) {
        decisions.push({
          ...base,
          decision_id: `${passId}-${decisions.length}`,
          action: 'hold',
          region_to: '',
          reason: `${reason}; no region has room`,
          scores: '{}',
          outcome: 'no-target',
          benefit: benefitS,
          cost: 0,
        });
        return;
      }
      const costS = w.checkpointBytes / Math.max(1, twin.routes.spareBps(from, to.r.index)) + twin.restartS;
      const scores = JSON.stringify({ benefit_s: round(benefitS), cost_s: round(costS), margin });
      if (benefitS <= costS * margin) {
        decisions.push({
          ...base,
          decision_id: `${passId}-${decisions.length}`,
          action: 'hold',
          region_to: to.r.name,
          reason: `${reason}; cost exceeds benefit`,
          scores,
          outcome: 'skipped',
          benefit: benefitS,
          cost: costS,
        });
        return;
      }
      const moveId = `${passId}-m${moves.length}`;
      moves.push({
        moveId,
        workloadId: w.id,
        from: fromName,
        to: to.r.name,
        gpus: w.gpus,
        checkpointBytes: w.checkpointBytes,
        reason,
      });
      this.lastMoved.set(w.id, now);
      to.free -= w.gpus;
      decisions.push({
        ...base,
        decision_id: moveId,
        action: 'move',
        region_to: to.r.name,
        reason,
        scores,
        outcome: 'planned',
        benefit: benefitS,
        cost: costS,
      });
    };

    for (const x of regions) {
      if (x.share < hotShare) continue;
      const gangs = twin.workloads
        .filter((w) => movable(w) && w.currentRegion === x.r.index && w.kind !== 'inference' && !w.fixedEnd)
        .sort((a, b) => b.gpus - a.gpus || (a.id < b.id ? -1 : 1));
      const w = gangs[0];
      // Benefit: the work the throttled gang would lose to slow clocks over its remaining run.
      if (w)
        consider(
          w,
          x.r.index,
          `${x.r.name} is hot: ${(x.share * 100).toFixed(0)}% of busy GPUs throttling, mean ${x.temp.toFixed(1)} °C`,
          (w.durationS - w.progressS) * x.share * 0.5,
        );
    }
    for (const l of degraded) {
      for (const w of twin.workloads) {
        if (!movable(w) || (w.comm !== 'pipeline' && w.comm !== 'data_parallel')) continue;
        if (!spans(twin, w, l.from, l.to)) continue;
        const why = l.cut
          ? 'cut'
          : `degraded (+${l.addedRttMs} ms RTT over ${baseRttMs(l.routeKm, l.equipmentDelayMs).toFixed(1)} ms, ${l.lossPct.toFixed(2)}% loss)`;
        consider(w, w.currentRegion, `link ${l.id} ${why}: gang spans it`, w.durationS - w.progressS);
      }
    }
    return { moves, decisions };
  }
}

function spans(twin: Twin, w: Workload, a: number, b: number): boolean {
  let inA = false;
  let inB = false;
  for (const g of w.alloc) {
    const r = twin.fabric.gpuRegion[g];
    if (r === a) inA = true;
    if (r === b) inB = true;
  }
  return inA && inB;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
