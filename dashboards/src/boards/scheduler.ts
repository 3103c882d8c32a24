import {
  DashboardBuilder,
  DashboardLinkBuilder,
  DashboardLinkType,
  RowBuilder,
} from '@grafana/grafana-foundation-sdk/dashboard';
import * as units from '@grafana/grafana-foundation-sdk/units';
import { auxTable, col } from '../aux.js';
import { appPageUrl, baseDashboard, clickhouseVariable, dashboardUrl } from '../common.js';
import { barChartPanel, barsPanel, tablePanel, timeSeriesPanel } from '../panels.js';
import { alias } from '../sql.js';
import { schedulerAnnotation } from './annotations.js';

/**
 * The `action` values the scheduler writes for a planned move and for a move it considered and
 * refused. They are the scheduler's vocabulary, kept here once; the audit table stores them as text.
 */
export const MOVE_ACTION = 'move';
export const REJECT_ACTION = 'reject';

const d = auxTable('scheduler_decisions');
const c = (name: Parameters<typeof col<'scheduler_decisions'>>[1]) => col(d, name);
const w = auxTable('workloads');
const wc = (name: Parameters<typeof col<'workloads'>>[1]) => col(w, name);

export function schedulerAuditDashboard(): DashboardBuilder {
  const inRange = `$__timeFilter(${c('ts')})`;
  const b = baseDashboard(
    'scheduler',
    'Meridian / Scheduler audit',
    'Every decision the rebalancer took or refused, why, and where the workloads run.',
  )
    .withVariable(clickhouseVariable())
    .annotation(schedulerAnnotation())
    .link(
      new DashboardLinkBuilder('App: scheduler')
        .type(DashboardLinkType.Link)
        .url(appPageUrl('scheduler'))
        .keepTime(true),
    );

  b.withRow(new RowBuilder('Decisions'))
    .withPanel(
      barsPanel(
        'Decisions over time',
        `SELECT $__timeInterval(${c('ts')}) AS time, toString(${c('action')}) AS series, toFloat64(count()) AS decisions` +
          ` FROM ${d} WHERE ${inRange} GROUP BY time, series ORDER BY time, series`,
        units.Short,
        {
          description: 'Decisions per bucket, by action.',
          links: [{ title: 'App: scheduler', url: appPageUrl('scheduler') }],
        },
      ),
    )
    .withPanel(
      barsPanel(
        'Outcomes over time',
        `SELECT $__timeInterval(${c('ts')}) AS time, toString(${c('outcome')}) AS series, toFloat64(count()) AS decisions` +
          ` FROM ${d} WHERE ${inRange} GROUP BY time, series ORDER BY time, series`,
        units.Short,
        { description: 'What the executors reported for each decision.' },
      ),
    )
    .withPanel(
      barChartPanel(
        'Moves by reason',
        // Reasons read "<trigger>: <detail>"; grouping by the trigger keeps the bars few.
        `SELECT arrayElement(splitByString(': ', ${c('reason')}), 1) AS reason, toFloat64(count()) AS moves` +
          ` FROM ${d} WHERE ${inRange} AND ${c('action')} = '${MOVE_ACTION}' GROUP BY reason ORDER BY moves DESC, reason LIMIT 20`,
        units.Short,
      ),
    )
    .withPanel(
      barChartPanel(
        'Rejected moves by limit',
        `SELECT ${c('reason')} AS ${alias('limit')}, toFloat64(count()) AS rejected` +
          ` FROM ${d} WHERE ${inRange} AND ${c('action')} = '${REJECT_ACTION}' GROUP BY ${alias('limit')} ORDER BY rejected DESC, ${alias('limit')} LIMIT 20`,
        units.Short,
        {
          description:
            'Moves the planner wanted but a safety limit (cooldown, budget, per-pass caps, pinning …) refused.',
        },
      ),
    )
    .withPanel(
      timeSeriesPanel(
        'Benefit and cost of moves',
        `SELECT $__timeInterval(${c('ts')}) AS time, sum(${c('benefit')}) AS benefit, sum(${c('cost')}) AS cost` +
          ` FROM ${d} WHERE ${inRange} AND ${c('action')} = '${MOVE_ACTION}' GROUP BY time ORDER BY time`,
        units.Short,
        { description: 'Planned benefit against migration cost, as the planner scored them.' },
      ),
    );

  b.withRow(new RowBuilder('Workloads'))
    .withPanel(
      barChartPanel(
        'Workloads by region',
        // workloads is a ReplacingMergeTree keyed by workload: FINAL gives each one's latest row.
        `SELECT ${wc('region')} AS region, toFloat64(countIf(${wc('state')} = 'running')) AS running,` +
          ` toFloat64(countIf(${wc('state')} = 'queued')) AS queued, toFloat64(countIf(${wc('state')} = 'migrating')) AS migrating` +
          ` FROM ${w} FINAL GROUP BY region ORDER BY region`,
        units.Short,
        {
          description:
            'Current workloads per region by state. A pipeline that spans regions is one row per stage, so it counts once in each region it runs in.',
        },
      ),
    )
    .withPanel(
      barChartPanel(
        'Workload GPUs by region',
        `SELECT ${wc('region')} AS region, toFloat64(sumIf(${wc('gpus')}, ${wc('state')} IN ('running', 'migrating'))) AS gpus` +
          ` FROM ${w} FINAL GROUP BY region ORDER BY region`,
        units.Short,
        {
          description: 'GPUs held by running or migrating workloads.',
          links: [{ title: 'Fleet overview', url: dashboardUrl('fleet') }],
        },
      ),
    );

  b.withRow(new RowBuilder('Audit trail')).withPanel(
    tablePanel(
      'Decisions',
      `SELECT ${c('ts')} AS time, ${c('action')}, ${c('workload_id')}, ${c('region_from')}, ${c('region_to')}, ${c('reason')},` +
        ` arrayStringConcat(${c('limits')}, ', ') AS ${alias('limits checked')}, ${c('executor')}, ${c('outcome')}, ${c('benefit')}, ${c('cost')}` +
        ` FROM ${d} WHERE ${inRange} ORDER BY time DESC LIMIT 500`,
      { height: 12, description: 'The latest 500 decisions in range, newest first.' },
    ),
  );
  return b;
}
