import {
  DashboardBuilder,
  DashboardLinkBuilder,
  DashboardLinkType,
  RowBuilder,
} from '@grafana/grafana-foundation-sdk/dashboard';
import * as units from '@grafana/grafana-foundation-sdk/units';
import { rollupTable, tableFor, readExpr, FIBER_MS_PER_KM } from '@meridian/catalog';
import { auxTable, col } from '../aux.js';
import { appPageUrl, baseDashboard, clickhouseVariable, dashboardUrl, queryVariable } from '../common.js';
import { tablePanel, timeSeriesPanel } from '../panels.js';
import { DETAIL_POLICY, guard, RESOLUTIONS, SUMMARY_POLICY } from '../rollup.js';
import {
  alias,
  counterSeriesSql,
  gaugeSeriesSql,
  gaugeUnionSql,
  IN_KEY_ORDER,
  inVar,
  label,
  metric,
  type Scope,
} from '../sql.js';
import { unitOf } from '../units.js';
import { schedulerAnnotation } from './annotations.js';
import { metricSections } from './gpu.js';

const topo = auxTable('topology');
const t = (name: Parameters<typeof col<'topology'>>[1]) => col(topo, name);

/** The latest topology row per link: route length, equipment delay and provisioned capacity. */
function topologySql(): string {
  return (
    `SELECT ${t('id')} AS topo_id, argMax(${t('route_km')}, ${t('updated')}) AS topo_km,` +
    ` argMax(${t('equipment_delay_ms')}, ${t('updated')}) AS topo_eq_ms, argMax(${t('capacity_gbps')}, ${t('updated')}) AS topo_gbps` +
    ` FROM ${topo} WHERE ${t('kind')} = 'link' GROUP BY topo_id`
  );
}

const FLOOR = `if(tp.topo_km > 0, 2 * tp.topo_km * ${FIBER_MS_PER_KM}, NULL)`;
const FLOOR_EQ = `if(tp.topo_km > 0, 2 * (tp.topo_km * ${FIBER_MS_PER_KM} + tp.topo_eq_ms), NULL)`;
const CAPACITY_BPS = 'if(tp.topo_gbps > 0, tp.topo_gbps * 1e9 / 8, NULL)';

export function fiberLinksDashboard(): DashboardBuilder {
  const f = linkFields();
  const b = baseDashboard(
    'links',
    'Meridian / Fiber links',
    'Long-haul links: RTT against the fiber floor, jitter, loss, throughput against capacity, optics and FEC.',
  )
    .withVariable(clickhouseVariable())
    .withVariable(
      queryVariable(
        'link',
        'Link',
        `SELECT DISTINCT ${f.linkId} FROM (SELECT ${t('id')} AS ${f.linkId} FROM ${topo} WHERE ${t('kind')} = 'link' UNION ALL SELECT ${f.linkId} FROM ${rollupTable('link', '1h')} WHERE $__timeFilter(ts)) ORDER BY ${f.linkId}`,
      ),
    )
    .annotation(schedulerAnnotation())
    .link(new DashboardLinkBuilder('App: links').type(DashboardLinkType.Link).url(appPageUrl('links')).keepTime(true));

  // The rows in the order they appear: panel ids and positions follow the order they are added in.
  linksRow(b, f);
  delayAndLossRow(b, f);
  opticsRow(b, f);
  fecAndErrorsRow(b, f);
  metricSections(b, 'link', f.perLane, { collapsed: true, titlePrefix: 'All link metrics: ', stateFilters: f.filters });
  return b;
}

