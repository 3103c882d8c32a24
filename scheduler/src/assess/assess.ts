/**
 * Assess: turn an Observation into per-region and per-link states, through the freshness guard and
 * hysteresis. Mutates only the memory it is given (the hysteresis and staleness clocks).
 */
import { cmp } from '../order.js';
import type { SchedulerConfig } from '../config.js';
import { INITIAL, stepHysteresis, type Band } from './hysteresis.js';
import { pairKey, regionMemory, type RegionMemory, type SchedulerMemory } from '../memory.js';
import { findLinks, type Observation, type RegionObservation } from '../observe/observation.js';

/**
 * ok: may receive work. hot: load or throttling above band. unhealthy: error rate above band.
 * unknown: stale data, so neither a source nor a destination. failed: stale past the failover
 * timeout, so its work is evacuated.
 */
export type RegionStatus = 'ok' | 'hot' | 'unhealthy' | 'unknown' | 'failed';

export interface RegionAssessment {
  readonly region: string;
  readonly status: RegionStatus;
  /** max(allocated share, measured utilization), 0–1. */
  readonly load: number;
  /** The same over the freshest window (`recentSeconds`); the smoothed figure where none was read. */
  readonly loadRecent: number;
  readonly loadHot: boolean;
  readonly throttleHot: boolean;
  /**
   * Hot, and the freshest window still shows load or throttling above the level where it clears
   * (`low`). A hot region whose condition has already cleared takes no work in but sends none away.
   */
  readonly hotNow: boolean;
  /**
   * Not (yet) hot, but the freshest window shows load or throttling above its high threshold: the
   * smoothed figures have not caught up, so the region takes no work in.
   */
  readonly heating: boolean;
  readonly errorsHot: boolean;
  /** Allocated share above the fleet's, through hysteresis (config `balance`): work may leave to balance. */
  readonly imbalanced: boolean;
  /**
   * Allocated share below the fleet's by the same band, held as long (a departure left a hole that
   * arrivals have not filled): work in regions above the fleet's share may move into it.
   */
  readonly starved: boolean;
  /** Allocated GPUs ÷ GPUs (request-based), 0–1. */
  readonly share: number;
  /** Productive share of a GPU-second spent here, 0–1 (1 = full speed, 0 = lost). */
  readonly goodness: number;
  /** The same for latency-bound inference, whose late answers are lost (`value.inferenceThrottleSlowdown`). */
  readonly servingGoodness: number;
  readonly gpusTotal: number;
  readonly gpusAllocated: number;
  /** Most allocated GPUs the region may hold after moves in: the top of the load band. */
  readonly ceilingGpus: number;
  /** When load is hot: allocated GPUs to come down to (the middle of the dead band). */
  readonly targetGpus: number | null;
  readonly gpuModels: readonly string[];
  readonly gpuMemoryBytes: number | null;
  readonly reasons: readonly string[];
}

export interface LinkAssessment {
  readonly a: string;
  readonly b: string;
  readonly degraded: boolean;
  /** 0 at the low thresholds, 1 at the high ones; the worst of RTT/floor, loss and utilization. */
  readonly badness: number | null;
  readonly rttMs: number | null;
  readonly spareBps: number | null;
  readonly capacityBps: number | null;
  readonly reasons: readonly string[];
}

export interface Assessment {
  readonly ts: number;
  readonly regions: ReadonlyMap<string, RegionAssessment>;
  /** Keyed by pairKey(a, b). */
  readonly links: ReadonlyMap<string, LinkAssessment>;
}

function band(b: { low: number; high: number; persistSeconds: number }): Band {
  return { low: b.low, high: b.high, persistMs: b.persistSeconds * 1000 };
}

const pctText = (x: number | null): string => `${Math.round((x ?? 0) * 100)}%`;

function regionLoad(r: RegionObservation, utilGpu = r.utilGpu): number | null {
  const alloc = r.gpusTotal > 0 ? r.gpusAllocated / r.gpusTotal : null;
  const util = utilGpu === null ? null : utilGpu / 100;
  if (alloc === null) return util;
  return util === null ? alloc : Math.max(alloc, util);
}

export function assess(obs: Observation, cfg: SchedulerConfig, mem: SchedulerMemory): Assessment {
  const now = obs.ts;
  const regions = new Map<string, RegionAssessment>();
  const staleMs = cfg.freshness.staleAfterSeconds * 1000;
  // The fleet's allocated share, over the regions whose figures are fresh.
  let fleetAlloc = 0;
  let fleetTotal = 0;
  for (const r of obs.regions) {
    if (r.lastSampleTs === null || now - r.lastSampleTs > staleMs) continue;
    fleetAlloc += r.gpusAllocated;
    fleetTotal += r.gpusTotal;
  }
  const fleetShare = fleetTotal > 0 ? fleetAlloc / fleetTotal : null;
  for (const r of [...obs.regions].sort((x, y) => cmp(x.region, y.region)))
    regions.set(r.region, assessRegion(r, regionMemory(mem, r.region), fleetShare, cfg, now));
  return { ts: now, regions, links: assessLinks(obs, [...regions.keys()], cfg, mem) };
}

