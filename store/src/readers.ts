import {
  keyLabelsOf,
  labelsOf,
  metricByName,
  rawTable,
  rollupColumns,
  rollupReadExpr,
  rollupTable,
  type Entity,
  type Resolution,
} from '@meridian/catalog';
import type { Store } from './store.js';

/**
 * Typed readers. Identifiers (tables, columns) come only from the catalog, checked here; every value
 * is a bound parameter. Nothing a caller passes is spliced into SQL text.
 */

/** The coarsest table that still resolves `stepS`: rollups make long ranges cheap. */
export function resolutionFor(stepS: number): Resolution {
  if (stepS >= 3600) return '1h';
  if (stepS >= 60) return '1m';
  return 'raw';
}

export interface SeriesQuery {
  readonly entity: Entity;
  readonly metric: string;
  /** How a gauge is summarised within each step. Counters and states always use max. */
  readonly agg?: 'avg' | 'min' | 'max';
  /** Epoch milliseconds, inclusive start and exclusive end. */
  readonly from: number;
  readonly to: number;
  readonly stepS: number;
  /** A label to split series by (e.g. region); absent for one fleet-wide series. */
  readonly groupBy?: string;
  /** Equality filters on labels. */
  readonly where?: Readonly<Record<string, string | number>>;
}

export interface SeriesPoint {
  /** Start of the step, epoch milliseconds. */
  readonly t: number;
  /** Value of the groupBy label, or '' without one. */
  readonly key: string;
  readonly value: number | null;
}

function checkLabel(entity: Entity, name: string, what: string): void {
  if (!labelsOf(entity).some((l) => l.name === name)) {
    throw new Error(
      `${what}: "${name}" is not a ${entity} label (known: ${labelsOf(entity)
        .map((l) => l.name)
        .join(', ')})`,
    );
  }
}

export async function readSeries(store: Store, q: SeriesQuery): Promise<SeriesPoint[]> {
  const m = metricByName(q.metric);
  if (!m || m.entity !== q.entity) throw new Error(`metric: "${q.metric}" is not a ${q.entity} metric in the catalog`);
  if (!(q.stepS >= 1) || !Number.isInteger(q.stepS)) throw new Error(`stepS: must be a whole number of seconds >= 1`);
  if (!(q.to > q.from)) throw new Error('to: must be after from');
  if (q.groupBy) checkLabel(q.entity, q.groupBy, 'groupBy');
  const where = Object.entries(q.where ?? {});
  for (const [k] of where) checkLabel(q.entity, k, 'where');

  let res = resolutionFor(q.stepS);
  const cols = rollupColumns(m);
  if (cols.length === 0) res = 'raw'; // not rolled up (e.g. constants like memory_total)
  const agg = m.kind === 'gauge' ? (q.agg ?? 'avg') : 'max';
  let table: string;
  let valueExpr: string;
  if (res === 'raw') {
    table = rawTable(q.entity);
    valueExpr = m.unit === 'bitmask' ? `groupBitOr(${m.name})` : `${agg}(${m.name})`;
  } else {
    table = rollupTable(q.entity, res);
    const col = cols.find((c) => c.agg === agg) ?? cols[0]!;
    valueExpr = rollupReadExpr(col);
  }
  const params: Record<string, unknown> = { from: q.from / 1000, to: q.to / 1000, step: q.stepS };
  const filters = where.map(([k, v], i) => {
    params[`w${i}`] = String(v);
    return `toString(${k}) = {w${i}:String}`;
  });
  const key = q.groupBy ? `toString(${q.groupBy})` : "''";
  const sql = `SELECT toUnixTimestamp(toStartOfInterval(ts, INTERVAL {step:UInt32} SECOND)) * 1000 AS t, ${key} AS key, ${valueExpr} AS value
    FROM ${table}
    WHERE ts >= toDateTime64({from:Float64}, 3) AND ts < toDateTime64({to:Float64}, 3)${filters.map((f) => ` AND ${f}`).join('')}
    GROUP BY t, key ORDER BY key, t`;
  const rows = await store.query<{ t: number; key: string; value: number | null }>(sql, params);
  return rows.map((r) => ({ t: Number(r.t), key: r.key, value: r.value === null ? null : Number(r.value) }));
}

/** The most recent row of each series (its key labels) within `withinS` seconds before `now`. */
export async function readLatest(
  store: Store,
  entity: Entity,
  opts: { now?: number; withinS?: number; where?: Readonly<Record<string, string>> } = {},
): Promise<Record<string, unknown>[]> {
  const keys = keyLabelsOf(entity).map((l) => l.name);
  const where = Object.entries(opts.where ?? {});
  for (const [k] of where) checkLabel(entity, k, 'where');
  const params: Record<string, unknown> = {
    now: (opts.now ?? Date.now()) / 1000,
    within: opts.withinS ?? 60,
  };
  const filters = where.map(([k, v], i) => {
    params[`w${i}`] = v;
    return ` AND toString(${k}) = {w${i}:String}`;
  });
  return store.query(
    `SELECT * FROM ${rawTable(entity)}
     WHERE ts > toDateTime64({now:Float64}, 3) - INTERVAL {within:UInt32} SECOND AND ts <= toDateTime64({now:Float64}, 3)${filters.join('')}
     ORDER BY ts DESC LIMIT 1 BY ${keys.join(', ')}`,
    params,
  );
}
