import {
  DashboardBuilder,
  DashboardLinkBuilder,
  DashboardLinkType,
  RowBuilder,
} from '@grafana/grafana-foundation-sdk/dashboard';
import * as units from '@grafana/grafana-foundation-sdk/units';
import { rollupTable, type Resolution, readExpr } from '@meridian/catalog';
import { auxTable, col } from '../aux.js';
import { appPageUrl, baseDashboard, clickhouseVariable, dashboardUrl, queryVariable } from '../common.js';
import { alertListPanel, heatPanel, statPanel, tablePanel, timeSeriesPanel } from '../panels.js';
import { FLEET_POLICY, SUMMARY_POLICY } from '../rollup.js';
import {
  alias,
  counterSeriesSql,
  customSeriesSql,
  gaugeSeriesSql,
  inVar,
  label,
  metric,
  seriesCountExpr,
  summaryTableSql,
  type Scope,
} from '../sql.js';
import { unitOf } from '../units.js';
import { schedulerAnnotation } from './annotations.js';

/**
 * The fleet at a glance: every region's utilization, power, temperature, errors and throttling, the
 * GPUs that need attention, and the alerts. Fleet-wide, so it leaves raw rows early (FLEET_POLICY):
 * a 30-day view reads only the 1-hour rollup.
 */
export function fleetOverviewDashboard(): DashboardBuilder {
  const f = fleetFields();
  const b = baseDashboard(
    'fleet',
    'Meridian / Fleet overview',
    'Regions, utilization, power, temperature, error and throttling heat, and alerts across the fabric.',
  )
    .withVariable(clickhouseVariable())
    .withVariable(
      queryVariable(
        'region',
        'Region',
        `SELECT DISTINCT ${f.region} FROM (SELECT ${col(f.inv, 'region')} AS ${f.region} FROM ${f.inv} UNION ALL SELECT ${f.region} FROM ${rollupTable('gpu', '1h')} WHERE $__timeFilter(ts)) ORDER BY ${f.region}`,
      ),
    )
    .annotation(schedulerAnnotation())
    .link(
      new DashboardLinkBuilder('App: fleet overview')
        .type(DashboardLinkType.Link)
        .url(appPageUrl('overview'))
        .keepTime(true),
    );
  // The rows in the order they appear: panel ids and positions follow the order they are added in.
  fleetRow(b, f);
  regionsRow(b, f);
  loadAndHeatRow(b, f);
  alertsRow(b, f);
  return b;
}

/** The labels, metrics, scopes and helpers every row of the fleet dashboard reads. */
function fleetFields() {
  const region = label('gpu', 'region');
  const host = label('gpu', 'host');
  const uuid = label('gpu', 'gpu_uuid');
  const mig = label('gpu', 'mig_instance');
  const util = metric('gpu', 'util_gpu');
  const power = metric('gpu', 'power_draw');
  const temp = metric('gpu', 'temp_gpu');
  const mem = metric('gpu', 'memory_used');
  const throttled = metric('gpu', 'throttled');
  const dbe = metric('gpu', 'ecc_dbe_volatile');
  const xid = metric('gpu', 'xid_count');
  // Whole GPUs only: a MIG instance's row would count its parent's load twice.
  const filters = [inVar(region, 'region'), `${mig} = ''`];
  // Fleet-wide: the 1m and 1h branches read the region rollups (whole GPUs only, by construction).
  const regionFilters = [inVar(region, 'region')];
  const fleet: Scope = {
    entity: 'gpu',
    filters,
    policy: FLEET_POLICY,
    regional: { when: '1', filters: regionFilters },
  };
  const byRegion: Scope = {
    ...fleet,
    series: region,
    regional: { when: '1', series: region, filters: regionFilters },
  };
  const gpusReporting = (res: Resolution, regional: boolean) => seriesCountExpr(res, regional, [uuid]);
  const inv = auxTable('inventory');
  const gpuLink = { title: 'GPU health', url: dashboardUrl('gpu') };

  // Fleet power is the sum over GPUs of each GPU's mean draw: mean draw per sample times GPUs reporting.
  const totalPower = (res: Resolution, regional: boolean) =>
    `toFloat64(${readExpr(power, 'avg', res)} * ${gpusReporting(res, regional)}) AS ${alias('power (total)')}`;
  return {
    region,
    host,
    uuid,
    util,
    power,
    temp,
    mem,
    throttled,
    dbe,
    xid,
    filters,
    fleet,
    byRegion,
    gpusReporting,
    inv,
    gpuLink,
    totalPower,
  };
}

