import {
  FIRST_IN_HOUR,
  FIRST_IN_MINUTE,
  increaseColumn,
  labelsOf,
  originalMetricsOf,
  rollupColumns,
  SERIES_HOURS,
  SERIES_MINUTES,
  type Entity,
  type LabelDef,
  type MetricDef,
} from '@meridian/catalog';

/**
 * Column types and codecs for the wide tables, derived from the catalog. Codec choices were measured
 * with `npm run bench:ingest` (bytes per value per column); see bench/README.md for the figures.
 *  - timestamps: DoubleDelta then ZSTD: samples arrive at a steady cadence, so second differences are ~0.
 *  - float gauges: Gorilla then ZSTD: smooth GPU curves XOR well against the previous value.
 *  - counters: Delta then ZSTD: cumulative counters grow slowly, so deltas are small.
 *  - small integer states and bitmasks: T64 then ZSTD: few distinct values, mostly unchanged.
 *  - byte gauges (memory, disk): T64 then ZSTD.
 */
export function metricCodec(m: MetricDef): string {
  // Only for metrics added from 0008 on, so the original DDL (and its checksums) stay as applied;
  // 0008 re-codecs util_sm_active itself (RECODED_IN_0008).
  if (m.since !== undefined && isProfilingRatio(m)) return NOISY_RATIO_CODEC;
  if (m.kind === 'counter') return m.type.startsWith('Float') ? 'CODEC(Gorilla, ZSTD(1))' : 'CODEC(Delta, ZSTD(1))';
  if (m.type.startsWith('Float')) return 'CODEC(Gorilla, ZSTD(1))';
  return 'CODEC(T64, ZSTD(1))';
}

/**
 * DCGM profiling ratios are printed with six digits and jitter sample to sample: Gorilla's XOR of
 * consecutive values finds little to share (3.6 bytes a value in bench/dcgm-ingest), ZSTD alone
 * halves it (1.8). Energy, a rising Float64 counter with millijoule fractions, keeps 3.7 bytes with
 * Delta against Gorilla's 5.1.
 */
const NOISY_RATIO_CODEC = 'CODEC(ZSTD(1))';

/** A DCGM profiling ratio column: percent, floating point, read from a DCGM_FI_PROF_* field. */
export function isProfilingRatio(m: MetricDef): boolean {
  return (
    m.unit === 'percent' && m.type.startsWith('Float') && (m.sources?.dcgm?.field.startsWith('DCGM_FI_PROF_') ?? false)
  );
}

/** Original columns whose codec migration 0008 changes, by the same measurement. */
export const RECODED_IN_0008: Readonly<Record<string, string>> = {
  util_sm_active: NOISY_RATIO_CODEC,
  energy_total: 'CODEC(Delta, ZSTD(1))',
};

export const TS_COLUMN = "ts DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1))";
export const SOURCE_COLUMN = 'source LowCardinality(String) CODEC(ZSTD(1))';

export function labelColumn(l: LabelDef): string {
  const dflt = l.required ? '' : l.type === 'UInt16' ? ' DEFAULT 0' : " DEFAULT ''";
  return `${l.name} ${l.type}${dflt} CODEC(ZSTD(1))`;
}

export function metricColumn(m: MetricDef): string {
  return `${m.name} Nullable(${m.type}) ${metricCodec(m)}`;
}

/** ORDER BY for a wide table: the series identity first, time last. */
export function sortKey(entity: Entity): string {
  const keys = labelsOf(entity)
    .filter((l) => l.key)
    .map((l) => l.name);
  return `(${[...keys, 'ts'].join(', ')})`;
}

/**
 * The raw table as migration 0001 created it: the original metric set (later metrics are added by
 * the migration that names them in `since`, so 0001's DDL, and its checksum, never change).
 */
export function rawColumns(entity: Entity): string[] {
  return [
    TS_COLUMN,
    SOURCE_COLUMN,
    ...labelsOf(entity).map(labelColumn),
    ...originalMetricsOf(entity).map(metricColumn),
  ];
}

/**
 * Which generation of the rollup column set: 0002 created them without counter increases (0004 added
 * those); `metrics` is the metric set of that generation, the original set when absent (see
 * metricsThrough in the catalog for a later migration's full set).
 */
export interface RollupShape {
  readonly increments: boolean;
  readonly metrics?: readonly MetricDef[];
}

const shapeMetrics = (entity: Entity, shape: RollupShape): readonly MetricDef[] =>
  shape.metrics ?? originalMetricsOf(entity);

/** One rollup column per aggregate of each metric (and each counter's increase, from 0004 on). */
export function metricRollupColumns(entity: Entity, shape: RollupShape): string[] {
  const cols: string[] = [];
  for (const m of shapeMetrics(entity, shape)) {
    for (const c of rollupColumns(m)) {
      const t = `Nullable(${m.type})`;
      switch (c.agg) {
        case 'avg':
          cols.push(`${c.column} AggregateFunction(avg, ${t}) CODEC(ZSTD(1))`);
          break;
        case 'min':
        case 'max':
          cols.push(`${c.column} SimpleAggregateFunction(${c.agg}, ${t}) CODEC(ZSTD(1))`);
          break;
        case 'bitor':
          cols.push(`${c.column} SimpleAggregateFunction(groupBitOr, ${t}) CODEC(ZSTD(1))`);
          break;
      }
    }
    if (shape.increments) cols.push(...increaseRollupColumn(m));
  }
  return cols;
}

