import {
  ENTITIES,
  HOURS_PRESENT,
  REGION_ENTITIES,
  regionRollupTable,
  rollupTable,
  type Entity,
} from '@meridian/catalog';
import { regionRollupSelect, regionRollupTableColumns, rollupSelect, rollupTableColumns, sortKey } from './columns.js';
import { createTable, onCluster, RETENTION_DAYS, type Flavor } from './ddl.js';

/**
 * Migration 0007: 1-day rollups, per series (`<entity>_1d`) and per region (`<entity>_region_1d`),
 * so that 30- and 90-day views read 30 or 90 rows per GPU instead of 720 or 2,160.
 *
 * They are built from the same column and SELECT generators as the hourly tables (a metric the
 * catalog gains is in both), and fed the same way: a view on the hourly table, the last step of the
 * raw -> 1m -> 1h -> 1d cascade. A view's input is the block just inserted into the hourly table,
 * already grouped by hour, so this step folds a few rows per series per insert. Its target carries
 * the deduplication window too, so a retried batch is counted once here as well.
 *
 * Existing stores are backfilled from the hourly rollup before the view exists. Rows written while
 * the migration runs are not expected (collectors migrate before they write), as for 0004. On a
 * cluster the backfill is left out of the rendered DDL: it must run on one replica of every shard
 * (`INSERT INTO <entity>_1d SELECT …` as printed for a single node).
 */
export function dailyDdl(f: Flavor): string[] {
  return [...ENTITIES.flatMap((e) => seriesDaily(e, f)), ...REGION_ENTITIES.flatMap((e) => regionDaily(e, f))];
}

const dailyTail = (orderBy: string) => ({
  partition: 'toYYYYMM(ts)',
  orderBy,
  ttl: `ts + INTERVAL ${RETENTION_DAYS['1d']} DAY`,
});

function fill(table: string, select: string, f: Flavor): string[] {
  return [
    ...(f.cluster ? [] : [`INSERT INTO ${table} ${select}`]),
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${table}_mv${onCluster(f)} TO ${table} AS ${select}`,
  ];
}

function seriesDaily(entity: Entity, f: Flavor): string[] {
  const d1 = rollupTable(entity, '1d');
  const shape = { increments: true };
  return [
    createTable(
      d1,
      rollupTableColumns(entity, shape),
      { family: 'AggregatingMergeTree' },
      dailyTail(sortKey(entity)),
      f,
    ),
    ...fill(d1, rollupSelect(entity, 'toStartOfDay', rollupTable(entity, '1h'), true, shape), f),
  ];
}

/**
 * The region-day step's extra column: the distinct hours that reported. Qualified: a bare `ts` would
 * be the SELECT's own `toStartOfDay(ts) AS ts`, the day, not the hour.
 */
export function hoursPresentSelect(entity: Entity): string[] {
  return [`uniqExactState(${regionRollupTable(entity, '1h')}.ts) AS ${HOURS_PRESENT}`];
}

function regionDaily(entity: Entity, f: Flavor): string[] {
  const d1 = regionRollupTable(entity, '1d');
  const columns = [
    ...regionRollupTableColumns(entity),
    `${HOURS_PRESENT} AggregateFunction(uniqExact, DateTime('UTC')) CODEC(ZSTD(1))`,
  ];
  const h1 = regionRollupTable(entity, '1h');
  const select = regionRollupSelect(entity, 'toStartOfDay', h1, true, hoursPresentSelect(entity));
  return [
    createTable(d1, columns, { family: 'AggregatingMergeTree' }, dailyTail('(region, source, ts)'), f),
    ...fill(d1, select, f),
  ];
}
