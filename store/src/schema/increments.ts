import {
  ENTITIES,
  originalMetricsOf,
  rawTable,
  REGION_ENTITIES,
  regionRollupTable,
  rollupTable,
  type Entity,
} from '@meridian/catalog';
import {
  FIRST_FLAG_COLUMNS,
  increaseRawColumn,
  increaseRollupColumn,
  regionRollupSelect,
  regionRollupTableColumns,
  rollupSelect,
} from './columns.js';
import { addColumns, createTable, onCluster, RETENTION_DAYS, type Flavor } from './ddl.js';

/**
 * Migration 0004: counter increases and region rollups (see increaseColumn and regionRollupTable in
 * the catalog for what they hold and why).
 *  - raw tables gain `<counter>_inc` and the first-in-minute/hour flags, which the writer fills;
 *  - the per-series rollups gain `<counter>_inc` sums, and their views are re-created to fill them
 *    (a view's query cannot be altered in place on every supported engine version; rows inserted
 *    while a migration runs are not expected: collectors migrate before they write);
 *  - `<entity>_region_1m` / `_region_1h`, fed from the raw table and cascading like the others.
 * Rows written before this migration have no increases; panels read them as no new events.
 */
export function incrementsDdl(f: Flavor): string[] {
  return [...ENTITIES.flatMap((e) => seriesIncrements(e, f)), ...REGION_ENTITIES.flatMap((e) => regionRollups(e, f))];
}

function seriesIncrements(entity: Entity, f: Flavor): string[] {
  // The original set: metrics added later get their increases from the migration that adds them.
  const metrics = originalMetricsOf(entity);
  const raw = rawTable(entity);
  const m1 = rollupTable(entity, '1m');
  const h1 = rollupTable(entity, '1h');
  const rollupCols = metrics.flatMap(increaseRollupColumn);
  const shape = { increments: true };
  return [
    addColumns(raw, [...metrics.flatMap(increaseRawColumn), ...FIRST_FLAG_COLUMNS], f),
    ...(rollupCols.length ? [addColumns(m1, rollupCols, f), addColumns(h1, rollupCols, f)] : []),
    `DROP VIEW IF EXISTS ${m1}_mv${onCluster(f)}`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${m1}_mv${onCluster(f)} TO ${m1} AS ${rollupSelect(entity, 'toStartOfMinute', raw, false, shape)}`,
    `DROP VIEW IF EXISTS ${h1}_mv${onCluster(f)}`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${h1}_mv${onCluster(f)} TO ${h1} AS ${rollupSelect(entity, 'toStartOfHour', m1, true, shape)}`,
  ];
}

function regionRollups(entity: Entity, f: Flavor): string[] {
  const table = (res: '1m' | '1h') =>
    createTable(
      regionRollupTable(entity, res),
      regionRollupTableColumns(entity),
      { family: 'AggregatingMergeTree' },
      { partition: 'toYYYYMM(ts)', orderBy: '(region, source, ts)', ttl: `ts + INTERVAL ${RETENTION_DAYS[res]} DAY` },
      f,
    );
  const m1 = regionRollupTable(entity, '1m');
  const h1 = regionRollupTable(entity, '1h');
  return [
    table('1m'),
    table('1h'),
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${m1}_mv${onCluster(f)} TO ${m1} AS ${regionRollupSelect(entity, 'toStartOfMinute', rawTable(entity), false)}`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${h1}_mv${onCluster(f)} TO ${h1} AS ${regionRollupSelect(entity, 'toStartOfHour', m1, true)}`,
  ];
}
