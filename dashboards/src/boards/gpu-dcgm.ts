/**
 * The GPU health dashboard's DCGM rows: how busy GPUs really are (NVML utilization beside SM and tensor
 * activity, the catalog's busy rule per host and what each host can report), NVLink errors per GPU and
 * per link worst first, and energy per region and per workload over the range. A host without DCGM
 * shows NVML only, and the tables say so in words rather than with an empty cell or a zero.
 */
import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import {
  BUSY_SOURCE_LABELS,
  busySql,
  increaseColumn,
  NVLINK_ERROR_METRICS,
  NVLINK_LINK_LABEL,
  readExpr,
  rollupColumns,
  SERIES_MINUTES,
  type MetricDef,
  type Resolution,
} from '@meridian/catalog';
import { auxTable, col } from '../aux.js';
import { tablePanel, timeSeriesPanel } from '../panels.js';
import { SUMMARY_POLICY } from '../rollup.js';
import { alias, gaugeSeriesSql, inVar, label, metric, summaryTableSql, type Scope } from '../sql.js';

const NO_PROFILING = 'NVML utilization only: no DCGM profiling on this host (SM and tensor activity unknown)';
const NO_NVLINK = 'not reported: neither DCGM NVLink fields nor nvidia-smi nvlink -e on this host';

/** A catalog counter's increase column, or a build error. */
function inc(m: MetricDef): string {
  const c = increaseColumn(m);
  if (!c) throw new Error(`dashboards: ${m.name} has no increase column`);
  return c;
}

/** The busy figure's source, in words, for one group of rows. */
function busySourceText(res: Resolution): string {
  const src = busySql(res).source;
  return `multiIf(${src} = 'sm_active', '${BUSY_SOURCE_LABELS.sm_active}', ${src} = 'gr_engine_active', '${BUSY_SOURCE_LABELS.gr_engine_active}', ${src} = 'nvml', '${NO_PROFILING}', 'no utilization reported')`;
}

/** Row 1: NVML utilization beside SM and tensor activity, and what each host can report. */
function busyRow(b: DashboardBuilder, scope: Scope, filters: readonly string[]): void {
  const util = metric('gpu', 'util_gpu');
  const sm = metric('gpu', 'util_sm_active');
  const tensor = metric('gpu', 'util_tensor_active');
  b.withRow(new RowBuilder('How busy: NVML utilization vs DCGM profiling'))
    .withPanel(
      timeSeriesPanel(
        'NVML utilization vs SM active vs tensor active',
        gaugeSeriesSql(scope, [
          { metric: util, agg: 'avg', as: 'NVML utilization' },
          { metric: sm, agg: 'avg', as: 'SM active' },
          { metric: tensor, agg: 'avg', as: 'tensor active' },
        ]),
        'percent',
        {
          span: 14,
          description:
            'NVML utilization says a kernel ran during the sample; SM active (DCGM profiling) says how much of the GPU worked, and tensor active how much of it was matrix math. The gap between the first two is the story. Hosts without DCGM have no SM or tensor line: see the table beside.',
        },
      ),
    )
    .withPanel(
      tablePanel(
        'What each host can report',
        summaryTableSql(
          { entity: 'gpu', filters, policy: SUMMARY_POLICY },
          [label('gpu', 'region'), label('gpu', 'host')],
          (res) => [
            `${busySourceText(res)} AS ${alias('busy figure from')}`,
            `toFloat64(${busySql(res).value}) AS ${alias('busy % (catalog rule)')}`,
            `toFloat64(${readExpr(util, 'avg', res)}) AS ${alias('NVML utilization %')}`,
            `if(${nvlinkReported(res)}, 'reported', '${NO_NVLINK}') AS ${alias('NVLink error counters')}`,
          ],
        ),
        {
          span: 10,
          description:
            'Per host over the range: which source gives its busy figure by the catalog rule (SM active where DCGM profiling exists, a MIG GPU’s instances’ graphics-engine activity, else NVML utilization), and whether it reports NVLink error counters.',
        },
      ),
    );
}

