/**
 * The long-haul network: routes between regions, the load on each link, and what a probe on it
 * would measure. Loss and queueing rise as a link nears capacity; a cut link carries nothing.
 */
import { baseRttMs } from './geo.js';
import type { Fabric, Link } from './fabric.js';
import type { Rng } from './rng.js';

/** Probes per simulated second per link (perfSONAR's latencybg default, 10 pps). */
export const PROBES_PER_S = 10;

/** Queueing at the bottleneck never exceeds this: what a 20 ms router buffer holds. */
const MAX_QUEUE_MS = 20;

export class Routes {
  /** paths[a][b]: link indices from region a to region b, or null when unreachable. */
  private paths: (number[] | null)[][] = [];

  constructor(private readonly fabric: Fabric) {
    this.recompute();
  }

  /** Shortest paths by one-way delay over links that are not cut (Floyd–Warshall: ≤ a few dozen regions). */
  recompute(): void {
    const n = this.fabric.regions.length;
    const dist: number[][] = Array.from({ length: n }, (_, i) =>
      Array.from({ length: n }, (_, j) => (i === j ? 0 : Infinity)),
    );
    const next: number[][] = Array.from({ length: n }, () => Array.from({ length: n }, () => -1));
    const via: number[][] = Array.from({ length: n }, () => Array.from({ length: n }, () => -1));
    for (const l of this.fabric.links) {
      if (l.cut) continue;
      for (const [a, b] of [
        [l.from, l.to],
        [l.to, l.from],
      ] as const) {
        if (l.oneWayMs < (dist[a]?.[b] ?? Infinity)) {
          (dist[a] as number[])[b] = l.oneWayMs;
          (next[a] as number[])[b] = b;
          (via[a] as number[])[b] = l.index;
        }
      }
    }
    for (let k = 0; k < n; k++) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const d = (dist[i]?.[k] ?? Infinity) + (dist[k]?.[j] ?? Infinity);
          if (d < (dist[i]?.[j] ?? Infinity)) {
            (dist[i] as number[])[j] = d;
            (next[i] as number[])[j] = next[i]?.[k] ?? -1;
          }
        }
      }
    }
    this.paths = Array.from({ length: n }, (_, a) =>
      Array.from({ length: n }, (_, b) => {
        if (a === b) return [];
        if (!Number.isFinite(dist[a]?.[b] ?? Infinity)) return null;
        const path: number[] = [];
        let u = a;
        while (u !== b) {
          const w = next[u]?.[b] ?? -1;
          path.push(via[u]?.[w] ?? -1);
          u = w;
        }
        return path;
      }),
    );
  }

  path(a: number, b: number): number[] | null {
    return this.paths[a]?.[b] ?? null;
  }

  /** One-way delay along the current route, including impairments, in ms. */
  delayMs(a: number, b: number): number {
    const p = this.path(a, b);
    if (!p) return Infinity;
    let ms = 0;
    for (const li of p) {
      const l = this.fabric.links[li] as Link;
      ms += l.oneWayMs + l.addedRttMs / 2 + l.queueMs;
    }
    return ms;
  }

  /** Spare bandwidth along a route in bytes/s: the narrowest hop's capacity left after its load. */
  spareBps(a: number, b: number): number {
    const p = this.path(a, b);
    if (!p) return 0;
    let spare = Infinity;
    for (const li of p) {
      const l = this.fabric.links[li] as Link;
      const cap = effectiveCapacity(l);
      // A transfer always gets a fair share even on a busy link (TCP flows share); 10 % is the floor.
      spare = Math.min(spare, Math.max(cap - l.carriedBps, cap * 0.1));
    }
    return Number.isFinite(spare) ? spare : 0;
  }
}

export function effectiveCapacity(l: Link): number {
  return l.cut ? 0 : l.capacityBps * l.capacityFactor;
}

/** Settle a link for this tick from the traffic offered to it. */
export function settleLink(l: Link, dtS: number): void {
  const cap = effectiveCapacity(l);
  if (cap <= 0) {
    l.carriedBps = 0;
    l.lossPct = 100;
    l.queueMs = 0;
    return;
  }
  const rho = l.offeredBps / cap;
  l.carriedBps = Math.min(l.offeredBps, cap);
  // Below 80 % load loss is the fiber's own; above it buffers start to overflow, and past 100 % the
  // excess is dropped outright.
  const congestion = rho > 0.8 ? 2 * ((Math.min(rho, 1) - 0.8) / 0.2) ** 2 : 0;
  const overflow = rho > 1 ? (1 - 1 / rho) * 100 : 0;
  l.lossPct = Math.min(100, l.baseLossPct + l.addedLossPct + congestion + overflow);
  // M/M/1-style queueing, capped by the buffer.
  l.queueMs = rho >= 1 ? MAX_QUEUE_MS : Math.min(MAX_QUEUE_MS, (0.05 * rho) / (1 - rho));
  l.bytesTotal += l.carriedBps * dtS;
}

export interface ProbeResult {
  rttMin: number | null;
  rttAvg: number | null;
  rttP50: number | null;
  rttP99: number | null;
  rttMax: number | null;
  jitter: number | null;
  owdForward: number | null;
  owdReverse: number | null;
  sent: number;
  received: number;
}

/**
 * What `PROBES_PER_S × dt` STAMP probes would measure: each RTT is the floor plus impairments plus
 * queueing plus an exponential jitter term with mean `jitterMs` (so no probe beats the floor).
 */
export function probeLink(l: Link, dtS: number, rng: Rng): ProbeResult {
  const sent = Math.max(1, Math.round(PROBES_PER_S * dtS));
  const floor = baseRttMs(l.routeKm, l.equipmentDelayMs) + l.addedRttMs + 2 * l.queueMs;
  const rtts: number[] = [];
  const lossP = l.lossPct / 100;
  for (let i = 0; i < sent; i++) {
    const lost = rng.next() < lossP;
    const jitter = rng.exp(l.jitterMs + l.queueMs * 0.2);
    if (!lost) rtts.push(floor + jitter);
  }
  if (rtts.length === 0) {
    return {
      rttMin: null,
      rttAvg: null,
      rttP50: null,
      rttP99: null,
      rttMax: null,
      jitter: null,
      owdForward: null,
      owdReverse: null,
      sent,
      received: 0,
    };
  }
  let ipdv = 0;
  for (let i = 1; i < rtts.length; i++) ipdv += Math.abs((rtts[i] as number) - (rtts[i - 1] as number));
  const sorted = [...rtts].sort((a, b) => a - b);
  const q = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
  const avg = rtts.reduce((s, x) => s + x, 0) / rtts.length;
  return {
    rttMin: sorted[0] as number,
    rttAvg: avg,
    rttP50: q(0.5),
    rttP99: q(0.99),
    rttMax: sorted[sorted.length - 1] as number,
    jitter: rtts.length > 1 ? ipdv / (rtts.length - 1) : 0,
    // The twin's clocks are perfect, so one-way delays are half the mean round trip each way.
    owdForward: avg / 2,
    owdReverse: avg / 2,
    sent,
    received: rtts.length,
  };
}
