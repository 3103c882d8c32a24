import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';

import {
  increaseColumn,
  metricsOf,
  rawTable,
  rollupTable,
  type Entity,
  type MetricDef,
  type Unit,
  readExpr,
} from '@meridian/catalog';
import { auxTable, col } from '../aux.js';
import { baseDashboard, clickhouseVariable, dashboardUrl, queryVariable } from '../common.js';
import { schedulerAnnotation } from './annotations.js';
import { dcgmRows } from './gpu-dcgm.js';
import { heldByFilter, noWorkloadPicked, workloadRow, workloadVariables } from './gpu-workloads.js';
import { tablePanel, timeSeriesPanel } from '../panels.js';
import { DETAIL_POLICY, SUMMARY_POLICY } from '../rollup.js';
import {
  counterSeriesSql,
  gaugeSeriesSql,
  inVar,
  isAllExpr,
  label,
  latestStateSql,
  metric,
  rolledUp,
  summaryTableSql,
  alias,
  type Scope,
} from '../sql.js';
import { unitOf } from '../units.js';

/** Row titles for metric sections, by catalog unit: the catalog's own grouping of what a number means. */
const SECTION: Record<Unit, string> = {
  percent: 'Utilization',
  bytes: 'Memory',
  watts: 'Power',
  joules: 'Energy',
  celsius: 'Temperature',
  MHz: 'Clocks',
  bool: 'Throttling',
  count: 'Errors and counters',
  'bytes/s': 'Throughput',
  ms: 'Delay',
  dBm: 'Optical power',
  mA: 'Laser bias',
  volts: 'Supply voltage',
  bitmask: 'Flags',
  state: 'States',
  'Gb/s': 'Throughput',
};

/** Metrics whose history the rollups carry; the rest only have a latest value worth showing. */
export function hasHistory(m: MetricDef): boolean {
  return m.kind === 'counter' ? increaseColumn(m) !== undefined : rolledUp(m, 'avg');
}

/**
 * One panel per metric with history, grouped into rows by unit, plus one "current state" table for the
 * metrics without it. `all` is the dashboard variable whose All switches series from per-entity to
 * per-region. Used by the GPU, host and link sections alike.
 */
export function metricSections(
  b: DashboardBuilder,
  entity: Entity,
  scope: Scope,
  opts: { collapsed: boolean; titlePrefix: string; stateFilters: readonly string[] },
): void {
  const withHistory = metricsOf(entity).filter(hasHistory);
  const sections = new Map<string, MetricDef[]>();
  for (const m of withHistory) {
    const key = SECTION[m.unit];
    sections.set(key, [...(sections.get(key) ?? []), m]);
  }
  for (const [title, metrics] of sections) {
    const row = new RowBuilder(`${opts.titlePrefix}${title}`).collapsed(opts.collapsed);
    const panels = metrics.map((m) => {
      const sql =
        m.kind === 'counter' ? counterSeriesSql(scope, [m]) : gaugeSeriesSql(scope, [{ metric: m, agg: 'avg' }]);
      const kind = m.kind === 'counter' ? 'increase per bucket' : 'average per bucket';
      return timeSeriesPanel(m.name, sql, unitOf(m), {
        description: `${m.description} (${m.unit}; ${kind}; from ${rawTable(entity)}, ${rollupTable(entity, '1m')} or ${rollupTable(entity, '1h')} by range)`,
      });
    });
    if (opts.collapsed) {
      for (const p of panels) row.withPanel(p);
      b.withRow(row);
    } else {
      b.withRow(row);
      for (const p of panels) b.withPanel(p);
    }
  }
  const latest = metricsOf(entity).filter((m) => !hasHistory(m));
  if (latest.length > 0) {
    const row = new RowBuilder(`${opts.titlePrefix}Current state`).collapsed(opts.collapsed);
    const p = tablePanel(`${entity} current state`, latestStateSql(entity, latest, opts.stateFilters), {
      // One minute of raw rows holds ~60 samples per series at the default 1 Hz and stays cheap at
      // 10,000 GPUs (five minutes measured 350 ms there); a series silent longer is not "current".
      timeFrom: '1m',
      description:
        `Latest value per ${entity} over the last minute of raw rows: ${latest.map((m) => m.name).join(', ')}. ` +
        'These are states, flags or fixed sizes that the rollups do not aggregate.',
    });
    if (opts.collapsed) b.withRow(row.withPanel(p));
    else b.withRow(row).withPanel(p);
  }
}

export function gpuFilters(): string[] {
  return [inVar('region', 'region'), inVar('host', 'host'), inVar(label('gpu', 'gpu_uuid'), 'gpu')];
}

