import {
  ENTITIES,
  metricByName,
  metricsAddedBy,
  metricsThrough,
  rawTable,
  REGION_ENTITIES,
  regionRollupTable,
  rollupTable,
  type Entity,
  type MetricDef,
} from '@meridian/catalog';
import {
  increaseRawColumn,
  metricColumn,
  metricRollupColumns,
  RECODED_IN_0008,
  regionRollupSelect,
  rollupSelect,
} from './columns.js';
import { hoursPresentSelect } from './daily.js';
import { addColumns, onCluster, type Flavor } from './ddl.js';

/**
 * A rollup table fed by a materialized view: its name, the view's bucket function, and what it reads
 * (the raw table, or the finer rollup it cascades from). This is the one list a metric-adding
 * migration walks, so a new rollup tier is covered by adding its step here (as 0007's daily tier is).
 */
export interface RollupStep {
  readonly table: string;
  readonly bucketFn: string;
  readonly from: string;
  readonly fromRollup: boolean;
  /** A region rollup (folded across series) rather than a per-series one. */
  readonly region: boolean;
  /** Columns of this step beyond the metrics (the region-day tables' hours present). */
  readonly extra?: readonly string[];
}

export function rollupSteps(entity: Entity): RollupStep[] {
  const steps: RollupStep[] = [
    {
      table: rollupTable(entity, '1m'),
      bucketFn: 'toStartOfMinute',
      from: rawTable(entity),
      fromRollup: false,
      region: false,
    },
    {
      table: rollupTable(entity, '1h'),
      bucketFn: 'toStartOfHour',
      from: rollupTable(entity, '1m'),
      fromRollup: true,
      region: false,
    },
    // Migration 0007's daily tier.
    {
      table: rollupTable(entity, '1d'),
      bucketFn: 'toStartOfDay',
      from: rollupTable(entity, '1h'),
      fromRollup: true,
      region: false,
    },
  ];
  if (REGION_ENTITIES.includes(entity)) {
    const m1 = regionRollupTable(entity, '1m');
    const h1 = regionRollupTable(entity, '1h');
    steps.push(
      { table: m1, bucketFn: 'toStartOfMinute', from: rawTable(entity), fromRollup: false, region: true },
      { table: h1, bucketFn: 'toStartOfHour', from: m1, fromRollup: true, region: true },
      {
        table: regionRollupTable(entity, '1d'),
        bucketFn: 'toStartOfDay',
        from: h1,
        fromRollup: true,
        region: true,
        extra: hoursPresentSelect(entity),
      },
    );
  }
  return steps;
}

/** The SELECT of a step's view over `metrics`. */
function stepSelect(entity: Entity, s: RollupStep, metrics: readonly MetricDef[]): string {
  return s.region
    ? regionRollupSelect(entity, s.bucketFn, s.from, s.fromRollup, s.extra ?? [], metrics)
    : rollupSelect(entity, s.bucketFn, s.from, s.fromRollup, { increments: true, metrics });
}

/**
 * A migration that adds catalog metrics (those whose `since` is `version`) to an existing store:
 *  - raw tables gain the metric columns and, for counters, their `_inc` columns (the writer fills them);
 *  - every rollup gains the metrics' aggregate columns;
 *  - every rollup view is dropped and created again over the full metric set of `version`, because a
 *    view's query cannot be changed in place on every engine this runs on (chDB's embedded engine and
 *    a server; `ALTER TABLE … MODIFY QUERY` is experimental). Views are re-created in cascade order,
 *    finest first. Rows already rolled up keep NULL in the new columns; rows written after the
 *    migration fill them. Collectors migrate before they write, so no insert is expected while the
 *    views are briefly absent.
 * Entities without new metrics are left alone.
 */
export function addMetricsDdl(version: string, f: Flavor): string[] {
  return ENTITIES.flatMap((entity) => {
    const added = metricsAddedBy(entity, version);
    if (added.length === 0) return [];
    const all = metricsThrough(entity, version);
    const steps = rollupSteps(entity);
    const rollupCols = metricRollupColumns(entity, { increments: true, metrics: added });
    return [
      addColumns(rawTable(entity), [...added.map(metricColumn), ...added.flatMap(increaseRawColumn)], f),
      ...steps.map((s) => addColumns(s.table, rollupCols, f)),
      ...steps.flatMap((s) => [
        `DROP VIEW IF EXISTS ${s.table}_mv${onCluster(f)}`,
        `CREATE MATERIALIZED VIEW IF NOT EXISTS ${s.table}_mv${onCluster(f)} TO ${s.table} AS ${stepSelect(entity, s, all)}`,
      ]),
    ];
  });
}

/**
 * Migration 0008's codec changes to original raw columns (see RECODED_IN_0008): parts written from
 * then on, and merged parts, use the new codec; nothing is rewritten at once.
 */
export function recodecDdl(f: Flavor): string[] {
  const cols = Object.entries(RECODED_IN_0008).map(([name, codec]) => {
    const m = metricByName(name);
    if (!m) throw new Error(`schema: catalog has no metric ${name}`);
    return `MODIFY COLUMN ${m.name} Nullable(${m.type}) ${codec}`;
  });
  return cols.length ? [`ALTER TABLE ${rawTable('gpu')}${onCluster(f)} ${cols.join(', ')}`] : [];
}
