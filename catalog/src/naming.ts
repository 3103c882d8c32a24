import type { Entity, MetricDef } from './types.js';

/** Rollup resolutions. Each has its own table and a longer TTL than the one below it. */
export type Resolution = 'raw' | '1m' | '1h';

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
 * max, which is the last value of a monotonic counter; rates come from differences between buckets.
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