/** Whether any NVLink error counter has a value in the group. */
function nvlinkReported(res: Resolution): string {
  return NVLINK_ERROR_METRICS.map((m) => `isNotNull(${readExpr(m, 'max', res)})`).join(' OR ');
}

/** Row 2: NVLink error rates per GPU and per link, worst first. */
function nvlinkRow(b: DashboardBuilder, filters: readonly string[]): void {
  const mig = label('gpu', 'mig_instance');
  const all = `(${NVLINK_ERROR_METRICS.map((m) => `coalesce(${inc(m)}, 0)`).join(' + ')})`;
  const perGpu = summaryTableSql(
    { entity: 'gpu', filters: [...filters, `${mig} = ''`], policy: SUMMARY_POLICY },
    [label('gpu', 'region'), label('gpu', 'host'), label('gpu', 'gpu_uuid')],
    (res) => [
      `toFloat64(sum(${all})) * 3600 / greatest(dateDiff('second', min(ts), max(ts)) + 60, 60) AS ${alias('NVLink errors per hour')}`,
      ...NVLINK_ERROR_METRICS.map((m) => `toFloat64(sum(${inc(m)})) AS ${alias(`${m.name} (increase)`)}`),
      `if(${nvlinkReported(res)}, 'reported', '${NO_NVLINK}') AS ${alias('NVLink counters')}`,
    ],
    { orderBy: `${alias('NVLink errors per hour')} DESC` },
  );
  b.withRow(new RowBuilder('NVLink health'))
    .withPanel(
      tablePanel('NVLink error rates per GPU, worst first', perGpu, {
        span: 12,
        description:
          'CRC (flit and data), replay and recovery errors per whole GPU over the range, from the writer’s per-sample increases (a counter reset counts from zero). Sources: dcgm-exporter’s NVLink totals, or nvidia-smi nvlink -e on the inventory cadence.',
      }),
    )
    .withPanel(
      tablePanel('NVLink errors per link, worst first', perLinkSql(), {
        span: 12,
        description: `Each link’s counters (extra_metrics, label ${NVLINK_LINK_LABEL}): increase over the range, then the cumulative count. Only hosts whose source gives per-link values appear.`,
      }),
    );
}

/** Per-link counters from extra_metrics, with one plain row when no host gives them. */
function perLinkSql(): string {
  const x = auxTable('extra_metrics');
  const names = NVLINK_ERROR_METRICS.map((m) => `'${m.name}'`).join(', ');
  const where = [
    '$__timeFilter(ts)',
    `${col(x, 'name')} IN (${names})`,
    `mapContains(${col(x, 'labels')}, '${NVLINK_LINK_LABEL}')`,
    inVar(col(x, 'region'), 'region'),
    inVar(col(x, 'host'), 'host'),
    inVar(`${col(x, 'labels')}['gpu_uuid']`, 'gpu'),
  ].join(' AND ');
  const main =
    `SELECT toString(${col(x, 'host')}) AS host, ${col(x, 'labels')}['gpu_uuid'] AS gpu_uuid, ${col(x, 'labels')}['${NVLINK_LINK_LABEL}'] AS link, toString(${col(x, 'name')}) AS counter,` +
    ` CAST(max(${col(x, 'value')}) - min(${col(x, 'value')}) AS Nullable(Float64)) AS ${alias('increase over range')},` +
    ` CAST(max(${col(x, 'value')}) AS Nullable(Float64)) AS ${alias('cumulative')}` +
    ` FROM ${x} WHERE ${where} GROUP BY host, gpu_uuid, link, counter`;
  const none =
    `SELECT 'no per-link NVLink counters in range (hosts without DCGM per-link fields or nvidia-smi nvlink -e)' AS host, '' AS gpu_uuid, '' AS link, '' AS counter,` +
    ` CAST(NULL AS Nullable(Float64)) AS ${alias('increase over range')}, CAST(NULL AS Nullable(Float64)) AS ${alias('cumulative')}` +
    ` WHERE (SELECT count() FROM ${x} WHERE ${where}) = 0`;
  return `SELECT * FROM (${main} UNION ALL ${none}) ORDER BY ${alias('increase over range')} DESC NULLS LAST, ${alias('cumulative')} DESC LIMIT 200`;
}

