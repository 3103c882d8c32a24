/**
 * gpu_assignments: which workload held which GPU (or MIG instance) when, as intervals. Written by
 * the collector's attribution component (kubelet PodResources, or the GPU's processes' cgroups) and
 * by the twin; read by joining GPU samples to the interval that holds their instant.
 *
 * Why an interval table and not label columns on gpu_samples: see bench/src/attribution-store.ts
 * and its figures in bench/README.md. In short, the dashboards' questions are "who is on this GPU
 * now" (the latest interval per GPU, a few thousand rows), "this pod's GPUs over 24 h" (intervals
 * first, then a primary-key range read of gpu_samples) and "per-namespace use" (the 1-minute
 * rollups joined to intervals); label columns would have to be added to every rollup's sort key and
 * stored on every sample, and a pod filter would scan every sample of the range.
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
