/**
 * Two-threshold hysteresis with persistence. A signal flips to `high` only after it has stayed at or
 * above `high` for `persistMs`, and back to `normal` only after it has stayed at or below `low` for
 * `persistMs`. Between the two thresholds lies a dead band where nothing changes and any pending
 * flip is forgotten, so a value hovering around one threshold never makes the state flap.
 */

export type Level = 'normal' | 'high';

export interface HysteresisState {
  readonly level: Level;
  /** When the signal first crossed towards the other level without leaving since; null if not. */
  readonly pendingSince: number | null;
}

export interface Band {
  readonly low: number;
  readonly high: number;
  readonly persistMs: number;
}

export const INITIAL: HysteresisState = { level: 'normal', pendingSince: null };

export function stepHysteresis(prev: HysteresisState, value: number | null, band: Band, now: number): HysteresisState {
  // No data: hold the level, forget any pending flip (the freshness guard handles silence).
  if (value === null || !Number.isFinite(value)) return { level: prev.level, pendingSince: null };
  const crossing = prev.level === 'normal' ? value >= band.high : value <= band.low;
  if (!crossing) return { level: prev.level, pendingSince: null };
  const since = prev.pendingSince ?? now;
  // mutation-check: persistence
  if (now - since >= band.persistMs) {
    return { level: prev.level === 'normal' ? 'high' : 'normal', pendingSince: null };
  }
  return { level: prev.level, pendingSince: since };
}