/** One region's status, through its hysteresis states (m is updated), its goodness and its reasons. */
function assessRegion(
  r: RegionObservation,
  m: RegionMemory,
  fleetShare: number | null,
  cfg: SchedulerConfig,
  now: number,
): RegionAssessment {
  const staleMs = cfg.freshness.staleAfterSeconds * 1000;
  const failoverMs = cfg.freshness.failoverTimeoutSeconds * 1000;
  // mutation-check: freshness guard
  const stale = r.lastSampleTs === null || now - r.lastSampleTs > staleMs;
  if (stale) m.staleSince ??= r.lastSampleTs === null ? now : r.lastSampleTs + staleMs;
  else m.staleSince = null;

  const load = regionLoad(r);
  const errRate = r.xidRate === null && r.eccRate === null ? null : (r.xidRate ?? 0) + (r.eccRate ?? 0);
  if (!stale) {
    m.load = stepHysteresis(m.load, load, band(cfg.load), now);
    m.throttle = stepHysteresis(m.throttle, r.throttledShare, band(cfg.throttle), now);
    m.errors = stepHysteresis(m.errors, errRate, band(cfg.errors), now);
    const above = fleetShare !== null && r.gpusTotal > 0 ? r.gpusAllocated / r.gpusTotal - fleetShare : null;
    m.balance = stepHysteresis(m.balance, above, band(cfg.balance), now);
    m.deficit = stepHysteresis(m.deficit ?? INITIAL, above === null ? null : -above, band(cfg.balance), now);
  }
  const loadHot = m.load.level === 'high';
  const throttleHot = m.throttle.level === 'high';
  const errorsHot = m.errors.level === 'high';
  // The freshest window, where it was read; otherwise the smoothed one stands for it.
  const loadRecent = r.utilGpuRecent == null ? load : regionLoad(r, r.utilGpuRecent);
  const throttleRecent = r.throttledShareRecent == null ? r.throttledShare : r.throttledShareRecent;
  // Still hot by the freshest window: not yet back at the level where the state clears. (Inside the
  // dead band it still sheds work, as the smoothed state says; below `low` it has recovered.)
  const loadNow = loadHot && (loadRecent ?? 0) > cfg.load.low;
  // mutation-check: freshest window: cleared
  const throttleNow = throttleHot && (throttleRecent ?? 0) > cfg.throttle.low;
  const reasons: string[] = [];
  let status: RegionStatus = 'ok';
  if (stale) {
    const silentFor = now - (m.staleSince ?? now);
    status = silentFor >= failoverMs ? 'failed' : 'unknown';
    reasons.push(
      r.lastSampleTs === null
        ? 'no data'
        : `data ${Math.round((now - r.lastSampleTs) / 1000)} s old (stale after ${cfg.freshness.staleAfterSeconds} s)`,
    );
  } else if (errorsHot) {
    status = 'unhealthy';
    reasons.push(`errors ${(errRate ?? 0).toFixed(3)}/GPU-h above ${cfg.errors.high}`);
  } else if (loadHot || throttleHot) {
    status = 'hot';
    if (loadHot)
      reasons.push(
        `load ${pctText(load)} (hot: rose above ${pctText(cfg.load.high)}, clears at ${pctText(cfg.load.low)})`,
      );
    if (throttleHot)
      reasons.push(
        `throttled ${pctText(r.throttledShare)} (hot: rose above ${pctText(cfg.throttle.high)}, clears at ${pctText(cfg.throttle.low)})`,
      );
    if (!loadNow && !throttleNow)
      reasons.push(
        `cleared in the last ${cfg.recentSeconds} s (load ${pctText(loadRecent)}, throttled ${pctText(throttleRecent)}): nothing leaves for it`,
      );
  }

  // Hysteresis gates every penalty: inside the dead band a region is worth exactly what it was, so
  // small wobbles cannot change the planner's answer.
  let goodness = 1;
  let servingGoodness = 1;
  if (status === 'failed') goodness = servingGoodness = 0;
  else {
    // Throttling that has cleared no longer slows what runs here.
    if (throttleNow) {
      goodness -= cfg.value.throttleSlowdown * (r.throttledShare ?? 0);
      servingGoodness -= cfg.value.inferenceThrottleSlowdown * (r.throttledShare ?? 0);
    }
    if (errorsHot) {
      const lost = cfg.value.errorPenalty * Math.min(1, (errRate ?? 0) / cfg.errors.high);
      goodness -= lost;
      servingGoodness -= lost;
    }
  }
  const mid = (cfg.load.low + cfg.load.high) / 2;
  return {
    region: r.region,
    status,
    load: load ?? 0,
    loadRecent: loadRecent ?? 0,
    loadHot,
    throttleHot,
    hotNow: status === 'hot' && (loadNow || throttleNow),
    heating: status === 'ok' && ((loadRecent ?? 0) >= cfg.load.high || (throttleRecent ?? 0) >= cfg.throttle.high),
    errorsHot,
    imbalanced: !stale && m.balance.level === 'high',
    starved: !stale && m.deficit?.level === 'high',
    share: r.gpusTotal > 0 ? r.gpusAllocated / r.gpusTotal : 0,
    goodness: Math.max(0, goodness),
    servingGoodness: Math.max(0, servingGoodness),
    gpusTotal: r.gpusTotal,
    gpusAllocated: r.gpusAllocated,
    ceilingGpus: Math.min(r.gpusTotal, Math.floor(cfg.load.high * r.gpusTotal)),
    targetGpus: loadNow && !stale ? Math.floor(mid * r.gpusTotal) : null,
    gpuModels: r.gpuModels,
    gpuMemoryBytes: r.gpuMemoryBytes,
    reasons,
  };
}