/** The labels, metrics and scopes every row of the links dashboard reads. */
function linkFields() {
  const linkId = label('link', 'link_id');
  const lane = label('link', 'lane');
  const from = label('link', 'region_from');
  const to = label('link', 'region_to');
  const filters = [inVar(linkId, 'link')];
  const perLink: Scope = { entity: 'link', series: linkId, filters, policy: DETAIL_POLICY };
  const perLane: Scope = { ...perLink, series: `concat(${linkId}, ' lane ', toString(${lane}))` };
  const m = (name: string) => metric('link', name);
  const [rttMin, rttAvg, rttP99, jitter, loss, tput] = [
    'rtt_min',
    'rtt_avg',
    'rtt_p99',
    'jitter',
    'loss_pct',
    'throughput',
  ].map(m) as [
    ReturnType<typeof m>,
    ReturnType<typeof m>,
    ReturnType<typeof m>,
    ReturnType<typeof m>,
    ReturnType<typeof m>,
    ReturnType<typeof m>,
  ];
  const self = { title: 'This link', url: dashboardUrl('links') };
  return { linkId, from, to, filters, perLink, perLane, m, rttMin, rttAvg, rttP99, jitter, loss, tput, self };
}

type LinkFields = ReturnType<typeof linkFields>;

/** Links: one table row per link, against the floor its route allows. */
function linksRow(b: DashboardBuilder, f: LinkFields): void {
  const { linkId, from, to, filters, rttMin, rttAvg, jitter, loss, tput, self } = f;
  // One row per link over the range, with the floor its route allows and how far above it the link runs.
  // A table of one row per series over the whole range: the summary tables' rule (a 30-day table reads
  // link_1d, not 720 hourly rows per lane).
  const summary = RESOLUTIONS.map((res) => {
    const where = ['$__timeFilter(ts)', guard(res, SUMMARY_POLICY), ...filters];
    return (
      `SELECT ${linkId}, any(${from}) AS ${alias(from)}, any(${to}) AS ${alias(to)},` +
      ` toFloat64(${readExpr(rttMin, 'min', res)}) AS ${alias(`${rttMin.name} (min)`)},` +
      ` toFloat64(${readExpr(rttAvg, 'avg', res)}) AS ${alias(`${rttAvg.name} (avg)`)},` +
      ` toFloat64(${readExpr(jitter, 'avg', res)}) AS ${alias(`${jitter.name} (avg)`)},` +
      ` toFloat64(${readExpr(loss, 'avg', res)}) AS ${alias(`${loss.name} (avg)`)},` +
      ` toFloat64(${readExpr(tput, 'avg', res)}) AS ${alias(`${tput.name} (avg)`)}` +
      ` FROM ${tableFor('link', res)} WHERE ${where.join(' AND ')} GROUP BY ${linkId}`
    );
  });
  b.withRow(new RowBuilder('Links')).withPanel(
    tablePanel(
      'Links',
      `SELECT g.*, ${FLOOR} AS ${alias('fiber floor')}, g.${alias(`${rttMin.name} (min)`)} / ${FLOOR} AS ${alias('latency stretch')},` +
        ` ${CAPACITY_BPS} AS ${alias('capacity')} FROM (${summary.join(' UNION ALL ')}) AS g` +
        ` LEFT JOIN (${topologySql()}) AS tp ON tp.topo_id = g.${linkId} ORDER BY g.${linkId} LIMIT 1000 ${IN_KEY_ORDER}`,
      {
        description: `Per link: ${rttMin.name} against the fiber floor (2 × route km × ${FIBER_MS_PER_KM} ms), latency stretch = ${rttMin.name} ÷ floor, loss, jitter and throughput.`,
        links: [self, { title: 'App: links', url: appPageUrl('links') }],
        rowLinks: [
          {
            title: 'Fiber links: ${__data.fields.link_id}',
            url: `${dashboardUrl('links')}?var-link=\${__data.fields.${linkId}}&\${__url_time_range}`,
          },
        ],
      },
    ),
  );
}

