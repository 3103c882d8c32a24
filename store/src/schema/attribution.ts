/**
 * gpu_assignments: which workload held which GPU (or MIG instance) when, as intervals. Written by
 * the collector's attribution component (kubelet PodResources, or the GPU's processes' cgroups) and
 * by the twin; read by joining GPU samples to the interval that holds their instant.
 *
 * Why an interval table and not label columns on gpu_samples, measured by bench:attribution
 * (bench/src/attribution-store.ts; 512 GPUs at 1 Hz for 6 h = 11.1 M samples, 2,112 intervals, on a
 * loaded 2-core machine, medians in ms, labels vs intervals): GPU table now 1,059 vs 1,939 (an earlier
 * quieter run: 908 vs 897); 10 hottest now 1,249 vs 1,006; one pod's GPUs per minute 190 vs 369;
 * per namespace over the raw samples 2,024 vs 12,234; per namespace over a 1-minute rollup 109 vs 229;
 * on disk +0.5 % for labels on the samples and +34.5 % on a rollup that keeps them in its key, +0.08 %
 * for the intervals. Labels answer faster, but only if every rollup is rebuilt with the labels in its
 * key (0002 and 0004 are applied and shared by every reader, and a rollup series then splits per pod)
 * and every writer of GPU rows (nvidia-smi, dcgm, the twin, the seeds) stamps them; the intervals
 * leave the samples and rollups as they are, are written by one component, and keep every dashboard
 * question within its bound when read from the rollups (229 ms at this scale). A GPU's holder can
 * also be corrected after the fact (a late end) without rewriting samples.
 *
 * One row per interval, keyed by (region, host, gpu_uuid, mig_instance, ts): the collector writes
 * it when the assignment starts, with `ts_end` = OPEN_END, and again with the real end when it
 * ends; `updated` versions the two (ReplacingMergeTree). A row with orchestrator '' says the GPU
 * was idle from `ts`: a collector writes those at start, which closes any interval a crashed run
 * left open. The assignment of a GPU at instant t is the row with the latest `ts <= t`, if
 * `t < ts_end` and its orchestrator is not ''.
 */
import { RETENTION_DAYS } from '@meridian/catalog';
import { createTable, type Flavor } from './ddl.js';

/** The end of an interval still running: 2100-01-01 UTC (inside DateTime's range, for the TTL). */
export const OPEN_END_MS = Date.UTC(2100, 0, 1);

/** Who handed the GPU out. '' marks an idle interval. */
export type AssignmentOrchestrator = 'kubernetes' | 'slurm' | 'container' | 'systemd' | 'process' | '';

export interface GpuAssignmentRow {
  /** Start of the interval (epoch ms). */
  ts: number;
  /** End of the interval (epoch ms); OPEN_END_MS while it runs. */
  ts_end: number;
  /** When this version of the row was written (epoch ms); the latest wins. */
  updated: number;
  source: string;
  region: string;
  host: string;
  gpu_uuid: string;
  /** "GI/CI" for a MIG instance, '' for a whole GPU. */
  mig_instance: string;
  /** The device id as the orchestrator named it (a MIG UUID, a time-slicing replica). */
  device_id: string;
  orchestrator: AssignmentOrchestrator;
  namespace: string;
  pod: string;
  container: string;
  /** The workload as `workloads.workload_id` names it, when known; else the best name there is. */
  workload_id: string;
}

const LC = "LowCardinality(String) DEFAULT '' CODEC(ZSTD(1))";
const TS = "DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1))";

export function gpuAssignmentsDdl(f: Flavor): string[] {
  return [
    createTable(
      'gpu_assignments',
      [
        `ts ${TS}`,
        `ts_end DateTime64(3, 'UTC') CODEC(ZSTD(1))`,
        `updated ${TS}`,
        'source LowCardinality(String) CODEC(ZSTD(1))',
        'region LowCardinality(String) CODEC(ZSTD(1))',
        'host LowCardinality(String) CODEC(ZSTD(1))',
        'gpu_uuid LowCardinality(String)',
        `mig_instance ${LC}`,
        "device_id String DEFAULT ''",
        `orchestrator ${LC}`,
        `namespace ${LC}`,
        "pod String DEFAULT ''",
        "container String DEFAULT ''",
        "workload_id String DEFAULT ''",
        // Pod and workload filters read this table whole; a bloom filter skips granules on a large fleet.
        'INDEX idx_pod pod TYPE bloom_filter GRANULARITY 4',
        'INDEX idx_workload workload_id TYPE bloom_filter GRANULARITY 4',
      ],
      { family: 'ReplacingMergeTree', args: 'updated' },
      {
        partition: 'toYYYYMM(ts)',
        orderBy: '(region, host, gpu_uuid, mig_instance, ts)',
        // Kept as long as the hourly rollups it is joined to; a running interval never expires.
        ttl: `toDateTime(ts_end) + INTERVAL ${RETENTION_DAYS['1h']} DAY`,
      },
      f,
    ),
  ];
}
