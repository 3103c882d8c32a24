import * as barchart from '@grafana/grafana-foundation-sdk/barchart';
import * as common from '@grafana/grafana-foundation-sdk/common';
import {
  DashboardLinkBuilder,
  DashboardLinkType,
  FieldColorBuilder,
  FieldColorModeId,
  PanelBuilder as GenericPanelBuilder,
} from '@grafana/grafana-foundation-sdk/dashboard';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as statushistory from '@grafana/grafana-foundation-sdk/statushistory';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import * as units from '@grafana/grafana-foundation-sdk/units';
import { clickhouseRef, tableQuery, timeSeriesQuery } from './clickhouse.js';
import { MAX_DATA_POINTS } from './rollup.js';

/** Panel factories with the layout and query conventions every Meridian dashboard follows. */

export interface PanelOpts {
  readonly description?: string;
  readonly span?: number;
  readonly height?: number;
  /** Links in the panel header: to another dashboard or an app page, keeping the time range. */
  readonly links?: readonly PanelLink[];
}

export interface PanelLink {
  readonly title: string;
  readonly url: string;
}

function linkBuilders(links: readonly PanelLink[]): DashboardLinkBuilder[] {
  return links.map((l) => new DashboardLinkBuilder(l.title).type(DashboardLinkType.Link).url(l.url).keepTime(true));
}

export function timeSeriesPanel(title: string, sql: string, unit: string, o: PanelOpts = {}): timeseries.PanelBuilder {
  const p = new timeseries.PanelBuilder()
    .title(title)
    .datasource(clickhouseRef)
    .withTarget(timeSeriesQuery(sql))
    .unit(unit)
    // Fixed points per panel: the interval, and so the rollup read, depends on the range alone.
    .maxDataPoints(MAX_DATA_POINTS)
    .span(o.span ?? 12)
    .height(o.height ?? 8)
    .lineWidth(1)
    .fillOpacity(10)
    .showPoints(common.VisibilityMode.Never)
    .spanNulls(false)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom)
        .calcs([]),
    );
  if (o.description) p.description(o.description);
  if (o.links) p.links(linkBuilders(o.links));
  return p;
}

/** Bars per bucket: counts of events (decisions, counter increases). */
export function barsPanel(title: string, sql: string, unit: string, o: PanelOpts = {}): timeseries.PanelBuilder {
  return timeSeriesPanel(title, sql, unit, o)
    .drawStyle(common.GraphDrawStyle.Bars)
    .fillOpacity(80)
    .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
}

/** A heat grid: one row per series, one cell per bucket, coloured by value. */
export function heatPanel(title: string, sql: string, unit: string, o: PanelOpts = {}): statushistory.PanelBuilder {
  const p = new statushistory.PanelBuilder()
    .title(title)
    .datasource(clickhouseRef)
    .withTarget(timeSeriesQuery(sql))
    .unit(unit)
    .maxDataPoints(100)
    .span(o.span ?? 12)
    .height(o.height ?? 8)
    .showValue(common.VisibilityMode.Never)
    .colorScheme(new FieldColorBuilder().mode(FieldColorModeId.ContinuousGrYlRd))
    .min(0);
  if (o.description) p.description(o.description);
  return p;
}

export function statPanel(title: string, sql: string, unit: string, o: PanelOpts = {}): stat.PanelBuilder {
  const p = new stat.PanelBuilder()
    .title(title)
    .datasource(clickhouseRef)
    .withTarget(timeSeriesQuery(sql))
    .unit(unit)
    .maxDataPoints(MAX_DATA_POINTS)
    .span(o.span ?? 4)
    .height(o.height ?? 4)
    .graphMode(common.BigValueGraphMode.Area)
    .colorMode(common.BigValueColorMode.Value)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
  if (o.description) p.description(o.description);
  return p;
}

export function tablePanel(
  title: string,
  sql: string,
  o: PanelOpts & { timeFrom?: string; unit?: string; rowLinks?: readonly PanelLink[] } = {},
): table.PanelBuilder {
  const p = new table.PanelBuilder()
    .title(title)
    .datasource(clickhouseRef)
    .withTarget(tableQuery(sql))
    .span(o.span ?? 24)
    .height(o.height ?? 8)
    .unit(o.unit ?? units.Short);
  if (o.description) p.description(o.description);
  if (o.timeFrom) p.timeFrom(o.timeFrom);
  if (o.links) p.links(linkBuilders(o.links));
  // Cell links: a row's values reach the target through ${__data.fields.<column>}.
  if (o.rowLinks) p.dataLinks(linkBuilders(o.rowLinks));
  return p;
}

/** Horizontal bars from a table: a label column then numbers. */
export function barChartPanel(title: string, sql: string, unit: string, o: PanelOpts = {}): barchart.PanelBuilder {
  const p = new barchart.PanelBuilder()
    .title(title)
    .datasource(clickhouseRef)
    .withTarget(tableQuery(sql))
    .unit(unit)
    .span(o.span ?? 12)
    .height(o.height ?? 8)
    .orientation(common.VizOrientation.Horizontal)
    .stacking(common.StackingMode.Normal);
  if (o.description) p.description(o.description);
  return p;
}

/** Grafana's alert list: the alert rules Meridian's alerts feed (Alertmanager or Grafana-managed). */
export function alertListPanel(title: string, o: PanelOpts = {}): GenericPanelBuilder {
  return new GenericPanelBuilder()
    .type('alertlist')
    .title(title)
    .description(o.description ?? '')
    .span(o.span ?? 8)
    .height(o.height ?? 8)
    .options({
      viewMode: 'list',
      groupMode: 'default',
      maxItems: 20,
      sortOrder: 1,
      dashboardAlerts: false,
      alertName: '',
      alertInstanceLabelFilter: '',
      stateFilter: { firing: true, pending: true, noData: false, normal: false, error: true },
    });
}