type FleetFields = ReturnType<typeof fleetFields>;

/** Fleet: the headline stats (GPUs reporting, utilization, power, hottest GPU, throttling, errors). */
function fleetRow(b: DashboardBuilder, f: FleetFields): void {
  const { fleet, gpusReporting, totalPower, util, power, temp, throttled, dbe, xid } = f;
  b.withRow(new RowBuilder('Fleet'))
    .withPanel(
      statPanel(
        'GPUs reporting',
        customSeriesSql(fleet, (res, regional) => [`toFloat64(${gpusReporting(res, regional)}) AS ${alias('GPUs')}`]),
        units.Short,
        {
          description: 'Whole GPUs with samples in the latest bucket (averaged over its minutes).',
        },
      ),
    )
    .withPanel(statPanel('Utilization', gaugeSeriesSql(fleet, [{ metric: util, agg: 'avg' }]), unitOf(util)))
    .withPanel(
      statPanel(
        'Power',
        customSeriesSql(fleet, (res, regional) => [totalPower(res, regional)]),
        unitOf(power),
      ),
    )
    .withPanel(statPanel('Hottest GPU', gaugeSeriesSql(fleet, [{ metric: temp, agg: 'max' }]), unitOf(temp)))
    .withPanel(
      statPanel('Throttled', gaugeSeriesSql(fleet, [{ metric: throttled, agg: 'avg' }]), unitOf(throttled), {
        description: 'Share of GPU time with a slowdown reason active.',
      }),
    )
    .withPanel(
      statPanel('Uncorrectable errors', counterSeriesSql(fleet, [dbe, xid]), units.Short, {
        description: `New ${dbe.name} and ${xid.name} in the latest bucket.`,
      }),
    );
}

/** Regions: one table row per region, linking to its GPU health. */
function regionsRow(b: DashboardBuilder, f: FleetFields): void {
  const { fleet, gpusReporting, region, util, power, temp, throttled, gpuLink } = f;
  b.withRow(new RowBuilder('Regions')).withPanel(
    tablePanel(
      'Regions',
      // One row per region over the whole range: the summary tables' rule, so 30 days read region-days.
      summaryTableSql({ ...fleet, policy: SUMMARY_POLICY }, [region], (res, regional) => [
        `toFloat64(round(${gpusReporting(res, regional)}, 1)) AS gpus`,
        `toFloat64(${readExpr(util, 'avg', res)}) AS ${alias(`${util.name} (avg)`)}`,
        `toFloat64(${readExpr(power, 'avg', res)}) AS ${alias(`${power.name} (avg per GPU)`)}`,
        `toFloat64(${readExpr(temp, 'max', res)}) AS ${alias(`${temp.name} (max)`)}`,
        `toFloat64(${readExpr(throttled, 'avg', res)}) AS ${alias(`${throttled.name} (share)`)}`,
      ]),
      {
        description: 'Each region over the selected range. Open GPU health for a region from the panel links.',
        links: [gpuLink, { title: 'App: regions', url: appPageUrl('regions') }],
        rowLinks: [
          {
            title: 'GPU health: ${__data.fields.region}',
            url: `${dashboardUrl('gpu')}?var-region=\${__data.fields.${region}}&\${__url_time_range}`,
          },
        ],
      },
    ),
  );
}

