import { increaseReadExpr, readExpr, type Resolution } from '@meridian/catalog';
import { GPU, GPU_LABELS, LINK, LINK_LABELS } from './catalogRefs';
import { literal, naturalAgg, table, type Agg } from './sql';
import type { MetricDef } from '@meridian/catalog';

/**
 * Query builders for every page. Each returns SQL for grafana-clickhouse-datasource with its macros:
 * $__timeFilter(ts) for the picked range, $__timeInterval(ts) for chart buckets, $__interval_s for
 * per-second rates. The table is picked by resolutionForRange() (catalog) from the range.
 */

export interface GpuScope {
  region?: string;
  host?: string;
  gpu?: string;
}

export function scopeWhere(scope: GpuScope): string {
  const parts: string[] = [];
  if (scope.region) parts.push(`${GPU_LABELS.region.name} = ${literal('region', scope.region)}`);
  if (scope.host) parts.push(`${GPU_LABELS.host.name} = ${literal('host', scope.host)}`);
  if (scope.gpu) parts.push(`${GPU_LABELS.uuid.name} = ${literal('gpu', scope.gpu)}`);
  return parts.map((p) => ` AND ${p}`).join('');
}

const L = GPU_LABELS;
const wholeGpu = `${L.mig.name} = ''`;

/** Per-GPU figures over the range, the inner query of the region and host summaries. */
function perGpu(res: Resolution, groupBy: string[], extraWhere = ''): string {
  return (
    `SELECT ${groupBy.join(', ')}, ` +
    `${readExpr(GPU.util, 'avg', res)} AS util, ` +
    `${readExpr(GPU.power, 'avg', res)} AS power, ` +
    `${readExpr(GPU.temp, 'max', res)} AS temp_max, ` +
    `${readExpr(GPU.throttled, 'avg', res)} AS throttled, ` +
    `${increaseReadExpr(GPU.xid)} AS xid_errors, ` +
    `${increaseReadExpr(GPU.eccDbe)} AS ecc_dbe ` +
    `FROM ${table('gpu', res)} WHERE $__timeFilter(ts) AND ${wholeGpu}${extraWhere} ` +
    `GROUP BY ${groupBy.join(', ')}`
  );
}

/** One row per region: GPU and host counts, mean utilization, power, hottest GPU, throttling, errors. */
export function regionSummarySql(res: Resolution): string {
  return (
    `SELECT ${L.region.name} AS region, uniqExact(${L.host.name}) AS hosts, count() AS gpus, ` +
    `avg(util) AS util, sum(power) AS power, max(temp_max) AS temp_max, avg(throttled) AS throttled, ` +
    `sum(xid_errors) AS xid_errors, sum(ecc_dbe) AS ecc_dbe ` +
    `FROM (${perGpu(res, [L.region.name, L.host.name, L.uuid.name])}) GROUP BY region ORDER BY region`
  );
}

/** One row per host of a region. */
export function hostSummarySql(res: Resolution, region: string): string {
  const where = scopeWhere({ region });
  return (
    `SELECT ${L.host.name} AS host, count() AS gpus, avg(util) AS util, sum(power) AS power, ` +
    `max(temp_max) AS temp_max, avg(throttled) AS throttled, sum(xid_errors) AS xid_errors, sum(ecc_dbe) AS ecc_dbe ` +
    `FROM (${perGpu(res, [L.host.name, L.uuid.name], where)}) GROUP BY host ORDER BY host`
  );
}

/**
 * One row per GPU and per MIG instance (mig_instance non-empty, under its parent gpu_uuid) with the
 * figures the GPU table sorts and filters on. 10,000 GPUs give 10,000 rows of a dozen columns: small
 * enough to fetch once and page through in the browser.
 */
export function gpuTableSql(res: Resolution, scope: GpuScope = {}): string {
  return (
    `SELECT ${L.region.name} AS region, ${L.host.name} AS host, ${L.uuid.name} AS gpu_uuid, ` +
    `${L.mig.name} AS mig_instance, any(${L.model.name}) AS model, any(${L.migProfile.name}) AS mig_profile, ` +
    `${readExpr(GPU.util, 'avg', res)} AS util, ${readExpr(GPU.memUsed, 'max', res)} AS mem_used, ` +
    `${readExpr(GPU.power, 'avg', res)} AS power, ${readExpr(GPU.temp, 'max', res)} AS temp_max, ` +
    `${readExpr(GPU.throttled, 'avg', res)} AS throttled, ${increaseReadExpr(GPU.xid)} AS xid_errors ` +
    `FROM ${table('gpu', res)} WHERE $__timeFilter(ts)${scopeWhere(scope)} ` +
    `GROUP BY region, host, gpu_uuid, mig_instance ORDER BY region, host, gpu_uuid, mig_instance`
  );
}