export function gpuHealthDashboard(): DashboardBuilder {
  const region = label('gpu', 'region');
  const host = label('gpu', 'host');
  const uuid = label('gpu', 'gpu_uuid');
  const mig = label('gpu', 'mig_instance');
  const index = label('gpu', 'gpu_index');
  const profile = label('gpu', 'mig_profile');
  const inv = auxTable('inventory');
  // $namespace / $workload narrow every GPU panel to the GPUs those workloads held in the range.
  const filters = [...gpuFilters(), heldByFilter(host, uuid)];
  // With every host selected, panels show one line per region; with hosts picked, one per GPU or MIG instance.
  const series = `if(${isAllExpr('host')}, ${region}, concat(${host}, ' #', toString(${index}), if(${mig} = '', '', concat(' ', ${mig}))))`;
  // A fleet-wide line must not count a MIG instance beside its parent GPU.
  const wholeGpuWhenAll = `(${mig} = '' OR NOT ${isAllExpr('host')})`;
  // Every host and GPU selected: the 1m and 1h branches read the region rollups instead.
  const wholeRegions = `${isAllExpr('host')} AND ${isAllExpr('gpu')} AND ${noWorkloadPicked()}`;
  const scope: Scope = {
    entity: 'gpu',
    series,
    filters: [...filters, wholeGpuWhenAll],
    policy: DETAIL_POLICY,
    regional: { when: wholeRegions, series: region, filters: [inVar(region, 'region')] },
  };

  const b = baseDashboard(
    'gpu',
    'Meridian / GPU health',
    'Every GPU metric in the catalog, per region (All hosts) or per GPU and MIG instance.',
  )
    .withVariable(clickhouseVariable())
    .withVariable(
      queryVariable(
        'region',
        'Region',
        `SELECT DISTINCT ${region} FROM (SELECT ${col(inv, 'region')} AS ${region} FROM ${inv} UNION ALL SELECT ${region} FROM ${rollupTable('gpu', '1h')} WHERE $__timeFilter(ts)) ORDER BY ${region}`,
      ),
    )
    .withVariable(
      queryVariable(
        'host',
        'Host',
        `SELECT DISTINCT ${host} FROM (SELECT ${col(inv, 'region')} AS ${region}, ${col(inv, 'host')} AS ${host} FROM ${inv} UNION ALL SELECT ${region}, ${host} FROM ${rollupTable('gpu', '1h')} WHERE $__timeFilter(ts)) WHERE ${inVar(region, 'region')} ORDER BY ${host}`,
      ),
    )
    .withVariable(
      queryVariable(
        'gpu',
        'GPU',
        `SELECT DISTINCT ${uuid} FROM (SELECT ${col(inv, 'region')} AS ${region}, ${col(inv, 'host')} AS ${host}, ${col(inv, 'gpu_uuid')} AS ${uuid} FROM ${inv} UNION ALL SELECT ${region}, ${host}, ${uuid} FROM ${rollupTable('gpu', '1h')} WHERE $__timeFilter(ts)) WHERE ${inVar(region, 'region')} AND ${inVar(host, 'host')} ORDER BY ${uuid}`,
      ),
    )
    .annotation(schedulerAnnotation());
  workloadVariables(b);
  // Who is on these GPUs comes first: the question an SRE looking at a hot or erring GPU asks.
  workloadRow(b);

  dcgmRows(b, scope, filters);
  metricSections(b, 'gpu', scope, { collapsed: false, titlePrefix: '', stateFilters: filters });

  // MIG: one row per instance, under its parent GPU, with its profile and the load on it. Under MIG,
  // NVML has no utilization: an instance's own figure is its graphics-engine activity (DCGM).
  const util = metric('gpu', 'util_gr_engine_active');
  const sm = metric('gpu', 'util_sm_active');
  const mem = metric('gpu', 'memory_used');
  b.withRow(new RowBuilder('MIG instances')).withPanel(
    tablePanel(
      'MIG instances',
      summaryTableSql(
        { entity: 'gpu', filters: [...filters, `${mig} != ''`], policy: SUMMARY_POLICY },
        [region, host, uuid, mig, profile],
        (res) => [
          `toFloat64(${readExpr(util, 'avg', res)}) AS ${alias(`${util.name} (avg)`)}`,
          `toFloat64(${readExpr(util, 'max', res)}) AS ${alias(`${util.name} (max)`)}`,
          `toFloat64(${readExpr(sm, 'avg', res)}) AS ${alias(`${sm.name} (avg)`)}`,
          `toFloat64(${readExpr(mem, 'max', res)}) AS ${alias(`${mem.name} (max)`)}`,
        ],
      ),
      {
        description: `Every MIG instance (${mig} set) in range under its parent GPU, with its ${profile}; its utilization is DCGM's graphics-engine activity (NVML reports none under MIG: empty on hosts without DCGM). From the raw table or a rollup by range.`,
        links: [{ title: 'Fleet overview', url: dashboardUrl('fleet') }],
      },
    ),
  );

  // The hosts behind the GPUs: CPU, memory, disk and network, same variables.
  const hostScope: Scope = {
    entity: 'host',
    series: `if(${isAllExpr('host')}, ${label('host', 'region')}, ${label('host', 'host')})`,
    filters: [inVar(label('host', 'region'), 'region'), inVar(label('host', 'host'), 'host')],
    policy: DETAIL_POLICY,
    regional: {
      when: isAllExpr('host'),
      series: label('host', 'region'),
      filters: [inVar(label('host', 'region'), 'region')],
    },
  };
  metricSections(b, 'host', hostScope, {
    collapsed: true,
    titlePrefix: 'Host: ',
    stateFilters: hostScope.filters,
  });
  return b;
}