/** Delay and loss: RTT against the fiber floor, jitter, loss, throughput against capacity. */
function delayAndLossRow(b: DashboardBuilder, f: LinkFields): void {
  const { perLink, rttMin, rttAvg, rttP99, jitter, loss, tput } = f;
  const rttUnion = gaugeUnionSql(perLink, [
    { metric: rttMin, agg: 'min' },
    { metric: rttAvg, agg: 'avg' },
    { metric: rttP99, agg: 'avg' },
  ]);
  const tputUnion = gaugeUnionSql(perLink, [{ metric: tput, agg: 'avg' }]);
  b.withRow(new RowBuilder('Delay and loss'))
    .withPanel(
      timeSeriesPanel(
        'RTT vs fiber floor',
        `SELECT g.*, ${FLOOR} AS ${alias('fiber floor')}, ${FLOOR_EQ} AS ${alias('floor with equipment')}` +
          ` FROM (${rttUnion}) AS g LEFT JOIN (${topologySql()}) AS tp ON tp.topo_id = g.series ORDER BY time, series`,
        unitOf(rttMin),
        {
          description: `Measured RTT against the speed-of-light floor of the route (topology route_km, ${FIBER_MS_PER_KM} ms/km each way) and that floor plus equipment delay.`,
        },
      ),
    )
    .withPanel(
      timeSeriesPanel(
        'Jitter',
        gaugeSeriesSql(perLink, [
          { metric: jitter, agg: 'avg' },
          { metric: jitter, agg: 'max' },
        ]),
        unitOf(jitter),
      ),
    )
    .withPanel(
      timeSeriesPanel(
        'Loss',
        gaugeSeriesSql(perLink, [
          { metric: loss, agg: 'avg' },
          { metric: loss, agg: 'max' },
        ]),
        unitOf(loss),
      ),
    )
    .withPanel(
      timeSeriesPanel(
        'Throughput vs capacity',
        `SELECT g.*, ${CAPACITY_BPS} AS ${alias('capacity')} FROM (${tputUnion}) AS g LEFT JOIN (${topologySql()}) AS tp ON tp.topo_id = g.series ORDER BY time, series`,
        unitOf(tput),
        { description: 'Carried throughput against the capacity provisioned in the topology (capacity_gbps).' },
      ),
    );
}

/** Optics: optical power, laser bias, module temperature and supply, per lane. */
function opticsRow(b: DashboardBuilder, f: LinkFields): void {
  const { perLane, m } = f;
  const [rx, tx, bias, otemp, vcc] = ['optic_rx_power', 'optic_tx_power', 'optic_bias', 'optic_temp', 'optic_vcc'].map(
    m,
  ) as [ReturnType<typeof m>, ReturnType<typeof m>, ReturnType<typeof m>, ReturnType<typeof m>, ReturnType<typeof m>];
  b.withRow(new RowBuilder('Optics'))
    .withPanel(
      timeSeriesPanel(
        'Optical power',
        gaugeSeriesSql(perLane, [
          { metric: rx, agg: 'min' },
          { metric: tx, agg: 'avg' },
        ]),
        unitOf(rx),
        { description: 'Received power (lowest in bucket) and transmitted power per lane.' },
      ),
    )
    .withPanel(timeSeriesPanel('Laser bias', gaugeSeriesSql(perLane, [{ metric: bias, agg: 'avg' }]), unitOf(bias)))
    .withPanel(
      timeSeriesPanel('Module temperature', gaugeSeriesSql(perLane, [{ metric: otemp, agg: 'max' }]), unitOf(otemp)),
    )
    .withPanel(timeSeriesPanel('Module supply', gaugeSeriesSql(perLane, [{ metric: vcc, agg: 'avg' }]), unitOf(vcc)));
}

/** FEC and errors: FEC codewords and port error counters, per link. */
function fecAndErrorsRow(b: DashboardBuilder, f: LinkFields): void {
  const { perLink, m } = f;
  const fec = ['fec_corrected', 'fec_uncorrected'].map(m);
  const errs = ['crc_errors', 'symbol_errors', 'link_down_events', 'retransmits'].map(m);
  b.withRow(new RowBuilder('FEC and errors'))
    .withPanel(
      timeSeriesPanel('FEC codewords', counterSeriesSql(perLink, fec), units.Short, {
        description:
          'Corrected and uncorrectable FEC codewords per bucket. Rising corrections warn before uncorrectables appear.',
      }),
    )
    .withPanel(
      timeSeriesPanel('Port errors', counterSeriesSql(perLink, errs), units.Short, {
        description: 'CRC, symbol errors, carrier losses and TCP retransmissions per bucket.',
      }),
    );
}
