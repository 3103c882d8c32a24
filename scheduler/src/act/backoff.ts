/**
 * Exponential backoff with jitter and a cap (Kueue: 60 s × 2^(n−1) up to 3600 s). The jitter is a
 * hash of the job and the attempt, not Math.random, so a replay gives the same delays.
 */
import { createHash } from 'node:crypto';

export interface BackoffConfig {
  readonly baseSeconds: number;
  readonly maxSeconds: number;
}

/** A number in [0, 1) fixed by the key. */
export function stableUnit(key: string): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0) / 2 ** 32;
}

/** Delay in ms before the next try after `failures` consecutive failures (failures ≥ 1). */
export function backoffMs(cfg: BackoffConfig, failures: number, key: string): number {
  const exp = Math.min(cfg.maxSeconds, cfg.baseSeconds * 2 ** Math.max(0, failures - 1));
  // Up to +20 % jitter spreads retries of jobs that failed together; the cap still holds.
  const jittered = exp * (1 + 0.2 * stableUnit(`${key}#${failures}`));
  return Math.round(Math.min(cfg.maxSeconds, jittered) * 1000);
}
