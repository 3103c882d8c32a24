/**
 * The values of the catalog history (history.ts writes them through the store's writer, bulk.ts has
 * the engine generate them with INSERT … SELECT): one formula per metric kind, read from the catalog
 * (kind, unit, type and range), written here twice, in TypeScript and in ClickHouse SQL, side by side
 * so that a change to one is made to the other.
 *
 * Two deliberate differences, kept as each seeder has always written them: the TypeScript counter
 * grows continuously (floor(minutes × step)) and is capped at the range, the SQL one steps once a
 * minute (floor(minutes) × step, matching the per-sample increase bulk.ts writes beside it); and
 * TypeScript rounds float gauges to 3 decimals where SQL keeps the engine's value.
 */
import type { MetricDef } from '@meridian/catalog';

const MIN = 60_000;

const isInt = (m: MetricDef) => m.type !== 'Float32' && m.type !== 'Float64';

/** Lowest and highest value a metric is given, from its catalog range. */
function bounds(m: MetricDef): { lo: number; hi: number } {
  const lo = m.range?.min ?? 0;
  // Capped so integers stay exact in a JS number (disk sizes reach 2^60 in the catalog).
  const hi = Math.min(m.range?.max ?? (isInt(m) ? 1000 : 100), 2 ** 50);
  return { lo, hi };
}

/**
 * A plausible value for a metric at instant `t` (epoch ms) for series number `i`, inside the
 * catalog's range; counters count from `t0`.
 */
export function sampleValue(m: MetricDef, t: number, i: number, t0: number): number {
  const { lo, hi } = bounds(m);
  if (m.kind === 'counter') {
    // Cumulative: grows by (i % 3 + 1) per minute from the start of the data.
    const v = Math.floor(((t - t0) / MIN) * ((i % 3) + 1));
    return Math.min(v, hi === 1000 && !m.range ? Number.MAX_SAFE_INTEGER : hi);
  }
  if (m.kind === 'state') {
    if (m.unit === 'bitmask') return ((i + Math.floor(t / (10 * MIN))) % 2) * 4;
    const span = Math.min(hi - lo, 3);
    return lo + ((i + Math.floor(t / (10 * MIN))) % (span + 1));
  }
  if (m.unit === 'bool') return (i + Math.floor(t / (5 * MIN))) % 4 === 0 ? 1 : 0;
  const wave = 0.5 + 0.5 * Math.sin(t / (7 * MIN) + i);
  const v = lo + (hi - lo) * (0.2 + 0.4 * wave);
  return isInt(m) ? Math.round(v) : Math.round(v * 1000) / 1000;
}

/**
 * The same value as SQL, at epoch second `T` for series number `G` (columns of the SELECT it is
 * used in); counters count from epoch second `t0`.
 */
export function valueSql(m: MetricDef, t0: number): string {
  const { lo, hi } = bounds(m);
  let v: string;
  if (m.kind === 'counter') v = `intDiv(T - ${t0}, 60) * (G % 3 + 1)`;
  else if (m.kind === 'state') {
    v =
      m.unit === 'bitmask'
        ? `((G + intDiv(T, 600)) % 2) * 4`
        : `${lo} + (G + intDiv(T, 600)) % ${Math.min(hi - lo, 3) + 1}`;
  } else if (m.unit === 'bool') v = `if((G + intDiv(T, 300)) % 4 = 0, 1, 0)`;
  else {
    v = `${lo} + ${hi - lo} * (0.2 + 0.4 * (0.5 + 0.5 * sin(T / 420 + G)))`;
    if (isInt(m)) v = `round(${v})`;
  }
  return `CAST(${v} AS Nullable(${m.type}))`;
}
