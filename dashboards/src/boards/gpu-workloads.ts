/**
 * The GPU health board's workload parts (issue 13 §3): `$namespace` and `$workload` variables read
 * from gpu_assignments (store migration 0006), a filter that narrows every GPU panel to the GPUs
 * those workloads held in the range, and a row that says who held the selected GPUs and, for the
 * selected workload, where it ran and the scheduler's moves and holds of it.
 *
 * The workload of a Kubernetes pod is the workload observer's record of it (pod_workloads, store
 * migration 0011, from the pod's owner chain) where there is one, else the collector's guess from
 * the pod's name: see HELD. Conditions on HELD's columns name them qualified (`held.workload_id`):
 * ClickHouse substitutes a SELECT alias of the same name into WHERE.
 */
import { RowBuilder, type DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { dashboardUrl, queryVariable } from '../common.js';
import { tablePanel } from '../panels.js';
import { inVar, isAllExpr } from '../sql.js';

const T = 'gpu_assignments';
const P = 'pod_workloads';
/** Intervals that overlap the dashboard's range; idle intervals (orchestrator '') hold nothing. */
const OVERLAPS = `${T}.ts <= $__toTime AND ${T}.ts_end >= $__fromTime AND ${T}.orchestrator != ''`;
/**
 * The intervals overlapping the range with each one's workload resolved, as a table named `held`: a
 * pod's row in pod_workloads joins when it is the latest of that region/namespace/pod created before
 * the interval started (ASOF; a minute of slack for a node clock behind the API server's).
 */
const HELD =
  `(SELECT a.ts AS ts, a.ts_end AS ts_end, a.region AS region, a.host AS host, a.gpu_uuid AS gpu_uuid, ` +
  `a.mig_instance AS mig_instance, a.orchestrator AS orchestrator, a.namespace AS namespace, a.pod AS pod, ` +
  `a.container AS container, if(p.workload_id != '', p.workload_id, a.workload_id) AS workload_id FROM (` +
  `SELECT ts, ts_end, ts + toIntervalSecond(60) AS join_ts, region, host, gpu_uuid, mig_instance, orchestrator, ` +
  `namespace, pod, container, workload_id FROM ${T} FINAL WHERE ${OVERLAPS}) AS a ` +
  `ASOF LEFT JOIN (SELECT region, namespace, pod, ts, workload_id FROM ${P} FINAL ` +
  `WHERE ${P}.ts <= $__toTime + toIntervalSecond(60) AND ${P}.ts_end >= $__fromTime) AS p ` +
  `ON a.orchestrator = 'kubernetes' AND a.region = p.region AND a.namespace = p.namespace AND a.pod = p.pod ` +
  `AND a.join_ts >= p.ts) AS held`;
const BY_WORKLOAD = `${inVar('held.namespace', 'namespace')} AND ${inVar('held.workload_id', 'workload')}`;

export function workloadVariables(b: DashboardBuilder): void {
  b.withVariable(
    queryVariable('namespace', 'Namespace', `SELECT DISTINCT namespace FROM ${T} WHERE ${OVERLAPS} ORDER BY namespace`),
  ).withVariable(
    queryVariable(
      'workload',
      'Workload',
      `SELECT DISTINCT workload_id FROM ${HELD} WHERE ${inVar('held.namespace', 'namespace')} ORDER BY workload_id`,
    ),
  );
}

/**
 * 1 when both are All; otherwise only the GPUs the chosen workloads held at some time in the range.
 * Written as one `$__conditionalAll` per variable around the same subquery, not as
 * `(<both All>) OR (…) IN (SELECT …)`: the engine builds the IN set of every UNION branch (dead
 * resolutions included) before it folds the OR, and a 30-day GPU table paid for four FINAL reads of
 * gpu_assignments (an empty MIG table took 360 ms). With both at All the subquery is not in the SQL.
 * Either variable picked keeps the subquery (the other's condition in it turns into 1=1).
 */
export function heldByFilter(host: string, uuid: string): string {
  const held = `(${host}, ${uuid}) IN (SELECT host, gpu_uuid FROM ${HELD} WHERE ${BY_WORKLOAD})`;
  return `($__conditionalAll(${held}, $namespace) AND $__conditionalAll(${held}, $workload))`;
}

/** Region rollups cannot be narrowed to GPUs: they serve only when no workload is picked either. */
export function noWorkloadPicked(): string {
  return `${isAllExpr('namespace')} AND ${isAllExpr('workload')}`;
}

export function workloadRow(b: DashboardBuilder): void {
  const scope = `${inVar('held.region', 'region')} AND ${inVar('held.host', 'host')} AND ${inVar('held.gpu_uuid', 'gpu')} AND ${BY_WORKLOAD}`;
  const self = dashboardUrl('gpu');
  b.withRow(new RowBuilder('Workloads')).withPanel(
    tablePanel(
      'Who held these GPUs',
      `SELECT region, host, gpu_uuid, mig_instance, orchestrator, namespace, pod, container, workload_id, ` +
        `ts AS started, if(ts_end >= toDateTime64('2100-01-01 00:00:00', 3, 'UTC'), NULL, ts_end) AS ended ` +
        `FROM ${HELD} WHERE ${scope} ORDER BY ts DESC LIMIT 500`,
      {
        span: 24,
        description:
          'Which pod, Slurm job, container or systemd unit held each GPU in the range (gpu_assignments, written by the collector): ' +
          'an empty "ended" is still running. Pick a workload to see where it ran and how the scheduler moved it.',
        rowLinks: [
          {
            title: 'This workload: ${__data.fields.workload_id}',
            url: `${self}?var-workload=\${__data.fields.workload_id}&\${__url_time_range}`,
          },
        ],
      },
    ),
  );
  b.withPanel(
    tablePanel(
      'Where the workloads ran',
      `SELECT workload_id, region, host, count() AS gpus, min(ts) AS started, ` +
        `if(max(ts_end) >= toDateTime64('2100-01-01 00:00:00', 3, 'UTC'), NULL, max(ts_end)) AS ended ` +
        `FROM ${HELD} WHERE ${BY_WORKLOAD} GROUP BY workload_id, region, host ORDER BY workload_id, started LIMIT 500`,
      {
        span: 12,
        description: 'Per workload, the regions and hosts its GPUs were in over the range, from gpu_assignments.',
      },
    ),
  );
  b.withPanel(
    tablePanel(
      'Moves and holds of the workloads',
      `SELECT ts AS time, workload_id, action, region_from, region_to, outcome, reason FROM scheduler_decisions ` +
        `WHERE $__timeFilter(ts) AND ${inVar('workload_id', 'workload')} AND ` +
        `(${isAllExpr('namespace')} OR workload_id IN (SELECT workload_id FROM ${HELD} WHERE ${inVar('held.namespace', 'namespace')})) ` +
        `ORDER BY ts DESC LIMIT 200`,
      {
        span: 12,
        description:
          "The scheduler's decisions about the selected workloads (scheduler_decisions): moves, holds and refusals, with why.",
      },
    ),
  );
}