/** Load and heat: per-region series, and the throttling and error heat maps. */
function loadAndHeatRow(b: DashboardBuilder, f: FleetFields): void {
  const { byRegion, totalPower, util, power, temp, mem, throttled, dbe, xid, gpuLink } = f;
  b.withRow(new RowBuilder('Load and heat'))
    .withPanel(
      timeSeriesPanel('Utilization by region', gaugeSeriesSql(byRegion, [{ metric: util, agg: 'avg' }]), unitOf(util), {
        links: [gpuLink],
      }),
    )
    .withPanel(
      timeSeriesPanel(
        'Power by region',
        customSeriesSql(byRegion, (res, regional) => [totalPower(res, regional)]),
        unitOf(power),
        { links: [gpuLink] },
      ),
    )
    .withPanel(
      timeSeriesPanel('Hottest GPU by region', gaugeSeriesSql(byRegion, [{ metric: temp, agg: 'max' }]), unitOf(temp), {
        links: [gpuLink],
      }),
    )
    .withPanel(
      timeSeriesPanel(
        'Memory in use by region (avg per GPU)',
        gaugeSeriesSql(byRegion, [{ metric: mem, agg: 'avg' }]),
        unitOf(mem),
        { links: [gpuLink] },
      ),
    )
    .withPanel(
      heatPanel(
        'Throttling heat',
        gaugeSeriesSql(byRegion, [{ metric: throttled, agg: 'avg', as: 'throttled' }]),
        unitOf(throttled),
        {
          description: 'Share of GPU time throttled, per region and bucket.',
        },
      ),
    )
    .withPanel(
      heatPanel('Error heat', counterSeriesSql(byRegion, [dbe, xid]), units.Short, {
        description: `New ${dbe.name} and ${xid.name} per region and bucket.`,
      }),
    );
}

/** Alerts: the alert list, and the GPUs that need attention now. */
function alertsRow(b: DashboardBuilder, f: FleetFields): void {
  const { filters, region, host, uuid, temp, throttled, dbe, xid, gpuLink } = f;
  b.withRow(new RowBuilder('Alerts'))
    .withPanel(
      alertListPanel('Alerts', { description: 'Firing and pending alert rules (Grafana-managed or Alertmanager).' }),
    )
    .withPanel(
      tablePanel(
        'GPUs needing attention',
        summaryTableSql(
          { entity: 'gpu', filters, policy: SUMMARY_POLICY },
          [region, host, uuid],
          (res) => [
            `toFloat64(${readExpr(dbe, 'max', res)}) AS ${alias(`${dbe.name} (last)`)}`,
            `toFloat64(${readExpr(xid, 'max', res)}) AS ${alias(`${xid.name} (last)`)}`,
            `toFloat64(${readExpr(temp, 'max', res)}) AS ${alias(`${temp.name} (max)`)}`,
            `toFloat64(${readExpr(throttled, 'avg', res)}) AS ${alias(`${throttled.name} (share)`)}`,
          ],
          {
            orderBy: `${alias(`${dbe.name} (last)`)} DESC, ${alias(`${xid.name} (last)`)} DESC, ${alias(`${temp.name} (max)`)} DESC`,
            outerWhere: `${alias(`${dbe.name} (last)`)} > 0 OR ${alias(`${xid.name} (last)`)} > 0 OR ${alias(`${throttled.name} (share)`)} > 0.5`,
          },
        ),
        {
          span: 16,
          // Attention is about now: the heat panels carry the history of the whole range, and one row
          // per GPU over 30 days of hourly rows (7.4 M at 10,000 GPUs) measured 680 ms on its own.
          timeFrom: '24h',
          description: `GPUs that, in the last 24 hours, had uncorrectable ECC errors or XIDs since their driver loaded, or were throttled more than half the time.`,
          links: [gpuLink],
          rowLinks: [
            {
              title: 'GPU health: ${__data.fields.host}',
              url: `${dashboardUrl('gpu')}?var-region=\${__data.fields.${region}}&var-host=\${__data.fields.${host}}&var-gpu=\${__data.fields.${uuid}}&\${__url_time_range}`,
            },
          ],
        },
      ),
    );
}