/** Per region over the range: kWh from the energy counter, and from mean power × time beside it. */
function regionEnergySql(): string {
  const energy = metric('gpu', 'energy_total');
  const power = metric('gpu', 'power_draw');
  const powerAvg = rollupColumns(power).find((c) => c.agg === 'avg')?.column ?? '';
  const region = label('gpu', 'region');
  // Always the region rollups (the minute one stands in for raw rows): one row per region and minute.
  const scope: Scope = {
    entity: 'gpu',
    filters: [],
    policy: SUMMARY_POLICY,
    regional: { when: '1', filters: [inVar(region, 'region')] },
  };
  return summaryTableSql(scope, [region], () => [
    `toFloat64(sum(${inc(energy)})) / 3.6e6 AS ${alias('kWh (energy counter)')}`,
    // Mean draw per GPU-sample × GPU-minutes reporting × 60 s: joules, for hosts without the counter.
    `toFloat64(sum(finalizeAggregation(${powerAvg}) * ${SERIES_MINUTES})) * 60 / 3.6e6 AS ${alias('kWh (mean power × time)')}`,
    `toFloat64(sum(${SERIES_MINUTES})) / greatest(uniqExact(ts), 1) AS ${alias('GPUs reporting')}`,
  ]);
}

/** Row 3: energy per region and per workload over the range. */
function energyRow(b: DashboardBuilder): void {
  const w = auxTable('workloads');
  const e = regionEnergySql();
  const kwh = `coalesce(e.${alias('kWh (energy counter)')}, e.${alias('kWh (mean power × time)')})`;
  const perWorkload =
    `SELECT w.workload_id AS workload, w.region AS region, w.state AS state, toFloat64(w.gpus) AS gpus,` +
    ` toFloat64(${kwh} * w.gpus / nullIf(e.${alias('GPUs reporting')}, 0)) AS ${alias('kWh (estimated)')}` +
    ` FROM (SELECT ${col(w, 'workload_id')} AS workload_id, argMax(${col(w, 'region')}, ${col(w, 'ts')}) AS region,` +
    ` argMax(${col(w, 'state')}, ${col(w, 'ts')}) AS state, argMax(${col(w, 'gpus')}, ${col(w, 'ts')}) AS gpus FROM ${w} GROUP BY workload_id) AS w` +
    ` INNER JOIN (${e}) AS e ON w.region = e.region WHERE ${inVar('w.region', 'region')}` +
    ` ORDER BY ${alias('kWh (estimated)')} DESC LIMIT 1000`;
  b.withRow(new RowBuilder('Energy'))
    .withPanel(
      tablePanel('GPU energy per region (kWh over the range)', e, {
        span: 12,
        description:
          'Whole GPUs per region (MIG instances excluded). The energy counter is DCGM’s TOTAL_ENERGY_CONSUMPTION (or the twin’s); a region whose hosts do not report it shows no counter figure, and the mean power × time figure beside it stands in.',
      }),
    )
    .withPanel(
      tablePanel('GPU energy per workload (kWh over the range, estimated)', perWorkload, {
        span: 12,
        description:
          'An estimate: the region’s GPU energy over the range times the workload’s share of the GPUs reporting there (the store does not map GPUs to workloads). Shown with the workload’s latest state.',
      }),
    );
}

/** The DCGM rows of the GPU health dashboard, in order. */
export function dcgmRows(b: DashboardBuilder, scope: Scope, filters: readonly string[]): void {
  busyRow(b, scope, filters);
  nvlinkRow(b, filters);
  energyRow(b);
}
