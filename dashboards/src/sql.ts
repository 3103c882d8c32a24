import {
  increaseReadExpr,
  labelsOf,
  REGION_ENTITIES,
  regionRollupTable,
  SERIES_HOURS,
  HOURS_PRESENT,
  SERIES_MINUTES,
  metricByName,
  rollupColumns,
  readExpr,
  tableFor,
  type Entity,
  type MetricDef,
  type Resolution,
  type RollupAgg,
} from '@meridian/catalog';
import { guard, RESOLUTIONS, type RollupPolicy } from './rollup.js';

/**
 * SQL for the panels, assembled from catalog definitions: table names from tableFor(), rollup columns
 * from rollupColumns()/rollupReadExpr(), labels from labelsOf(). Metric and label names are looked up
 * in the catalog and fail the build when it lacks them, so a rename there cannot leave a dashboard
 * querying a column that no longer exists.
 */

/** A catalog metric of one entity, or a build error naming it. */
export function metric(entity: Entity, name: string): MetricDef {
  const m = metricByName(name);
  if (!m || m.entity !== entity) throw new Error(`dashboards: the catalog has no ${entity} metric "${name}"`);
  return m;
}

/** A catalog label of one entity, or a build error naming it. */
export function label(entity: Entity, name: string): string {
  if (!labelsOf(entity).some((l) => l.name === name)) {
    throw new Error(`dashboards: the catalog has no ${entity} label "${name}"`);
  }
  return name;
}

export function keyLabels(entity: Entity): string[] {
  return labelsOf(entity)
    .filter((l) => l.key)
    .map((l) => l.name);
}

/** Identifiers for result columns: quoted, so they never collide with a table column of the same name. */
export function alias(text: string): string {
  return `\`${text.replace(/`/g, '')}\``;
}

export type GaugeAgg = 'avg' | 'min' | 'max';

/** Whether every aggregate asked for exists in the rollups. */
export function rolledUp(m: MetricDef, agg: RollupAgg): boolean {
  return rollupColumns(m).some((c) => c.agg === agg);
}

/** Where a query reads: which entity's tables, which filters, series label, and rollup policy. */
export interface Scope {
  readonly entity: Entity;
  /** SQL expression for a `series` label column (long format), or none for a single series. */
  readonly series?: string;
  /** WHERE conjuncts beyond the time filter, typically `$__conditionalAll(...)`. */
  readonly filters: readonly string[];
  readonly policy: RollupPolicy;
  /** Read the region rollups instead of the per-series ones when the view is of whole regions. */
  readonly regional?: RegionalScope;
}

/**
 * The region-rollup reading of a scope. Its series and filters may use only `region` and `source`,
 * the region rollups' key. Fleet-wide panels then read 8 rows per minute instead of one per GPU.
 */
export interface RegionalScope {
  /** A condition that is constant once macros are expanded (e.g. host = All); '1' for always. */
  readonly when: string;
  readonly series?: string;
  readonly filters: readonly string[];
}

/** Where one guarded branch reads. */
interface Source {
  readonly table: string;
  readonly res: Resolution;
  readonly regional: boolean;
  readonly series: string | undefined;
  readonly where: readonly string[];
}

/**
 * The guarded branches of a scope: raw, 1m and 1h, and for a regional scope the region rollups (the
 * minute one standing in for raw rows), with the per-series tables kept for when its condition does
 * not hold.
 */
function sources(scope: Scope): Source[] {
  const out: Source[] = [];
  const r = REGION_ENTITIES.includes(scope.entity) ? scope.regional : undefined;
  for (const res of RESOLUTIONS) {
    const base = ['$__timeFilter(ts)', guard(res, scope.policy)];
    const perSeries = (extra: string[]): Source => ({
      table: tableFor(scope.entity, res),
      res,
      regional: false,
      series: scope.series,
      where: [...base, ...extra, ...scope.filters],
    });
    if (!r) {
      out.push(perSeries([]));
      continue;
    }
    // Whole regions read minute rows even where a per-series view reads raw ones: one row per GPU
    // per second across a fleet (9.6 M rows for 15 minutes of 10,000 GPUs) cost seconds, and a
    // fleet-wide line gains little from per-second points. Picking a host brings them back.
    const always = r.when === '1';
    const regionRes = res === 'raw' ? '1m' : res;
    out.push({
      table: regionRollupTable(scope.entity, regionRes),
      res: regionRes,
      regional: true,
      series: r.series,
      where: [...base, ...(always ? [] : [r.when]), ...r.filters],
    });
    if (!always) out.push(perSeries([`NOT (${r.when})`]));
  }
  return out;
}

function branch(src: Source, select: readonly string[]): string {
  const head = ['$__timeInterval(ts) AS time', ...(src.series ? [`${src.series} AS series`] : [])];
  const group = ['time', ...(src.series ? ['series'] : [])];
  return (
    `SELECT ${[...head, ...select].join(', ')} FROM ${src.table}` +
    ` WHERE ${src.where.join(' AND ')} GROUP BY ${group.join(', ')}`
  );
}

/**
 * How many series report in a bucket: a distinct count of the key where rows are per series, and on
 * a region rollup the first-in-minute (hour) flags summed and divided by the minutes (hours) present,
 * which is the same count averaged over the bucket and, unlike a distinct count, adds up per region.
 */
export function seriesCountExpr(res: Resolution, regional: boolean, keys: readonly string[]): string {
  if (!regional) return `uniqExact(${keys.join(', ')})`;
  // A region-day row counts series-hours; its hours present are a mergeable distinct count.
  if (res === '1d') return `(sum(${SERIES_HOURS}) / uniqExactMerge(${HOURS_PRESENT}))`;
  return `(sum(${res === '1h' ? SERIES_HOURS : SERIES_MINUTES}) / uniqExact(ts))`;
}

