/**
 * Who holds each GPU: reads of `gpu_assignments` (store migration 0006), the intervals the
 * collector's attribution writes (a pod, a Slurm job, a container, a systemd unit per GPU), and the
 * history of one workload (which regions and hosts it ran on, and the scheduler's moves and holds
 * of it). An interval counts for the range when it overlaps it: `ts <= to AND ts_end >= from`.
 */
import { readExpr, type Resolution } from '@meridian/catalog';
import { GPU, GPU_LABELS } from './catalogRefs';
import { num, str, type Row } from './dsQuery';
import type { GpuEntry } from './gpus';
import { literal, table } from './sql';

export interface Holder {
  host: string;
  gpu_uuid: string;
  mig_instance: string;
  orchestrator: string;
  namespace: string;
  pod: string;
  workload_id: string;
}

/**
 * The WHERE clauses name the table's columns qualified: ClickHouse would otherwise substitute a
 * SELECT alias of the same name (`argMax(orchestrator, ts) AS orchestrator`, `min(ts) AS ts`) and
 * refuse an aggregate in WHERE.
 */
const A = 'gpu_assignments';
const OVERLAPS = `${A}.ts <= $__toTime AND ${A}.ts_end >= $__fromTime AND ${A}.orchestrator != ''`;
const P = 'pod_workloads';

/**
 * The intervals overlapping the range, each with its workload resolved: the workload observer's
 * record of the pod (pod_workloads, from the pod's owner chain: a JobSet, a LeaderWorkerSet, a
 * Kubeflow job) where it has one, else the collector's guess from the pod's name. A pod row joins
 * when it is the latest of that region/namespace/pod created before the interval started (ASOF);
 * the minute of slack covers a node clock behind the API server's. `where`: more conditions on
 * gpu_assignments (qualified). Read as a table named `held`.
 */
export function heldSql(where = ''): string {
  return (
    `(SELECT a.ts AS ts, a.ts_end AS ts_end, a.region AS region, a.host AS host, a.gpu_uuid AS gpu_uuid, ` +
    `a.mig_instance AS mig_instance, a.orchestrator AS orchestrator, a.namespace AS namespace, a.pod AS pod, ` +
    `a.container AS container, if(p.workload_id != '', p.workload_id, a.workload_id) AS workload_id FROM (` +
    `SELECT ts, ts_end, ts + toIntervalSecond(60) AS join_ts, region, host, gpu_uuid, mig_instance, orchestrator, ` +
    `namespace, pod, container, workload_id FROM ${A} FINAL WHERE ${OVERLAPS}${where ? ` AND ${where}` : ''}) AS a ` +
    `ASOF LEFT JOIN (SELECT region, namespace, pod, ts, workload_id FROM ${P} FINAL ` +
    `WHERE ${P}.ts <= $__toTime + toIntervalSecond(60) AND ${P}.ts_end >= $__fromTime) AS p ` +
    `ON a.orchestrator = 'kubernetes' AND a.region = p.region AND a.namespace = p.namespace AND a.pod = p.pod ` +
    `AND a.join_ts >= p.ts) AS held`
  );
}

/** Per GPU (and MIG instance), the holder that started last among those overlapping the range. */
export function holdersSql(): string {
  return (
    `SELECT host, gpu_uuid, mig_instance, argMax(orchestrator, ts) AS orchestrator, argMax(namespace, ts) AS namespace, ` +
    `argMax(pod, ts) AS pod, argMax(workload_id, ts) AS workload_id ` +
    `FROM ${heldSql()} GROUP BY host, gpu_uuid, mig_instance`
  );
}

export function toHolder(r: Row): Holder {
  return {
    host: str(r.host),
    gpu_uuid: str(r.gpu_uuid),
    mig_instance: str(r.mig_instance),
    orchestrator: str(r.orchestrator),
    namespace: str(r.namespace),
    pod: str(r.pod),
    workload_id: str(r.workload_id),
  };
}

/** Puts each GPU's (and MIG instance's) holder on its row; a GPU nobody held keeps empty fields. */
export function withHolders(gpus: GpuEntry[], holders: readonly Holder[]): GpuEntry[] {
  const by = new Map(holders.map((h) => [`${h.host}/${h.gpu_uuid}/${h.mig_instance}`, h] as const));
  const fill = <T extends { host: string; gpu_uuid: string; mig_instance: string }>(g: T) => {
    const h = by.get(`${g.host}/${g.gpu_uuid}/${g.mig_instance}`);
    return { ...g, namespace: h?.namespace ?? '', pod: h?.pod ?? '', workload_id: h?.workload_id ?? '' };
  };
  return gpus.map((g) => ({ ...fill(g), mig: g.mig.map(fill) }));
}

