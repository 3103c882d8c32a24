/**
 * Where work lands and when it leaves its GPUs: the preferred region of new work (in proportion to
 * GPUs, or to the admission weights the scheduler sets, as Karmada's static weights place new
 * replicas), FIFO-with-backfill placement of the queue (spilling to the nearest region with room,
 * and a quarter of pipeline gangs across two neighbouring regions), completion, and stopping.
 */
import type { Rng } from '../rng.js';
import type { Workload, WorkloadState } from '../workloads.js';
import type { WorkloadRows } from './rows.js';
import type { TwinState } from './state.js';

export class Placement {
  /**
   * Where new work goes, by region index (Karmada static weights for new replicas): null = in
   * proportion to each region's GPUs. Set through the executor's `place`.
   */
  private admission: Float64Array | null = null;

  constructor(
    private readonly s: TwinState,
    private readonly rows: WorkloadRows,
  ) {}

  /**
   * Weights (by region name) for the preferred region of work that arrives from now on, as Karmada's
   * static weights place new replicas; a region left out gets none. Null or all-zero weights restore
   * the default (in proportion to GPUs). Each arrival still takes one draw from the arrivals stream,
   * so the same work arrives at the same instants whatever the weights; only its region changes.
   */
  setAdmissionWeights(weights: ReadonlyMap<string, number> | null): void {
    if (!weights) {
      this.admission = null;
      return;
    }
    const f = this.s.fabric;
    const w = new Float64Array(f.regions.length);
    for (const [name, v] of weights) {
      const r = f.regionByName(name);
      if (!r) throw new Error(`admission weights: no region "${name}"; give one of the scenario's regions`);
      if (!(v >= 0)) throw new Error(`admission weights: region "${name}" has weight ${v}; give a number ≥ 0`);
      w[r.index] = v;
    }
    this.admission = w.some((v) => v > 0) ? w : null;
  }

  /** Regions receive work in proportion to their GPUs, or to the admission weights where set. */
  pickRegion(rng: Rng): number {
    return this.weighted(rng.next());
  }

  /**
   * Where a trace pod goes: the region it was submitted to, or, while admission weights are set, the
   * region its own draw picks from them (as generated work is placed), so steering reaches replayed
   * work too and the "none" baseline keeps the trace's regions.
   */
  traceRegion(submitted: number, draw: number): number {
    return this.admission ? this.weighted(draw) : submitted;
  }

  /** The region `u` in [0, 1) falls in, regions weighted by GPUs or by the admission weights. */
  private weighted(u: number): number {
    const admission = this.admission;
    const weight = (i: number, gpus: number) => (admission ? (admission[i] as number) : gpus);
    const regions = this.s.fabric.regions;
    let sum = 0;
    for (const r of regions) sum += weight(r.index, r.gpuCount);
    let x = u * sum;
    let last = 0;
    for (const r of regions) {
      const v = weight(r.index, r.gpuCount);
      if (v <= 0) continue;
      last = r.index;
      if (x < v) return r.index;
      x -= v;
    }
    return last;
  }

  /** The region nearest to `r` by one-way delay (a spanning gang's second region). */
  nearestRegion(r: number): number | undefined {
    let best: number | undefined;
    let bestMs = Infinity;
    for (const o of this.s.fabric.regions) {
      if (o.index === r) continue;
      const ms = this.s.routes.delayMs(r, o.index);
      if (ms < bestMs) {
        bestMs = ms;
        best = o.index;
      }
    }
    return best;
  }

  /** FIFO with backfill: a gang that does not fit waits, smaller ones behind it may start. */
  schedule(): void {
    const s = this.s;
    if (s.queue.length === 0) return;
    const still: Workload[] = [];
    for (const w of s.queue) if (!this.place(w)) still.push(w);
    s.queue = still;
  }

  /** Start `w` on free GPUs if it fits anywhere; false leaves it where it was. */
  place(w: Workload): boolean {
    const s = this.s;
    const f = s.fabric;
    let alloc: Int32Array | null = null;
    let region = w.region;
    if (w.heldIn !== undefined) {
      // Requeued after a failure: only its own cluster restarts it (or a rebalancer's move, which
      // sets heldIn to the region it resubmits the gang to).
      alloc = f.freeGpus(w.heldIn) >= w.gpus ? f.allocate(w.heldIn, w.gpus, w.slot) : null;
      region = w.heldIn;
      if (!alloc) return false;
    } else if (w.spanRegion !== undefined) {
      const half = Math.floor(w.gpus / 2);
      if (f.freeGpus(w.region) >= w.gpus - half && f.freeGpus(w.spanRegion) >= half) {
        const a = f.allocate(w.region, w.gpus - half, w.slot);
        const b = f.allocate(w.spanRegion, half, w.slot);
        if (a && b) {
          alloc = new Int32Array(w.gpus);
          alloc.set(a);
          alloc.set(b, a.length);
        }
      }
    }
    if (!alloc) {
      // Whole gang in the preferred region, else in the nearest region with room.
      const order = [
        w.region,
        ...f.regions
          .map((r) => r.index)
          .filter((i) => i !== w.region)
          .sort((a, b) => s.routes.delayMs(w.region, a) - s.routes.delayMs(w.region, b)),
      ];
      for (const r of order) {
        if (f.freeGpus(r) < w.gpus) continue;
        alloc = f.allocate(r, w.gpus, w.slot);
        if (alloc) {
          region = r;
          break;
        }
      }
    }
    if (!alloc) return false;
    // Within a tick a workload starts at its arrival instant, or at the tick's start if it waited.
    const now = Math.max(s.timeS, w.arrivalS);
    w.alloc = alloc;
    w.currentRegion = region;
    w.state = 'running';
    w.startS = now;
    // A gang requeued after a failure waited from its failure, not from its first arrival.
    w.queuedS = now - (w.requeuedS ?? w.arrivalS);
    delete w.heldIn;
    delete w.requeuedS;
    w.endS = w.fixedEnd ? now + w.durationS - (w.initialProgressS ?? 0) : -1;
    for (const g of alloc) f.memFrac[g] = w.memFrac;
    s.running.add(w);
    s.stats.started++;
    s.stats.queueS += Math.max(0, w.queuedS);
    this.rows.markChanged(w);
    return true;
  }

  /** End `w` at t1 if its work is done (a trace pod at its trace time) and it is not being moved. */
  completeIfDone(w: Workload, t1: number): void {
    const done = w.fixedEnd ? w.endS <= t1 : w.progressS >= w.durationS;
    if (done && !w.migration) {
      this.stop(w, 'done');
      this.s.stats.completed++;
      this.s.stats.completionS += t1 - w.arrivalS;
    }
  }

  /** Release the workload's GPUs (and a move's target) and leave it in `state`. */
  stop(w: Workload, state: WorkloadState): void {
    const s = this.s;
    s.fabric.release(w.alloc);
    if (w.migration && w.kind === 'inference') s.fabric.release(w.migration.target);
    w.alloc = new Int32Array(0);
    w.migration = null;
    w.state = state;
    w.endS = s.timeS;
    s.running.delete(w);
    this.rows.markChanged(w);
  }
}
