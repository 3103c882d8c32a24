/**
 * Grafana's query interval, computed the way the panel query runner does it
 * (`rangeUtil.calculateInterval` in @grafana/data): the range divided by the panel's maxDataPoints,
 * rounded to a "nice" step, never below the lower limit. The ClickHouse data source turns it into
 * `$__interval_s` and the bucket of `$__timeInterval`, so the rollup a query reads depends on it.
 */

/** Grafana's ladder of nice intervals, in milliseconds (`roundInterval`). */
export function roundInterval(ms: number): number {
  const ladder: readonly (readonly [number, number])[] = [
    [10, 1],
    [15, 10],
    [35, 20],
    [75, 50],
    [150, 100],
    [350, 200],
    [750, 500],
    [1500, 1000],
    [3500, 2000],
    [7500, 5000],
    [12500, 10000],
    [17500, 15000],
    [25000, 20000],
    [45000, 30000],
    [90000, 60000],
    [210000, 120000],
    [450000, 300000],
    [750000, 600000],
    [1050000, 900000],
    [1500000, 1200000],
    [2700000, 1800000],
    [5400000, 3600000],
    [9000000, 7200000],
    [16200000, 10800000],
    [32400000, 21600000],
    [86400000, 43200000],
    [604800000, 86400000],
    [1814400000, 604800000],
    [3628800000, 2592000000],
  ];
  for (const [below, step] of ladder) if (ms < below) return step;
  return 31536000000;
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  M: 2_592_000_000,
  y: 31_536_000_000,
};

/** Parses a Grafana interval string such as `15s`, `5m`, `30d` into milliseconds. */
export function intervalToMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|[smhdwMy])$/.exec(text.trim());
  const unit = m?.[2];
  if (!m || unit === undefined) {
    throw new Error(`invalid interval "${text}": expected a number followed by one of ms, s, m, h, d, w, M, y`);
  }
  return Number(m[1]) * (UNIT_MS[unit] ?? 1);
}

/** `calculateInterval(range, maxDataPoints, minInterval)` from @grafana/data, in milliseconds. */
export function calculateIntervalMs(fromMs: number, toMs: number, maxDataPoints: number, minInterval?: string): number {
  if (!(toMs > fromMs)) throw new Error(`invalid time range: from ${fromMs} must be before to ${toMs}`);
  if (!(maxDataPoints > 0)) throw new Error(`invalid maxDataPoints ${maxDataPoints}: must be positive`);
  const low = minInterval ? intervalToMs(minInterval) : 1;
  const ms = roundInterval((toMs - fromMs) / maxDataPoints);
  return Math.max(ms, low);
}
