/**
 * @meridian/dashboards: Grafana dashboards for the ClickHouse data source, generated from the metric
 * catalog with @grafana/grafana-foundation-sdk, plus the macro expander that runs their queries the
 * way Grafana would.
 */
export { buildDashboards, renderDashboardJson, panelQueries, variableQueries, annotationQueries } from './generate.js';
export type { GeneratedDashboard, PanelQuery, PanelShape, VariableQuery } from './generate.js';
export { expandMacros, applyConditionalAll, replaceVariables, applyBackendMacros, ALL } from './macros.js';
export type { ExpandOptions, VariableValue } from './macros.js';
export { calculateIntervalMs, roundInterval, intervalToMs } from './interval.js';
export { MAX_DATA_POINTS, DETAIL_POLICY, FLEET_POLICY, SUMMARY_POLICY, resolutionFor, tablesRead } from './rollup.js';
export type { RollupPolicy } from './rollup.js';
export { grafanaUnit } from './units.js';
export { CLICKHOUSE_TYPE, PROMETHEUS_TYPE, DS_VAR, PROM_VAR, Format } from './clickhouse.js';
export type { ClickHouseQuery } from './clickhouse.js';
export { APP_ID, APP_PAGES, UIDS, appPageUrl } from './common.js';
export { MOVE_ACTION, REJECT_ACTION } from './boards/scheduler.js';
export {
  RULES,
  PROM_RULES,
  ALERT_DATASOURCE_UID,
  ALERT_LABEL,
  alertFiles,
  grafanaAlertingDoc,
  renderGrafanaAlerting,
  renderPrometheusRules,
  toYaml,
} from './alerts/index.js';
export type { AlertRule, PromRule, Yaml } from './alerts/index.js';