/** Time series of one GPU metric over the scope, one bucket per $__timeInterval. */
export function gpuSeriesSql(m: MetricDef, res: Resolution, scope: GpuScope = {}): string {
  // Per-GPU series combine by mean (gauges) or sum of per-second increase (counters) across the scope.
  if (m.kind === 'counter') {
    return (
      `SELECT t AS time, sum(inc) / $__interval_s AS ${m.name}_per_s FROM (` +
      `SELECT $__timeInterval(ts) AS t, ${L.uuid.name}, ${increaseReadExpr(m)} AS inc ` +
      `FROM ${table('gpu', res)} WHERE $__timeFilter(ts) AND ${wholeGpu}${scopeWhere(scope)} ` +
      `GROUP BY t, ${L.uuid.name}) GROUP BY time ORDER BY time`
    );
  }
  const agg: Agg = naturalAgg(m);
  return (
    `SELECT $__timeInterval(ts) AS time, ${readExpr(m, agg, res)} AS ${m.name} ` +
    `FROM ${table('gpu', res)} WHERE $__timeFilter(ts) AND ${wholeGpu}${scopeWhere(scope)} ` +
    `GROUP BY time ORDER BY time`
  );
}

/** The OR of every throttle-reason bit seen over the range in the scope: which reasons occurred at all. */
export function throttleReasonsSql(res: Resolution, scope: GpuScope = {}): string {
  return (
    `SELECT ${readExpr(GPU.throttleReasons, 'bitor', res)} AS reasons ` +
    `FROM ${table('gpu', res)} WHERE $__timeFilter(ts) AND ${wholeGpu}${scopeWhere(scope)}`
  );
}

const K = LINK_LABELS;
/** Probe paths between regions carry region_to; NIC ports measured on one host leave it empty. */
const interRegion = `${K.to.name} != ''`;

/** One row per inter-region link over the range: delay, jitter, loss, throughput. */
export function linkSummarySql(res: Resolution): string {
  return (
    // The aliases differ from the column names: ClickHouse would otherwise substitute any(region_to)
    // into the WHERE clause that filters on the column.
    `SELECT ${K.id.name} AS link_id, any(${K.from.name}) AS link_from, any(${K.to.name}) AS link_to, ` +
    `${readExpr(LINK.rtt, 'avg', res)} AS rtt, ${readExpr(LINK.rttMin, 'min', res)} AS rtt_min, ` +
    `${readExpr(LINK.jitter, 'avg', res)} AS jitter, ${readExpr(LINK.loss, 'avg', res)} AS loss, ` +
    `${readExpr(LINK.throughput, 'avg', res)} AS throughput, ` +
    // Which hosts measured the pair: its elected STAMP probers (the collector's roster).
    `arrayStringConcat(arraySort(groupUniqArray(8)(${K.host.name})), ', ') AS probed_by ` +
    `FROM ${table('link', res)} WHERE $__timeFilter(ts) AND ${interRegion} ` +
    `GROUP BY link_id ORDER BY link_id`
  );
}

/** The history of one link: every LINK_SERIES metric per bucket, counters as per-second rates. */
export function linkHistorySql(res: Resolution, linkId: string, series: readonly MetricDef[]): string {
  const cols = series.map((m) =>
    m.kind === 'counter'
      ? `${increaseReadExpr(m)} / $__interval_s AS ${m.name}_per_s`
      : `${readExpr(m, naturalAgg(m), res)} AS ${m.name}`,
  );
  return (
    `SELECT $__timeInterval(ts) AS time, ${cols.join(', ')} ` +
    `FROM ${table('link', res)} WHERE $__timeFilter(ts) AND ${K.id.name} = ${literal('link', linkId)} ` +
    `GROUP BY time ORDER BY time`
  );
}

/** Regions and links as the topology table describes them (positions, fiber route length, capacity). */
export function topologySql(): string {
  return (
    `SELECT toString(kind) AS kind, id, region, region_to, lat, lon, route_km, capacity_gbps, equipment_delay_ms, gpus ` +
    `FROM topology FINAL WHERE kind IN ('region', 'link') ORDER BY kind, id`
  );
}

/** The latest scheduler decisions in the range, from the audit table (the API serves the same rows). */
export function recentDecisionsSql(limit: number): string {
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new Error(`limit: ${limit} must be an integer 1..1000`);
  return (
    `SELECT ts, decision_id, workload_id, action, region_from, region_to, reason, outcome ` +
    `FROM scheduler_decisions WHERE $__timeFilter(ts) ORDER BY ts DESC LIMIT ${limit}`
  );
}