export interface GaugeValue {
  readonly metric: MetricDef;
  readonly agg: GaugeAgg;
  /** Result column name; default "<metric> (<agg>)". */
  readonly as?: string;
}

export function gaugeAlias(v: GaugeValue): string {
  return v.as ?? `${v.metric.name} (${v.agg})`;
}

/**
 * A time series of gauge aggregates: `time`, optional `series`, one Float64 column per value,
 * ascending by time, from the raw table or a rollup depending on $__interval_s.
 */
export function gaugeSeriesSql(scope: Scope, values: readonly GaugeValue[]): string {
  const order = scope.series ? 'time, series' : 'time';
  return `SELECT * FROM (${gaugeUnionSql(scope, values)}) ORDER BY ${order}`;
}

/** The three guarded branches of a gauge time series, for callers that join more columns on. */
export function gaugeUnionSql(scope: Scope, values: readonly GaugeValue[], extra: SelectFn = () => []): string {
  if (values.length === 0) throw new Error('dashboards: a gauge query needs at least one value');
  return seriesUnionSql(scope, (res, regional) => [
    ...values.map((v) => `toFloat64(${readExpr(v.metric, v.agg, res)}) AS ${alias(gaugeAlias(v))}`),
    ...extra(res, regional),
  ]);
}

/** Guarded branches with any per-resolution SELECT list after `time` (and `series`). */
export function seriesUnionSql(scope: Scope, select: SelectFn): string {
  return sources(scope)
    .map((src) => branch(src, select(src.res, src.regional)))
    .join(' UNION ALL ');
}

/** A time series with any per-resolution SELECT list, ascending by time. */
export function customSeriesSql(scope: Scope, select: SelectFn): string {
  return `SELECT * FROM (${seriesUnionSql(scope, select)}) ORDER BY ${scope.series ? 'time, series' : 'time'}`;
}

/** Extra SELECT expressions for one branch: its resolution, and whether it reads a region rollup. */
export type SelectFn = (res: Resolution, regional: boolean) => string[];

/**
 * Tables group by labels that lead the rollups' sorting key (region, host, gpu_uuid; link_id): read in
 * key order the engine folds each group as it streams past instead of hashing three LowCardinality
 * strings per row and merging per-thread tables. GROUP BY region, host, gpu_uuid over 30 days of
 * gpu_1d at 10,240 GPUs (307 k rows, one sum, top 1000): 291 ms hashed, 62 ms in key order (same
 * store, one after the other, load ~7 on 2 cores).
 */
export const IN_KEY_ORDER = 'SETTINGS optimize_aggregation_in_order = 1';

/**
 * A table with one row per group over the whole range (no time column): each guarded branch groups
 * by the given labels, so a 30-day table reads the 1-day rollup (SUMMARY_POLICY), in key order.
 */
export function summaryTableSql(
  scope: Scope,
  groupBy: readonly string[],
  select: SelectFn,
  opts: { orderBy?: string; outerWhere?: string } = {},
): string {
  const orderBy = opts.orderBy ?? groupBy.join(', ');
  const branches = sources(scope).map(
    (src) =>
      `SELECT ${[...groupBy, ...select(src.res, src.regional)].join(', ')} FROM ${src.table}` +
      ` WHERE ${src.where.join(' AND ')}${groupBy.length ? ` GROUP BY ${groupBy.join(', ')}` : ''}`,
  );
  return `SELECT * FROM (${branches.join(' UNION ALL ')})${opts.outerWhere ? ` WHERE ${opts.outerWhere}` : ''}${orderBy ? ` ORDER BY ${orderBy}` : ''} LIMIT 1000 ${IN_KEY_ORDER}`;
}

/**
 * A time series of counter increases: the per-sample increases the writer stores (`<name>_inc`),
 * summed per bucket and `series`. No per-series differencing is needed, so a fleet-wide error panel
 * costs what a gauge panel costs, and a region rollup answers it.
 */
export function counterSeriesSql(scope: Scope, metrics: readonly MetricDef[]): string {
  if (metrics.length === 0) throw new Error('dashboards: a counter query needs at least one metric');
  return customSeriesSql(scope, () =>
    metrics.map((m) => `toFloat64(${increaseReadExpr(m)}) AS ${alias(`${m.name} (increase)`)}`),
  );
}

/**
 * The latest value of each metric per series (one row per GPU, link lane or host) from the raw table.
 * For states and for gauges the rollups do not carry; panels using it set a short relative time
 * (timeFrom), so it reads only the last minutes of raw rows.
 */
export function latestStateSql(entity: Entity, metrics: readonly MetricDef[], filters: readonly string[]): string {
  const keys = keyLabels(entity);
  const cols = metrics.map((m) => `argMax(${m.name}, ts) AS ${alias(m.name)}`);
  const where = ['$__timeFilter(ts)', ...filters];
  return (
    `SELECT ${[...keys, ...cols].join(', ')} FROM ${tableFor(entity, 'raw')}` +
    ` WHERE ${where.join(' AND ')} GROUP BY ${keys.join(', ')} ORDER BY ${keys.join(', ')} LIMIT 1000`
  );
}

/** `$__conditionalAll(<column> IN ($var), $var)`: the filter a multi-value variable with All needs. */
export function inVar(column: string, variable: string): string {
  return `$__conditionalAll(${column} IN ($${variable}), $${variable})`;
}

/** 1 when the variable is All (or empty), 0 otherwise: `$__conditionalAll(0, $var)` turns into `1=1`. */
export function isAllExpr(variable: string): string {
  return `($__conditionalAll(0, $${variable}))`;
}
