import {
  ENTITIES,
  rawTable,
  REGION_ENTITIES,
  regionRollupTable,
  RETENTION_DAYS,
  rollupTable,
  type Entity,
} from '@meridian/catalog';
import { rawColumns, rollupSelect, rollupTableColumns, sortKey } from './columns.js';

/**
 * DDL is rendered for one of two flavours from the same definitions: a single node (embedded chDB or
 * one server) or a cluster (ON CLUSTER, Replicated* engines, Distributed tables). Keeping one
 * renderer means the cluster schema can never drift from the one the tests run.
 */
export interface Flavor {
  /** Cluster name for ON CLUSTER; absent for a single node. */
  readonly cluster?: string;
}

/** Retention. Raw data is large and short-lived; rollups are small and kept longer. */
/** Each table's TTL in days: the catalog's, so readers choosing a table for a range agree with it. */
export { RETENTION_DAYS };

/** A table engine spec before flavouring: the engine family and its own arguments. */
interface EngineSpec {
  readonly family: 'MergeTree' | 'AggregatingMergeTree' | 'ReplacingMergeTree';
  readonly args?: string;
}

export function onCluster(f: Flavor): string {
  return f.cluster ? ` ON CLUSTER '${f.cluster}'` : '';
}

function engine(spec: EngineSpec, f: Flavor): string {
  if (!f.cluster) return `${spec.family}${spec.args ? `(${spec.args})` : ''}`;
  // One shard per region, replicas inside it: {shard} is the region, {replica} the host.
  const zk = `'/clickhouse/tables/{shard}/{database}/{table}', '{replica}'`;
  return `Replicated${spec.family}(${zk}${spec.args ? `, ${spec.args}` : ''})`;
}

/**
 * Replicated tables deduplicate retried blocks by default; a plain MergeTree needs the window set,
 * on every table a retried batch can reach, rollup targets included (see NOTES-engine.md).
 */
function dedupSetting(f: Flavor): string[] {
  return f.cluster ? [] : ['non_replicated_deduplication_window = 1000'];
}

export function createTable(
  name: string,
  columns: string[],
  spec: EngineSpec,
  tail: { partition: string; orderBy: string; ttl?: string; dedup?: boolean },
  f: Flavor,
): string {
  const settings = ['index_granularity = 8192'];
  if (tail.ttl) settings.push('ttl_only_drop_parts = 1');
  if (tail.dedup !== false) settings.push(...dedupSetting(f));
  return [
    `CREATE TABLE IF NOT EXISTS ${name}${onCluster(f)}`,
    `(\n  ${columns.join(',\n  ')}\n)`,
    `ENGINE = ${engine(spec, f)}`,
    `PARTITION BY ${tail.partition}`,
    `ORDER BY ${tail.orderBy}`,
    ...(tail.ttl ? [`TTL ${tail.ttl}`] : []),
    `SETTINGS ${settings.join(', ')}`,
  ].join('\n');
}

/** Adds columns to an existing table; IF NOT EXISTS makes a re-run after a partial failure harmless. */
export function addColumns(table: string, cols: readonly string[], f: Flavor): string {
  return `ALTER TABLE ${table}${onCluster(f)} ${cols.map((c) => `ADD COLUMN IF NOT EXISTS ${c}`).join(', ')}`;
}

export function rawTableDdl(entity: Entity, f: Flavor): string {
  return createTable(
    rawTable(entity),
    rawColumns(entity),
    { family: 'MergeTree' },
    { partition: 'toDate(ts)', orderBy: sortKey(entity), ttl: `toDateTime(ts) + INTERVAL ${RETENTION_DAYS.raw} DAY` },
    f,
  );
}

export function rollupDdl(entity: Entity, f: Flavor): string[] {
  const m1 = rollupTable(entity, '1m');
  const h1 = rollupTable(entity, '1h');
  return [
    createTable(
      m1,
      rollupTableColumns(entity),
      { family: 'AggregatingMergeTree' },
      { partition: 'toDate(ts)', orderBy: sortKey(entity), ttl: `ts + INTERVAL ${RETENTION_DAYS['1m']} DAY` },
      f,
    ),
    createTable(
      h1,
      rollupTableColumns(entity),
      { family: 'AggregatingMergeTree' },
      { partition: 'toYYYYMM(ts)', orderBy: sortKey(entity), ttl: `ts + INTERVAL ${RETENTION_DAYS['1h']} DAY` },
      f,
    ),
    // Cascade raw -> 1m -> 1h: the hour rollup reads minutes, never the raw table.
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${m1}_mv${onCluster(f)} TO ${m1} AS ${rollupSelect(entity, 'toStartOfMinute', rawTable(entity), false)}`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${h1}_mv${onCluster(f)} TO ${h1} AS ${rollupSelect(entity, 'toStartOfHour', m1, true)}`,
  ];
}

const LC = 'LowCardinality(String) CODEC(ZSTD(1))';
const LC_EMPTY = "LowCardinality(String) DEFAULT '' CODEC(ZSTD(1))";
const TS = "DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1))";

