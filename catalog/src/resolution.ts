import type { Resolution } from './naming.js';

/**
 * How long each table keeps its rows, in days. The store's DDL sets these TTLs; readers that choose
 * a table for a time range (the plugin) must know them so that an old range falls to a coarser
 * table instead of coming back empty.
 */
export const RETENTION_DAYS = { raw: 14, '1m': 90, '1h': 730, '1d': 1830, audit: 400, extra: 14 } as const;

/** The finest step each table can give, in seconds. Raw rows arrive at about 1 Hz to 10 s. */
export const RESOLUTION_STEP_S: Readonly<Record<Resolution, number>> = { raw: 10, '1m': 60, '1h': 3600, '1d': 86400 };

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Which table a time range reads. Short ranges read raw rows; longer ones the 1-minute rollup (a
 * 24 h range would otherwise scan ~86k rows per GPU); past a week, the 1-hour rollup; past two weeks,
 * the 1-day rollup (a 30-day table of 10,000 GPUs reads 300 k rows instead of 7.2 M). A range that
 * starts before a table's retention falls to the next coarser one, so old ranges are never empty.
 * (The generated dashboards make the same choice inside their SQL, from Grafana's `$__interval_s`:
 * dashboards/src/rollup.ts.)
 */
export function resolutionForRange(fromMs: number, toMs: number, nowMs: number = Date.now()): Resolution {
  if (!(toMs > fromMs)) throw new Error(`time range: "to" (${toMs}) must be after "from" (${fromMs})`);
  const span = toMs - fromMs;
  const ageDays = (nowMs - fromMs) / DAY;
  // A minute of slack: "now-6h to now" is resolved from two clock readings and can exceed 6 h by a hair.
  if (span <= 6 * HOUR + 60_000 && ageDays <= RETENTION_DAYS.raw) return 'raw';
  if (span <= 7 * DAY && ageDays <= RETENTION_DAYS['1m']) return '1m';
  if (span <= 14 * DAY + 60_000 && ageDays <= RETENTION_DAYS['1h']) return '1h';
  return '1d';
}
