import {
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
  type DataSourceRef,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { CLICKHOUSE_TYPE, clickhouseRef, DS_VAR } from './clickhouse.js';

/** The app plugin that bundles these dashboards, and its pages (grafana-plugin/ owns them). */
export const APP_ID = 'meridian-fabric-app';
export const APP_PAGES = ['overview', 'regions', 'links', 'scheduler'] as const;
export type AppPage = (typeof APP_PAGES)[number];

export function appPageUrl(page: AppPage): string {
  return `/a/${APP_ID}/${page}`;
}

/** Every Meridian dashboard carries this tag; the dashboards dropdown lists them by it. */
export const TAG = 'meridian';

/** Dashboard uids, stable so links and provisioning survive regeneration. */
export const UIDS = {
  fleet: 'meridian-fleet',
  gpu: 'meridian-gpu-health',
  links: 'meridian-fiber-links',
  scheduler: 'meridian-scheduler',
  collector: 'meridian-collector',
} as const;
export type BoardKey = keyof typeof UIDS;

export function dashboardUrl(key: BoardKey, params = ''): string {
  return `/d/${UIDS[key]}${params ? `?${params}` : ''}`;
}

/** A new dashboard with what every Meridian dashboard shares: tags, UTC, crosshair, links, refresh. */
export function baseDashboard(key: BoardKey, title: string, description: string): DashboardBuilder {
  const b = new DashboardBuilder(title)
    .uid(UIDS[key])
    .description(description)
    .tags([TAG])
    .timezone('utc')
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .refresh('30s')
    .time({ from: 'now-6h', to: 'now' })
    .link(
      new DashboardLinkBuilder('Meridian dashboards')
        .type(DashboardLinkType.Dashboards)
        .tags([TAG])
        .asDropdown(true)
        .includeVars(false)
        .keepTime(true),
    );
  for (const page of APP_PAGES) {
    b.link(
      new DashboardLinkBuilder(`App: ${page}`)
        .type(DashboardLinkType.Link)
        .url(appPageUrl(page))
        .icon('apps')
        .tooltip(`Open the Meridian app's ${page} page`)
        .keepTime(true),
    );
  }
  return b;
}

/** The data-source variable: the JSON never names an installation's ClickHouse data source uid. */
export function clickhouseVariable(): DatasourceVariableBuilder {
  return new DatasourceVariableBuilder(DS_VAR).label('ClickHouse').type(CLICKHOUSE_TYPE);
}

/**
 * A multi-value query variable with All. Multi-value so the data source always formats the value as a
 * quoted list (a single-select value would be inserted bare), and All so `$__conditionalAll` can drop
 * the filter entirely instead of listing every value.
 */
export function queryVariable(name: string, label: string, sql: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(clickhouseRef as DataSourceRef)
    .query(sql)
    .definition(sql)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .current({ selected: true, text: ['All'], value: ['$__all'] });
}