/** A counter's increase column in a rollup (none for other kinds). */
export function increaseRollupColumn(m: MetricDef): string[] {
  const inc = increaseColumn(m);
  // sum() widens: integers to UInt64, floats to Float64, and the column must hold what it returns.
  const t = m.type.startsWith('Float') ? 'Float64' : 'UInt64';
  return inc ? [`${inc} SimpleAggregateFunction(sum, Nullable(${t})) CODEC(ZSTD(1))`] : [];
}

/** A counter's increase column in a raw table (none for other kinds). */
export function increaseRawColumn(m: MetricDef): string[] {
  const inc = increaseColumn(m);
  return inc ? [`${inc} Nullable(${m.type}) ${metricCodec(m)}`] : [];
}

/** The writer's per-series first-in-bucket flags, in a raw table. */
export const FIRST_FLAG_COLUMNS = [FIRST_IN_MINUTE, FIRST_IN_HOUR].map(
  (c) => `${c} UInt8 DEFAULT 0 CODEC(T64, ZSTD(1))`,
);

/**
 * Rollup columns: key labels, then descriptive labels as anyLast (they depend on the key, and the
 * engine refuses plain columns outside the sorting key), then one column per aggregate.
 */
export function rollupTableColumns(entity: Entity, shape: RollupShape = { increments: false }): string[] {
  const dependent = (name: string, type: string) => `${name} SimpleAggregateFunction(anyLast, ${type}) CODEC(ZSTD(1))`;
  return [
    "ts DateTime('UTC') CODEC(DoubleDelta, ZSTD(1))",
    dependent('source', 'LowCardinality(String)'),
    ...labelsOf(entity).map((l) => (l.key ? labelColumn(l) : dependent(l.name, l.type))),
    'samples SimpleAggregateFunction(sum, UInt64) CODEC(T64, ZSTD(1))',
    ...metricRollupColumns(entity, shape),
  ];
}

/** A region rollup: region and source as the key, series counts, then the same aggregates. */
export function regionRollupTableColumns(entity: Entity, metrics?: readonly MetricDef[]): string[] {
  const count = (name: string) => `${name} SimpleAggregateFunction(sum, UInt64) CODEC(T64, ZSTD(1))`;
  return [
    "ts DateTime('UTC') CODEC(DoubleDelta, ZSTD(1))",
    'region LowCardinality(String) CODEC(ZSTD(1))',
    SOURCE_COLUMN,
    count('samples'),
    count(SERIES_MINUTES),
    count(SERIES_HOURS),
    ...metricRollupColumns(entity, { increments: true, ...(metrics ? { metrics } : {}) }),
  ];
}

/** The aggregate expressions folding raw rows (or finer rollup rows) into one bucket. */
function metricRollupSelect(entity: Entity, fromRollup: boolean, shape: RollupShape): string[] {
  const parts: string[] = [];
  for (const m of shapeMetrics(entity, shape)) {
    for (const c of rollupColumns(m)) {
      const src = fromRollup ? c.column : m.name;
      switch (c.agg) {
        case 'avg':
          parts.push(fromRollup ? `avgMergeState(${src}) AS ${c.column}` : `avgState(${src}) AS ${c.column}`);
          break;
        case 'min':
        case 'max':
          parts.push(`${c.agg}(${src}) AS ${c.column}`);
          break;
        case 'bitor':
          parts.push(`groupBitOr(${src}) AS ${c.column}`);
          break;
      }
    }
    const inc = shape.increments ? increaseColumn(m) : undefined;
    if (inc) parts.push(`sum(${inc}) AS ${inc}`);
  }
  return parts;
}

/** The SELECT list that folds raw rows (or finer rollup rows) into one rollup bucket. */
export function rollupSelect(
  entity: Entity,
  bucketFn: string,
  from: string,
  fromRollup: boolean,
  shape: RollupShape = { increments: false },
): string {
  const keys = labelsOf(entity).filter((l) => l.key);
  const others = labelsOf(entity).filter((l) => !l.key);
  const parts = [
    `${bucketFn}(ts) AS ts`,
    'anyLast(source) AS source',
    ...keys.map((l) => l.name),
    ...others.map((l) => `anyLast(${l.name}) AS ${l.name}`),
    fromRollup ? 'sum(samples) AS samples' : 'count() AS samples',
    ...metricRollupSelect(entity, fromRollup, shape),
  ];
  return `SELECT ${parts.join(', ')} FROM ${from} GROUP BY ${[...keys.map((l) => l.name), 'ts'].join(', ')}`;
}

/**
 * The SELECT folding raw rows (or region-minute rows) into a region bucket. GPU rows of MIG
 * instances stay out: their parent GPU's row already carries the whole device.
 */
export function regionRollupSelect(
  entity: Entity,
  bucketFn: string,
  from: string,
  fromRollup: boolean,
  extra: readonly string[] = [],
  metrics?: readonly MetricDef[],
): string {
  const parts = [
    `${bucketFn}(ts) AS ts`,
    'region',
    'source',
    fromRollup ? 'sum(samples) AS samples' : 'count() AS samples',
    `sum(${fromRollup ? SERIES_MINUTES : FIRST_IN_MINUTE}) AS ${SERIES_MINUTES}`,
    `sum(${fromRollup ? SERIES_HOURS : FIRST_IN_HOUR}) AS ${SERIES_HOURS}`,
    ...metricRollupSelect(entity, fromRollup, { increments: true, ...(metrics ? { metrics } : {}) }),
    ...extra,
  ];
  const where = !fromRollup && entity === 'gpu' ? " WHERE mig_instance = ''" : '';
  return `SELECT ${parts.join(', ')} FROM ${from}${where} GROUP BY region, source, ts`;
}
