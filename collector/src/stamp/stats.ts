/**
 * Small, exact statistics over one interval's samples (a few thousand at most). They take any
 * ArrayLike so that the session can hand over its typed arrays without copying them into arrays.
 */

/** Nearest-rank percentile (the smallest value with at least p% of samples at or below it). */
export function percentile(sorted: ArrayLike<number>, p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function mean(values: ArrayLike<number>): number | undefined {
  if (values.length === 0) return undefined;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] as number;
  return sum / values.length;
}

/**
 * Mean absolute difference of consecutive values (the catalog's definition of link jitter, after
 * RFC 3550's inter-arrival jitter without its exponential smoothing). Undefined below two values.
 */
export function meanAbsoluteSuccessiveDifference(values: ArrayLike<number>): number | undefined {
  if (values.length < 2) return undefined;
  let sum = 0;
  for (let i = 1; i < values.length; i++) sum += Math.abs((values[i] as number) - (values[i - 1] as number));
  return sum / (values.length - 1);
}
