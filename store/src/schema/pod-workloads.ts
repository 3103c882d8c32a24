/**
 * pod_workloads (migration 0011): which workload each Kubernetes pod belongs to, as the workload
 * observer reads it from the pod's owner chain (Pod → Job → JobSet, Pod → StatefulSet → LWS, …).
 * The kubelet's PodResources API that the collector reads names a pod but not its owner, so the
 * collector can only guess the workload from the pod's name (`namespace/<controller>`); that guess is
 * wrong for JobSet, LeaderWorkerSet and the Kubeflow jobs. Readers of gpu_assignments resolve the
 * workload through this table and fall back to the guess only where it has no row.
 *
 * Why a table of its own and not columns on gpu_assignments: the two are written by different
 * components on different machines (the collector on each node, the observer once per fabric), and
 * the observer knows a pod before its GPUs are handed out; a join keeps each writer to its own rows.
 * One row per pod (a few per workload), so the join reads a table thousands of times smaller than
 * the intervals it joins to.
 *
 * One row per pod life: keyed by (region, namespace, pod, ts) with `ts` the pod's creation time, so
 * a pod name reused by a later pod (a StatefulSet's `name-0`) is a new row and an assignment joins
 * to the latest pod row created at or before it (ASOF). Written with `ts_end` = OPEN_END when the
 * observer first sees the pod and again with the real end when the pod is gone; `updated` versions
 * the two (ReplacingMergeTree).
 */
import { RETENTION_DAYS } from '@meridian/catalog';
import { createTable, type Flavor } from './ddl.js';

export interface PodWorkloadRow {
  /** The pod's creation time (epoch ms). */
  ts: number;
  /** When the pod was last seen (epoch ms); OPEN_END_MS while it exists. */
  ts_end: number;
  /** When this version of the row was written (epoch ms); the latest wins. */
  updated: number;
  source: string;
  /** The region of the pod's cluster, as gpu_assignments.region names it. */
  region: string;
  /** The cluster (kubeconfig context) the pod is in. */
  cluster: string;
  namespace: string;
  pod: string;
  /** The kind at the top of the pod's owner chain (`JobSet`, `LeaderWorkerSet`, …; `Pod` for none). */
  kind: string;
  /** As `workloads.workload_id` names it: `namespace/<top owner>`. */
  workload_id: string;
}

const LC = 'LowCardinality(String) CODEC(ZSTD(1))';
const TS = "DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1))";

export function podWorkloadsDdl(f: Flavor): string[] {
  return [
    createTable(
      'pod_workloads',
      [
        `ts ${TS}`,
        `ts_end DateTime64(3, 'UTC') CODEC(ZSTD(1))`,
        `updated ${TS}`,
        `source ${LC}`,
        `region ${LC}`,
        `cluster ${LC}`,
        `namespace ${LC}`,
        'pod String',
        `kind ${LC}`,
        'workload_id String',
      ],
      { family: 'ReplacingMergeTree', args: 'updated' },
      {
        partition: 'toYYYYMM(ts)',
        orderBy: '(region, namespace, pod, ts)',
        // Kept as long as the intervals it resolves; a pod that still exists never expires.
        ttl: `toDateTime(ts_end) + INTERVAL ${RETENTION_DAYS['1h']} DAY`,
      },
      f,
    ),
  ];
}
