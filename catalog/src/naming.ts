import type { Entity, MetricDef } from './types.js';

/** Rollup resolutions. Each has its own table and a longer TTL than the one below it. */
export type Resolution = 'raw' | '1m' | '1h' | '1d';

export const ENTITIES: readonly Entity[] = ['gpu', 'host', 'link'];

export function rawTable(entity: Entity): string {
  return `${entity}_samples`;
}

export function rollupTable(entity: Entity, res: Exclude<Resolution, 'raw'>): string {
  return `${entity}_${res}`;
}

export function tableFor(entity: Entity, res: Resolution): string {
  return res === 'raw' ? rawTable(entity) : rollupTable(entity, res);
}

/** How a metric is aggregated into a rollup column. */
export type RollupAgg = 'avg' | 'min' | 'max' | 'bitor';

export interface RollupColumn {
  readonly column: string;
  readonly agg: RollupAgg;
  readonly metric: MetricDef;
}

/**
 * Gauges keep avg (as an aggregate state, so it cascades exactly), min and max. Counters keep their
 * max, which is the last value of a monotonic counter; increases come from `<name>_inc` (increaseColumn).
 * States keep their max, and bitmasks OR together so a reason active for one second shows for the
 * whole bucket.
 */
export function rollupColumns(m: MetricDef): RollupColumn[] {
  if (!m.rollup) return [];
  if (m.kind === 'gauge') {
    return (['avg', 'min', 'max'] as const).map((agg) => ({ column: `${m.name}_${agg}`, agg, metric: m }));
  }
  if (m.unit === 'bitmask') return [{ column: `${m.name}_any`, agg: 'bitor', metric: m }];
  return [{ column: `${m.name}_max`, agg: 'max', metric: m }];
}

/**
 * The SQL expression that reads a rollup column back as a plain number, for one bucket or a group of
 * them. avg is stored as a state and needs -Merge; the others are SimpleAggregateFunction columns.
 */
/**
 * Reads metric `m` aggregated by `agg` over a bucket of the table of resolution `res`, as a plain
 * number: the raw column's aggregate, or the rollup's merge of the matching column. A rollup without
 * that aggregate is an error rather than a quiet substitute, so a query never shows a max labelled avg.
 */
export function readExpr(m: MetricDef, agg: RollupAgg, res: Resolution): string {
  if (res === 'raw') return agg === 'bitor' ? `groupBitOr(${m.name})` : `${agg}(${m.name})`;
  const col = rollupColumns(m).find((c) => c.agg === agg);
  if (!col) throw new Error(`metric "${m.name}" has no "${agg}" column in the ${res} rollup`);
  return rollupReadExpr(col);
}

export function rollupReadExpr(col: RollupColumn): string {
  switch (col.agg) {
    case 'avg':
      return `avgMerge(${col.column})`;
    case 'min':
      return `min(${col.column})`;
    case 'max':
      return `max(${col.column})`;
    case 'bitor':
      return `groupBitOr(${col.column})`;
  }
}

/**
 * Counter increases. Counters are stored cumulative, as the device reports them, and beside each the
 * writer stores `<name>_inc`: the increase since the same series' previous sample (a reset counts
 * from zero; the first sample a writer sees of a series has none). Increases add up, so rollups keep
 * their sum and a panel reads "new errors per bucket" with a plain sum, across GPUs as well as
 * across time, where differencing cumulative values needs a per-series window over every row.
 */
export function increaseColumn(m: MetricDef): string | undefined {
  return m.kind === 'counter' && m.rollup ? `${m.name}_inc` : undefined;
}

/** The SQL expression for how much a counter grew over a group of rows: its stored increases summed. */
export function increaseReadExpr(m: MetricDef): string {
  const col = increaseColumn(m);
  if (!col) throw new Error(`metric "${m.name}" is not a counter with increases: read it with rollupReadExpr`);
  return `sum(${col})`;
}

/**
 * Per-series bookkeeping the writer adds to each raw row: 1 on the first sample of the series in its
 * minute (hour). Their sums count the series reporting in a bucket exactly, and unlike a distinct
 * count they still add up once rolled up across a region.
 */
export const FIRST_IN_MINUTE = 'first_in_1m';
export const FIRST_IN_HOUR = 'first_in_1h';

/**
 * Region rollups: the same aggregates as the per-series rollups, folded across every series of a
 * region (whole GPUs only: a MIG instance's row would count its parent twice) and source. Fleet-wide
 * panels read these: 8 regions × 1,440 minutes a day instead of one row per GPU per minute.
 */
export const REGION_ENTITIES: readonly Entity[] = ['gpu', 'host'];

export function regionRollupTable(entity: Entity, res: Exclude<Resolution, 'raw'>): string {
  return `${entity}_region_${res}`;
}

/** In a region rollup: series-minutes (sum of FIRST_IN_MINUTE) and series-hours (of FIRST_IN_HOUR). */
export const SERIES_MINUTES = 'series_minutes';
export const SERIES_HOURS = 'series_hours';
/**
 * In a region-day rollup: the distinct hours with data (a uniqExact state), which series-hours are
 * divided by to give the series reporting; a sum cannot count them, as each hour arrives in many inserts.
 */
export const HOURS_PRESENT = 'hours_present';
