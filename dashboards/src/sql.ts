import {
  labelsOf,
  metricByName,
  rollupColumns,
  rollupReadExpr,
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

/** The expression reading one aggregate of a metric at one resolution. */
export function readExpr(m: MetricDef, agg: RollupAgg, res: Resolution): string {
  if (res === 'raw') return agg === 'bitor' ? `groupBitOr(${m.name})` : `${agg}(${m.name})`;
  const col = rollupColumns(m).find((c) => c.agg === agg);
  if (!col) throw new Error(`dashboards: metric "${m.name}" has no "${agg}" column in the ${res} rollup`);
  return rollupReadExpr(col);
}

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
}

function branch(scope: Scope, res: Resolution, select: readonly string[], groupBy: readonly string[]): string {
  const head = ['$__timeInterval(ts) AS time', ...(scope.series ? [`${scope.series} AS series`] : [])];
  const where = ['$__timeFilter(ts)', guard(res, scope.policy), ...scope.filters];
  const group = ['time', ...(scope.series ? ['series'] : []), ...groupBy];
  return (
    `SELECT ${[...head, ...select].join(', ')} FROM ${tableFor(scope.entity, res)}` +
    ` WHERE ${where.join(' AND ')} GROUP BY ${group.join(', ')}`
  );
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
  return seriesUnionSql(scope, (res) => [
    ...values.map((v) => `toFloat64(${readExpr(v.metric, v.agg, res)}) AS ${alias(gaugeAlias(v))}`),
    ...extra(res),
  ]);
}

/** Guarded branches with any per-resolution SELECT list after `time` (and `series`). */
export function seriesUnionSql(scope: Scope, select: SelectFn): string {
  return RESOLUTIONS.map((res) => branch(scope, res, select(res), [])).join(' UNION ALL ');
}

/** A time series with any per-resolution SELECT list, ascending by time. */
export function customSeriesSql(scope: Scope, select: SelectFn): string {
  return `SELECT * FROM (${seriesUnionSql(scope, select)}) ORDER BY ${scope.series ? 'time, series' : 'time'}`;
}

/** Extra SELECT expressions for one resolution's branch. */
export type SelectFn = (res: Resolution) => string[];

/**
 * A table with one row per group over the whole range (no time column): each guarded branch groups
 * by the given labels, so a 30-day table reads the 1-hour rollup.
 */
export function summaryTableSql(
  entity: Entity,
  policy: RollupPolicy,
  filters: readonly string[],
  groupBy: readonly string[],
  select: SelectFn,
  orderBy: string = groupBy.join(', '),
  outerWhere?: string,
): string {
  const branches = RESOLUTIONS.map((res) => {
    const where = ['$__timeFilter(ts)', guard(res, policy), ...filters];
    return (
      `SELECT ${[...groupBy, ...select(res)].join(', ')} FROM ${tableFor(entity, res)}` +
      ` WHERE ${where.join(' AND ')}${groupBy.length ? ` GROUP BY ${groupBy.join(', ')}` : ''}`
    );
  });
  return `SELECT * FROM (${branches.join(' UNION ALL ')})${outerWhere ? ` WHERE ${outerWhere}` : ''}${orderBy ? ` ORDER BY ${orderBy}` : ''} LIMIT 1000`;
}

/**
 * A time series of counter increases. Counters are stored raw and cumulative (rollups keep the last
 * value as `<name>_max`), so the increase in a bucket is this bucket's last value minus the previous
 * bucket's, per series (a GPU, a link lane), clamped at 0 across counter resets, then summed per
 * `series`. The first bucket of each series counts 0: there is nothing before it to difference.
 */
export function counterSeriesSql(scope: Scope, metrics: readonly MetricDef[]): string {
  if (metrics.length === 0) throw new Error('dashboards: a counter query needs at least one metric');
  // One 64-bit hash of the series key: grouping and partitioning on it measured about twice as fast
  // as on the key's strings.
  const sk = `cityHash64(${keyLabels(scope.entity).join(', ')})`;
  const branches = RESOLUTIONS.map((res) =>
    branch(
      scope,
      res,
      [`${sk} AS sk`, ...metrics.map((m, i) => `toFloat64(${readExpr(m, 'max', res)}) AS v${i}`)],
      ['sk'],
    ),
  );
  const s = scope.series ? ', series' : '';
  const inc = metrics.map((_m, i) => `greatest(v${i} - lagInFrame(v${i}, 1, v${i}) OVER w, 0) AS inc${i}`);
  const sums = metrics.map((m, i) => `sum(inc${i}) AS ${alias(`${m.name} (increase)`)}`);
  return (
    `SELECT time${s}, ${sums.join(', ')} FROM (` +
    `SELECT time${s}, ${inc.join(', ')} FROM (${branches.join(' UNION ALL ')})` +
    ` WINDOW w AS (PARTITION BY sk ORDER BY time ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)` +
    `) GROUP BY time${s} ORDER BY time${s}`
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
