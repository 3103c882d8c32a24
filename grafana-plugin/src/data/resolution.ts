import { RESOLUTION_STEP_S, type Resolution } from '@meridian/catalog';

/** Bucket width for a chart of about `points` points, never finer than the table holds. */
export function intervalMs(fromMs: number, toMs: number, res: Resolution, points = 240): number {
  const raw = Math.ceil((toMs - fromMs) / points / 1000);
  return Math.max(RESOLUTION_STEP_S[res], raw) * 1000;
}