/** Each region pair's link state, through its hysteresis (mem.links is updated). */
function assessLinks(
  obs: Observation,
  names: readonly string[],
  cfg: SchedulerConfig,
  mem: SchedulerMemory,
): Map<string, LinkAssessment> {
  const now = obs.ts;
  const staleMs = cfg.freshness.staleAfterSeconds * 1000;
  const links = new Map<string, LinkAssessment>();
  const L = cfg.link;
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const a = names[i] as string;
      const b = names[j] as string;
      const ls = findLinks(obs, a, b);
      if (ls.length === 0) continue;
      const key = pairKey(a, b);
      const reasons: string[] = [];
      let badness: number | null = null;
      let rtt: number | null = null;
      let spare: number | null = null;
      let capacity: number | null = null;
      let fresh = false;
      for (const l of ls) {
        if (l.lastSampleTs === null || now - l.lastSampleTs > staleMs) continue;
        fresh = true;
        const parts: number[] = [];
        if (l.rttMs !== null && l.floorMs !== null && l.floorMs > 0) {
          const ratio = l.rttMs / l.floorMs;
          parts.push((ratio - L.rttRatioLow) / (L.rttRatioHigh - L.rttRatioLow));
          if (ratio >= L.rttRatioHigh)
            reasons.push(`${l.from}->${l.to} RTT ${l.rttMs.toFixed(1)} ms = ${ratio.toFixed(2)}× floor`);
        }
        if (l.lossPct !== null) {
          parts.push((l.lossPct - L.lossPctLow) / (L.lossPctHigh - L.lossPctLow));
          if (l.lossPct >= L.lossPctHigh) reasons.push(`${l.from}->${l.to} loss ${l.lossPct.toFixed(2)}%`);
        }
        if (l.throughputBps !== null && l.capacityBps !== null && l.capacityBps > 0) {
          const u = l.throughputBps / l.capacityBps;
          parts.push((u - L.utilLow) / (L.utilHigh - L.utilLow));
          if (u >= L.utilHigh) reasons.push(`${l.from}->${l.to} ${(u * 100).toFixed(0)}% of capacity`);
          const s = Math.max(l.capacityBps - l.throughputBps, l.capacityBps * cfg.migration.minBandwidthShare);
          spare = spare === null ? s : Math.min(spare, s);
          capacity = capacity === null ? l.capacityBps : Math.min(capacity, l.capacityBps);
        }
        if (l.rttMs !== null) rtt = rtt === null ? l.rttMs : Math.max(rtt, l.rttMs);
        for (const p of parts) badness = badness === null ? p : Math.max(badness, p);
      }
      const prev = mem.links[key] ?? { level: 'normal' as const, pendingSince: null };
      // A link with no fresh probe is treated as degraded at once: nothing should start relying on it.
      const next = fresh
        ? stepHysteresis(prev, badness, { low: 0, high: 1, persistMs: L.persistSeconds * 1000 }, now)
        : prev;
      mem.links[key] = next;
      if (!fresh) reasons.push('no fresh probe');
      links.set(key, {
        a,
        b,
        degraded: !fresh || next.level === 'high',
        badness,
        rttMs: rtt,
        spareBps: spare,
        capacityBps: capacity,
        reasons,
      });
    }
  }
  return links;
}
