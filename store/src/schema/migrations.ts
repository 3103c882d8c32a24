import { createHash } from 'node:crypto';
import { ENTITIES } from '@meridian/catalog';
import {
  addColumns,
  auxDdl,
  createTable,
  onCluster,
  rawTableDdl,
  rollupDdl,
  TOPOLOGY_COLUMNS,
  type Flavor,
} from './ddl.js';
import { gpuAssignmentsDdl } from './attribution.js';
import { podWorkloadsDdl } from './pod-workloads.js';
import { dailyDdl } from './daily.js';
import { incrementsDdl } from './increments.js';
import { addMetricsDdl, recodecDdl } from './add-metrics.js';
import { compactRollupPartsDdl } from './part-format.js';

/**
 * Versioned migrations. Each is applied once and recorded in `schema_migrations` with a checksum of
 * its single-node DDL, so a changed migration is noticed rather than silently skipped. New schema goes
 * in a new migration; applied ones are never edited.
 */
export interface Migration {
  readonly version: string;
  readonly description: string;
  statements(f: Flavor): string[];
}

export const migrations: readonly Migration[] = [
  {
    version: '0001_raw_tables',
    description: 'Wide raw tables: gpu_samples, host_samples, link_samples',
    statements: (f) => ENTITIES.map((e) => rawTableDdl(e, f)),
  },
  {
    version: '0002_rollups',
    description: '1-minute and 1-hour rollups through materialized views',
    statements: (f) => ENTITIES.flatMap((e) => rollupDdl(e, f)),
  },
  {
    version: '0003_aux_tables',
    description: 'inventory, topology, workloads, scheduler_decisions, extra_metrics',
    statements: (f) => auxDdl(f),
  },
  {
    version: '0004_increments_region_rollups',
    description: 'Counter increases and first-in-bucket flags on raw rows and rollups; region rollups',
    statements: (f) => incrementsDdl(f),
  },
  {
    version: '0005_workload_fields',
    description:
      'workloads: coupled stages, replica size, GPU model and memory, last checkpoint, low-comm, latency budget',
    // Added to the existing table (0003 is applied and must not change). On a cluster the ALTER runs
    // ON CLUSTER against the local Replicated table; the workloads_global Distributed table rendered
    // after the migrations is created AS workloads, so it carries the new columns too.
    statements: (f) => [
      addColumns(
        'workloads',
        [
          'coupled_with Array(String) DEFAULT []',
          'replica_gpus UInt32 DEFAULT 0',
          "gpu_model LowCardinality(String) DEFAULT '' CODEC(ZSTD(1))",
          'min_gpu_memory UInt64 DEFAULT 0',
          "last_checkpoint_ts Nullable(DateTime64(3, 'UTC'))",
          'low_comm UInt8 DEFAULT 0',
          'latency_budget_ms Float32 DEFAULT 0',
        ],
        f,
      ),
    ],
  },
  {
    version: '0006_gpu_attribution',
    description: 'gpu_assignments: which workload (pod, Slurm job, container, unit) held each GPU, as intervals',
    statements: (f) => gpuAssignmentsDdl(f),
  },
  {
    version: '0007_daily_rollups',
    description: '1-day rollups per series and per region, fed from the hourly ones and backfilled from them',
    statements: (f) => dailyDdl(f),
  },
  {
    version: '0008_dcgm_profiling',
    description:
      'DCGM profiling ratios (SM occupancy, tensor/FP64/FP32/FP16 pipes, DRAM, graphics engine) and NVLink error counters, on raw tables and every rollup',
    // The metrics whose catalog `since` names this version (see addMetricsDdl), then the codecs the
    // same measurement changed for two original columns (see recodecDdl).
    statements: (f) => [...addMetricsDdl('0008_dcgm_profiling', f), ...recodecDdl(f)],
  },
  {
    version: '0009_workload_orchestrator_fields',
    description: "workloads: the orchestrator's own queue, QoS, priority and whether it may requeue the work",
    // What an SRE filters by and what the executor needs to know (a job Slurm may not requeue cannot
    // be restarted elsewhere), in the orchestrator's own terms beside Meridian's normalised fields.
    statements: (f) => [
      addColumns(
        'workloads',
        [
          "partition LowCardinality(String) DEFAULT '' CODEC(ZSTD(1))",
          "qos LowCardinality(String) DEFAULT '' CODEC(ZSTD(1))",
          'orchestrator_priority Nullable(Int64) CODEC(ZSTD(1))',
          'requeueable UInt8 DEFAULT 1',
        ],
        f,
      ),
    ],
  },
  {
    version: '0010_topology_history',
    description: 'topology_history: every version of every topology entity, and when it was removed',
    // `topology` says what the fabric is now (a changed file replaces it); this keeps what it was, so
    // "the fabric as of T" is argMax(..., updated) over rows with updated <= T, less the removed.
    statements: (f) => [
      createTable(
        'topology_history',
        [...TOPOLOGY_COLUMNS, 'removed UInt8 DEFAULT 0'],
        { family: 'MergeTree' },
        { partition: 'tuple()', orderBy: '(kind, id, updated)' },
        f,
      ),
    ],
  },
  {
    version: '0011_pod_workloads',
    description: "pod_workloads: each Kubernetes pod's workload, from its owner chain, as the observer reads it",
    statements: (f) => podWorkloadsDdl(f),
  },
  {
    version: '0012_compact_rollup_parts',
    description: 'Rollup tables write parts under 64 MiB Compact: 13 files a part instead of two to four a column',
    statements: (f) => compactRollupPartsDdl(f),
  },
];

export function migrationChecksum(m: Migration): string {
  return createHash('sha256').update(m.statements({}).join(';\n')).digest('hex').slice(0, 16);
}

export function migrationsTableDdl(f: Flavor): string {
  const engine = f.cluster
    ? "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', applied_at)"
    : 'ReplacingMergeTree(applied_at)';
  return `CREATE TABLE IF NOT EXISTS schema_migrations${onCluster(f)} (version String, description String, checksum String, applied_at DateTime64(3, 'UTC')) ENGINE = ${engine} ORDER BY version`;
}