/** Every interval of one GPU in the range: who held it when. */
export function gpuIntervalsSql(gpuUuid: string): string {
  return (
    `SELECT ts, ts_end, mig_instance, orchestrator, namespace, pod, container, workload_id ` +
    `FROM ${heldSql(`${A}.gpu_uuid = ${literal('gpu', gpuUuid)}`)} ORDER BY ts DESC LIMIT 200`
  );
}

export interface Interval {
  from: number;
  /** null while it runs. */
  to: number | null;
  mig_instance: string;
  orchestrator: string;
  namespace: string;
  pod: string;
  workload_id: string;
  region?: string;
  host?: string;
}

/** ClickHouse's DateTime64 text ("2026-12-07 00:00:00.000", UTC) or epoch ms → epoch ms. */
export function toMs(v: unknown): number {
  if (typeof v === 'number') return v;
  const s = str(v);
  return Date.parse(s.includes('T') ? s : `${s.replace(' ', 'T')}Z`);
}

/** The year-2100 end the store writes for an interval that still runs. */
const OPEN_END = Date.UTC(2100, 0, 1);

export function toInterval(r: Row): Interval {
  const end = toMs(r.ts_end);
  return {
    from: toMs(r.ts),
    to: end >= OPEN_END ? null : end,
    mig_instance: str(r.mig_instance),
    orchestrator: str(r.orchestrator),
    namespace: str(r.namespace),
    pod: str(r.pod),
    workload_id: str(r.workload_id),
    region: str(r.region),
    host: str(r.host),
  };
}

/** One workload's placements (region, host, GPUs, when) over the range, from its intervals. */
export function workloadPlacementsSql(workloadId: string): string {
  return (
    `SELECT region, host, count() AS gpus, min(ts) AS ts, max(ts_end) AS ts_end, any(orchestrator) AS orchestrator, ` +
    `any(namespace) AS namespace, any(pod) AS pod, '' AS mig_instance, any(workload_id) AS workload_id ` +
    `FROM ${heldSql()} WHERE held.workload_id = ${literal('workload', workloadId)} ` +
    `GROUP BY region, host ORDER BY ts`
  );
}

/** The scheduler's moves and holds of one workload, newest first. */
export function workloadDecisionsSql(workloadId: string): string {
  return (
    `SELECT ts, action, region_from, region_to, reason, outcome FROM scheduler_decisions ` +
    `WHERE workload_id = ${literal('workload', workloadId)} AND $__timeFilter(ts) ORDER BY ts DESC LIMIT 50`
  );
}

export interface WorkloadDecision {
  ts: number;
  action: string;
  region_from: string;
  region_to: string;
  reason: string;
  outcome: string;
}

export function toDecision(r: Row): WorkloadDecision {
  return {
    ts: toMs(r.ts),
    action: str(r.action),
    region_from: str(r.region_from),
    region_to: str(r.region_to),
    reason: str(r.reason),
    outcome: str(r.outcome),
  };
}

const L = GPU_LABELS;
const M = GPU;

/** The `limit` hottest GPUs over the range (by their hottest reading) and who held them last in it. */
export function hottestGpusSql(res: Resolution, limit = 10): string {
  return (
    `SELECT g.region AS region, g.host AS host, g.gpu_uuid AS gpu_uuid, g.temp_max AS temp_max, g.util AS util, ` +
    `h.namespace AS namespace, h.pod AS pod, h.workload_id AS workload_id FROM (` +
    `SELECT ${L.region.name} AS region, ${L.host.name} AS host, ${L.uuid.name} AS gpu_uuid, ` +
    `${readExpr(M.temp, 'max', res)} AS temp_max, ${readExpr(M.util, 'avg', res)} AS util ` +
    `FROM ${table('gpu', res)} WHERE $__timeFilter(ts) AND ${L.mig.name} = '' ` +
    `GROUP BY region, host, gpu_uuid ORDER BY temp_max DESC LIMIT ${Math.max(1, Math.min(100, Math.floor(limit)))}) AS g ` +
    `LEFT JOIN (${holdersSql()}) AS h ON g.host = h.host AND g.gpu_uuid = h.gpu_uuid AND h.mig_instance = '' ` +
    `ORDER BY temp_max DESC`
  );
}

export interface HotGpu {
  region: string;
  host: string;
  gpu_uuid: string;
  temp_max: number | null;
  util: number | null;
  namespace: string;
  pod: string;
  workload_id: string;
}

export function toHotGpu(r: Row): HotGpu {
  return {
    region: str(r.region),
    host: str(r.host),
    gpu_uuid: str(r.gpu_uuid),
    temp_max: num(r.temp_max),
    util: num(r.util),
    namespace: str(r.namespace),
    pod: str(r.pod),
    workload_id: str(r.workload_id),
  };
}
