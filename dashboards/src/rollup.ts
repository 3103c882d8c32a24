import type { Resolution } from '@meridian/catalog';

/**
 * Which table a panel query reads is decided inside the SQL, by the query interval Grafana computed
 * for the panel: every time-series query is a UNION ALL of four branches (raw, <entity>_1m,
 * <entity>_1h, <entity>_1d), each guarded by a constant predicate on `$__interval_s`. After expansion exactly one
 * guard is true; ClickHouse folds the others to `WHERE 0` and reads nothing from their tables. This
 * works in real Grafana without any variable plumbing, because the data source expands
 * `$__interval_s` per panel per refresh.
 *
 * Panels set maxDataPoints (below), so the interval depends only on the time range, not on the width
 * of the browser window: interval = roundInterval(range / MAX_DATA_POINTS). With 600 points:
 *   15 min -> 2 s (raw), 6 h -> 30 s (raw), 24 h -> 2 min (1m rollup), 7 d -> 15 min (1h), 30 d -> 1 h (1d).
 * The day rollup takes over at a 1-hour interval (ranges past ~19 days), the dashboards' form of the
 * plugin's rule (resolutionForRange in the catalog: past two weeks); tables of one row per GPU take
 * it from a 30-minute interval (past ~10 days).
 */
export const MAX_DATA_POINTS = 600;

export interface RollupPolicy {
  /** Read the raw table while $__interval_s is below this. */
  readonly rawBelowS: number;
  /** Read the 1-hour rollup once $__interval_s reaches this; the 1-minute rollup in between. */
  readonly hourFromS: number;
  /** Read the 1-day rollup once $__interval_s reaches this. */
  readonly dayFromS: number;
}

/** A 1-hour interval: 600 points over ranges of ~19 to ~37 days. */
const DAY_FROM_S = 3600;

/**
 * Panels filtered to a few series (one host, one link) can afford raw rows for longer ranges: raw up
 * to ~7 h, minutes up to ~35 h, hours beyond. A bucket coarser than 5 min gains nothing from minutes.
 */
export const DETAIL_POLICY: RollupPolicy = { rawBelowS: 60, hourFromS: 300, dayFromS: DAY_FROM_S };

/** Fleet-wide panels aggregate every GPU, so they leave raw rows sooner: raw only up to ~75 min. */
export const FLEET_POLICY: RollupPolicy = { rawBelowS: 10, hourFromS: 300, dayFromS: DAY_FROM_S };

/**
 * Tables of one row per GPU (or MIG instance) over the whole range: an hour's granularity is plenty
 * for "which GPUs had errors or ran hot", so from ~10 h of range on they read the 1-hour rollup, 24
 * rows per GPU a day instead of 1,440; from ~10 days on, the 1-day rollup (a 30-day table reads 30 rows
 * per GPU, not 720).
 */
export const SUMMARY_POLICY: RollupPolicy = { rawBelowS: 10, hourFromS: 60, dayFromS: 1800 };

export const RESOLUTIONS: readonly Resolution[] = ['raw', '1m', '1h', '1d'];

/** The guard that makes a branch live for one resolution. */
export function guard(res: Resolution, p: RollupPolicy): string {
  switch (res) {
    case 'raw':
      return `$__interval_s < ${p.rawBelowS}`;
    case '1m':
      return `$__interval_s >= ${p.rawBelowS} AND $__interval_s < ${p.hourFromS}`;
    case '1h':
      return `$__interval_s >= ${p.hourFromS} AND $__interval_s < ${p.dayFromS}`;
    case '1d':
      return `$__interval_s >= ${p.dayFromS}`;
  }
}

/** The resolution a query reads for an interval: the same rule as the guards, for tests and docs. */
export function resolutionFor(intervalS: number, p: RollupPolicy): Resolution {
  const s = Math.trunc(Math.max(intervalS, 1));
  if (s < p.rawBelowS) return 'raw';
  if (s < p.hourFromS) return '1m';
  return s < p.dayFromS ? '1h' : '1d';
}

/**
 * Which tables an expanded query reads: those of the UNION branches whose constant `$__interval_s`
 * guards (`N < M`, `N >= M` after expansion) all hold, less regional branches turned off
 * (`NOT (1=1 …)`). For the bench and the tests, which report and check the tier a range reads.
 */
export function tablesRead(expandedSql: string): string[] {
  const live = new Set<string>();
  for (const branch of expandedSql.split(/UNION ALL/)) {
    if (/NOT \(\(?\(?1=1/.test(branch)) continue;
    const guards = [...branch.matchAll(/(?<![\w.])(\d+) (<|>=) (\d+)(?![\w.])/g)];
    const on = guards.every(([, a, op, b]) => (op === '<' ? Number(a) < Number(b) : Number(a) >= Number(b)));
    if (!on) continue;
    for (const m of branch.matchAll(/FROM (\w+)/g)) if (m[1] && m[1] !== 'numbers') live.add(m[1]);
  }
  return [...live];
}
