import type { Dashboard, Panel, RowPanel } from '@grafana/grafana-foundation-sdk/dashboard';
import { collectorHealthDashboard } from './boards/collector.js';
import { fleetOverviewDashboard } from './boards/fleet.js';
import { gpuHealthDashboard } from './boards/gpu.js';
import { fiberLinksDashboard } from './boards/links.js';
import { schedulerAuditDashboard } from './boards/scheduler.js';
import { CLICKHOUSE_TYPE, Format } from './clickhouse.js';
import { UIDS, type BoardKey } from './common.js';

export interface GeneratedDashboard {
  readonly key: BoardKey;
  readonly uid: string;
  readonly title: string;
  /** File name under dashboards/json/. */
  readonly file: string;
  /** The dashboard JSON model, plain data (what Grafana provisions). */
  readonly json: Dashboard;
}

const BOARDS: readonly { key: BoardKey; file: string; build: () => { build(): Dashboard } }[] = [
  { key: 'fleet', file: 'fleet-overview.json', build: fleetOverviewDashboard },
  { key: 'gpu', file: 'gpu-health.json', build: gpuHealthDashboard },
  { key: 'links', file: 'fiber-links.json', build: fiberLinksDashboard },
  { key: 'scheduler', file: 'scheduler-audit.json', build: schedulerAuditDashboard },
  { key: 'collector', file: 'collector-health.json', build: collectorHealthDashboard },
];

/** Builder output -> plain JSON: drops the SDK's marker methods and undefined fields. */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Panels get ids in reading order (rows included), so links and the JSON stay stable across builds. */
function numberPanels(d: Dashboard): void {
  let id = 1;
  for (const p of d.panels ?? []) {
    p.id = id++;
    if (p.type === 'row') for (const inner of (p as RowPanel).panels) inner.id = id++;
  }
}

/** Every Meridian dashboard, generated from the catalog. */
export function buildDashboards(): GeneratedDashboard[] {
  return BOARDS.map(({ key, file, build }) => {
    const json = plain(build().build());
    // Provisioned dashboards carry no database id; Grafana assigns one.
    json.id = null;
    numberPanels(json);
    return { key, uid: UIDS[key], title: json.title ?? key, file, json };
  });
}

/** The exact text written to dashboards/json/<file>: the build and the staleness test share it. */
export function renderDashboardJson(d: GeneratedDashboard): string {
  return `${JSON.stringify(d.json, null, 2)}\n`;
}

/** What a panel's result must look like for its visualization. */
export type PanelShape =
  /** `time` first, ascending, then an optional string label and numeric value columns. */
  | 'timeseries'
  /** Any columns: a table. */
  | 'table'
  /** A string label (optional) then numeric columns: bar charts, pies. */
  | 'values';

export interface PanelQuery {
  readonly dashboardUid: string;
  readonly panelId: number;
  readonly panelTitle: string;
  readonly panelType: string;
  readonly refId: string;
  readonly datasourceType: string;
  /** ClickHouse SQL with macros, for grafana-clickhouse-datasource targets. */
  readonly rawSql?: string;
  /** PromQL, for Prometheus targets. */
  readonly expr?: string;
  readonly format?: Format;
  /** A relative time override on the panel (e.g. `5m`): Grafana queries that range instead. */
  readonly timeFrom?: string;
  readonly maxDataPoints?: number;
  readonly shape: PanelShape;
}

function shapeOf(panelType: string, format: Format | undefined): PanelShape {
  if (panelType === 'table') return 'table';
  if (panelType === 'barchart' || panelType === 'piechart') return 'values';
  return format === Format.Table ? 'values' : 'timeseries';
}

function allPanels(d: Dashboard): Panel[] {
  const out: Panel[] = [];
  for (const p of d.panels ?? []) {
    if (p.type === 'row') out.push(...(p as RowPanel).panels);
    else out.push(p as Panel);
  }
  return out;
}

interface TargetJson {
  refId?: string;
  datasource?: { type?: string };
  rawSql?: string;
  expr?: string;
  format?: Format;
}

/** Every query of every panel of a dashboard JSON, with what its result must look like. */
export function panelQueries(d: Dashboard): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const p of allPanels(d)) {
    for (const raw of p.targets ?? []) {
      const t = raw as unknown as TargetJson;
      const datasourceType = t.datasource?.type ?? p.datasource?.type ?? '';
      out.push({
        dashboardUid: d.uid ?? '',
        panelId: p.id ?? 0,
        panelTitle: p.title ?? '',
        panelType: p.type,
        refId: t.refId ?? 'A',
        datasourceType,
        ...(t.rawSql !== undefined ? { rawSql: t.rawSql } : {}),
        ...(t.expr !== undefined ? { expr: t.expr } : {}),
        ...(t.format !== undefined ? { format: t.format } : {}),
        ...(p.timeFrom ? { timeFrom: p.timeFrom } : {}),
        ...(p.maxDataPoints ? { maxDataPoints: p.maxDataPoints } : {}),
        shape: shapeOf(p.type, t.format),
      });
    }
  }
  return out;
}

export interface VariableQuery {
  readonly name: string;
  readonly sql: string;
}

/** The ClickHouse queries behind the dashboard's query variables. */
export function variableQueries(d: Dashboard): VariableQuery[] {
  return (d.templating.list ?? [])
    .filter((v) => v.type === 'query' && v.datasource?.type === CLICKHOUSE_TYPE && typeof v.query === 'string')
    .map((v) => ({ name: v.name, sql: v.query as string }));
}

/** The ClickHouse queries behind the dashboard's annotations. */
export function annotationQueries(d: Dashboard): VariableQuery[] {
  return (d.annotations.list ?? [])
    .filter((a) => a.datasource?.type === CLICKHOUSE_TYPE)
    .map((a) => ({ name: a.name, sql: (a.target as unknown as TargetJson | undefined)?.rawSql ?? '' }));
}