export function auxDdl(f: Flavor): string[] {
  return [
    createTable(
      'inventory',
      [
        `ts ${TS}`,
        `source ${LC}`,
        `region ${LC}`,
        `host ${LC}`,
        'gpu_uuid String',
        'gpu_index UInt16 DEFAULT 0',
        `model ${LC_EMPTY}`,
        "serial String DEFAULT ''",
        `driver_version ${LC_EMPTY}`,
        `cuda_version ${LC_EMPTY}`,
        'memory_total UInt64 DEFAULT 0',
        `mig_mode ${LC_EMPTY}`,
        "mig_parent_uuid String DEFAULT ''",
        `mig_profile ${LC_EMPTY}`,
        `ecc_mode ${LC_EMPTY}`,
        'power_limit Float32 DEFAULT 0',
        'pcie_gen_max UInt8 DEFAULT 0',
        'pcie_width_max UInt8 DEFAULT 0',
        'tdp Float32 DEFAULT 0',
      ],
      { family: 'ReplacingMergeTree', args: 'ts' },
      { partition: 'tuple()', orderBy: '(region, host, gpu_uuid)' },
      f,
    ),
    createTable(
      'topology',
      [...TOPOLOGY_COLUMNS],
      { family: 'ReplacingMergeTree', args: 'updated' },
      { partition: 'tuple()', orderBy: '(kind, id)' },
      f,
    ),
    createTable(
      'workloads',
      [
        `ts ${TS}`,
        `source ${LC}`,
        'workload_id String',
        `kind ${LC}`,
        `comm_class ${LC}`,
        'gpus UInt32',
        `region ${LC}`,
        'checkpoint_bytes UInt64',
        `state ${LC}`,
        'priority Int32 DEFAULT 0',
        'pinned UInt8 DEFAULT 0',
      ],
      { family: 'ReplacingMergeTree', args: 'ts' },
      { partition: 'tuple()', orderBy: '(workload_id)' },
      f,
    ),
    createTable(
      'scheduler_decisions',
      [
        `ts ${TS}`,
        'decision_id String',
        'pass_id String',
        'workload_id String',
        `action ${LC}`,
        `region_from ${LC}`,
        `region_to ${LC}`,
        'reason String CODEC(ZSTD(3))',
        'inputs String CODEC(ZSTD(3))',
        'scores String CODEC(ZSTD(3))',
        'limits Array(LowCardinality(String))',
        `executor ${LC}`,
        `outcome ${LC}`,
        'benefit Float64',
        'cost Float64',
      ],
      { family: 'MergeTree' },
      {
        partition: 'toYYYYMM(ts)',
        orderBy: '(ts, decision_id)',
        ttl: `toDateTime(ts) + INTERVAL ${RETENTION_DAYS.audit} DAY`,
      },
      f,
    ),
    createTable(
      'extra_metrics',
      [
        `ts ${TS}`,
        `source ${LC}`,
        `region ${LC}`,
        `host ${LC}`,
        `name ${LC}`,
        'labels Map(LowCardinality(String), String) CODEC(ZSTD(1))',
        'value Float64 CODEC(Gorilla, ZSTD(1))',
      ],
      { family: 'MergeTree' },
      {
        partition: 'toDate(ts)',
        orderBy: '(name, host, ts)',
        ttl: `toDateTime(ts) + INTERVAL ${RETENTION_DAYS.extra} DAY`,
      },
      f,
    ),
  ];
}

/** The topology's columns: the current table (0003) and its history (0010) alike. */
export const TOPOLOGY_COLUMNS = [
  `updated ${TS}`,
  `source ${LC}`,
  "kind Enum8('region' = 1, 'host' = 2, 'link' = 3)",
  'id String',
  `region ${LC}`,
  `region_to ${LC_EMPTY}`,
  'lat Float64 DEFAULT 0',
  'lon Float64 DEFAULT 0',
  'route_km Float64 DEFAULT 0',
  'capacity_gbps Float64 DEFAULT 0',
  'equipment_delay_ms Float32 DEFAULT 0',
  'gpus UInt32 DEFAULT 0',
] as const;

export const AUX_TABLES = [
  'inventory',
  'topology',
  'workloads',
  'scheduler_decisions',
  'extra_metrics',
  'gpu_assignments', // migration 0006 (schema/attribution.ts)
  'topology_history', // migration 0010
  'pod_workloads', // migration 0011 (schema/pod-workloads.ts)
] as const;

/** Every table that holds data (not views), in creation order. */
export function dataTables(): string[] {
  return [
    ...ENTITIES.flatMap((e) => [rawTable(e), rollupTable(e, '1m'), rollupTable(e, '1h'), rollupTable(e, '1d')]),
    ...REGION_ENTITIES.flatMap((e) => [
      regionRollupTable(e, '1m'),
      regionRollupTable(e, '1h'),
      regionRollupTable(e, '1d'),
    ]),
    ...AUX_TABLES,
  ];
}
