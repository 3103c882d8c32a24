/**
 * Load and physics: the utilisation each running workload puts on its GPUs (inference follows its
 * region's time of day), the traffic spanning gangs and moves put on the links, the links' queues,
 * the gangs' progress (slowed by throttled clocks and by delay and loss between their parts, stalled
 * on a cut), inference latency against its SLO, and the GPUs' power and thermals.
 */
import { settleLink } from '../network.js';
import { clamp, settleThermals, stepGpus } from '../physics.js';
import type { Rng } from '../rng.js';
import { COMM_BPS_PER_GPU, type Workload } from '../workloads.js';
import type { TwinState } from './state.js';

export class Load {
  constructor(
    private readonly s: TwinState,
    private readonly rngPhysics: Rng,
  ) {}

  /** The fleet at t=0: the initial load applied, and every GPU at its steady temperature. */
  settle(): void {
    this.apply(0);
    settleThermals(this.s.fabric);
  }

  /** Put each running workload's load on its GPUs and its traffic on the links, as of t1. */
  apply(t1: number): void {
    const s = this.s;
    const f = s.fabric;
    for (const l of f.links) l.offeredBps = 0;
    const hourUtc = ((s.startMs / 1000 + t1) / 3600) % 24;
    for (const w of s.running) {
      let level = w.utilLevel;
      if (w.kind === 'inference') {
        const r = f.regions[w.currentRegion];
        const local = (hourUtc + (r?.lon ?? 0) / 15 + 24) % 24;
        // Diurnal demand: trough at 04:00 local, peak at 16:00.
        const diurnal = 0.55 - 0.45 * Math.cos((2 * Math.PI * (local - 4)) / 24);
        w.rps = w.gpus * (w.peakRpsPerReplica ?? 40) * diurnal;
        level = clamp(w.utilLevel * diurnal * 1.05, 3, 100);
      }
      const serving = w.state === 'running' || w.kind === 'inference';
      for (const g of w.alloc) f.load[g] = serving ? level : 0;
      // An inference set's new replicas idle until ready, then serve beside the draining old ones.
      if (w.migration && w.kind === 'inference') {
        const warm = t1 >= w.migration.readyS ? level : 0;
        for (const g of w.migration.target) f.load[g] = warm;
      }

      // Traffic between the parts of a gang that spans regions.
      if (serving && w.alloc.length > 0) this.addGangTraffic(w);
      const m = w.migration;
      const t0 = t1 - s.tickS;
      if (m && t0 < m.transferEndS) {
        // The tick the transfer ends in carries only its share of the bytes.
        const share = Math.min(1, (m.transferEndS - Math.max(t0, m.startS)) / s.tickS);
        for (const li of m.path) {
          const l = f.links[li];
          if (l) l.offeredBps += m.rateBps * Math.max(0, share);
        }
      }
    }
  }

  /**
   * Advance the links, the GPUs' physics and the workloads' progress by dt. The physics goes first:
   * work runs at the clock its GPUs have under this tick's load, not at last tick's. In the other
   * order every start on GPUs that idled the tick before ran a whole tick at the idle clock (210 MHz),
   * and a service was charged a tick of SLO violation for each start it made on idle GPUs.
   */
  advance(dt: number): void {
    for (const l of this.s.fabric.links) settleLink(l, dt);
    stepGpus(this.s.fabric, dt, this.rngPhysics);
    this.progress(dt);
  }

  private addGangTraffic(w: Workload): void {
    const bps = COMM_BPS_PER_GPU[w.comm];
    if (bps === 0) return;
    const f = this.s.fabric;
    const first = f.gpuRegion[w.alloc[0] as number] as number;
    let other = -1;
    let nOther = 0;
    for (const g of w.alloc) {
      const r = f.gpuRegion[g] as number;
      if (r !== first) {
        other = r;
        nOther++;
      }
    }
    if (other < 0) return;
    const boundary = Math.min(nOther, w.alloc.length - nOther);
    const path = this.s.routes.path(first, other);
    if (!path) return;
    for (const li of path) {
      const l = f.links[li];
      if (l) l.offeredBps += bps * boundary;
    }
  }

  /** How fast a spanning gang progresses given its route: stalls on a cut, slows with delay and loss. */
  private commFactor(w: Workload): number {
    if (w.comm === 'independent' || w.comm === 'inference') return 1;
    const f = this.s.fabric;
    const routes = this.s.routes;
    const first = f.gpuRegion[w.alloc[0] as number] as number;
    let other = -1;
    for (const g of w.alloc) if ((f.gpuRegion[g] as number) !== first) other = f.gpuRegion[g] as number;
    if (other < 0) return 1;
    const path = routes.path(first, other);
    if (!path) return 0;
    const rtt = 2 * routes.delayMs(first, other);
    let loss = 0;
    for (const li of path) loss += f.links[li]?.lossPct ?? 0;
    return w.comm === 'data_parallel' ? 1 / (1 + rtt / 15 + loss * 0.5) : 1 / (1 + rtt / 100 + loss * 0.2);
  }

  private progress(dt: number): void {
    const s = this.s;
    const f = s.fabric;
    for (const w of s.running) {
      if (w.state !== 'running' || w.alloc.length === 0) continue;
      let clock = 0;
      for (const g of w.alloc) {
        const m = f.gpuModel[g];
        clock += m ? (f.clock[g] as number) / m.maxClockMhz : 0;
      }
      const speed = (clock / w.alloc.length) * this.commFactor(w);
      w.progressS += dt * speed;
      if (w.kind === 'inference') {
        // p99 of an M/M/1-ish server: 40 ms at no load, growing as the replicas near saturation;
        // throttled clocks shrink capacity.
        const capacity = w.gpus * (w.peakRpsPerReplica ?? 40) * 1.25 * Math.max(0.1, speed);
        const rho = Math.min(0.99, w.rps / capacity);
        const p99 = 40 / (1 - rho);
        w.p99Ms = p99;
        if (p99 > (w.sloMs ?? 200)) {
          w.sloViolationS += dt;
          s.stats.sloViolationS += dt;
        }
      }
    }
    // A service whose replicas a failure took answers nothing until it runs again: every one of
    // its requests misses the SLO, so its down time counts as violation (a service still waiting
    // for its first start has no users yet and does not).
    for (const w of s.queue)
      if (w.kind === 'inference' && w.heldIn !== undefined) {
        w.sloViolationS += dt;
        s.stats.sloViolationS += dt;
      }
  }
}
