import type { Resolution } from '@meridian/catalog';

/** Retention of each table in days, as the store's DDL sets it (store/src/schema/ddl.ts RETENTION_DAYS). */
const RETENTION_DAYS: Record<Resolution, number> = { raw: 14, '1m': 90, '1h': 730 };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The finest step each table can give, in seconds. Raw rows arrive at about 1 Hz to 10 s. */
export const STEP_S: Record<Resolution, number> = { raw: 10, '1m': 60, '1h': 3600 };

/**
 * Which table a time range reads. Short ranges read raw rows; longer ones the 1-minute rollup (a
 * 24 h range would otherwise scan ~86k rows per GPU); past a week, the 1-hour rollup. A range that
 * starts before a table's retention falls to the next coarser one, so old ranges are never empty.
 */
export function chooseResolution(fromMs: number, toMs: number, nowMs: number = Date.now()): Resolution {
  if (!(toMs > fromMs)) throw new Error(`time range: "to" (${toMs}) must be after "from" (${fromMs})`);
  const span = toMs - fromMs;
  const ageDays = (nowMs - fromMs) / DAY;
  // A minute of slack: "now-6h to now" is resolved from two clock readings and can exceed 6 h by a hair.
  if (span <= 6 * HOUR + 60_000 && ageDays <= RETENTION_DAYS.raw) return 'raw';
  if (span <= 7 * DAY && ageDays <= RETENTION_DAYS['1m']) return '1m';
  return '1h';
}

/** Bucket width for a chart of about `points` points, never finer than the table holds. */
export function intervalMs(fromMs: number, toMs: number, res: Resolution, points = 240): number {
  const raw = Math.ceil((toMs - fromMs) / points / 1000);
  return Math.max(STEP_S[res], raw) * 1000;
}
