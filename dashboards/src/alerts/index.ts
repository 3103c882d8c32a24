export { RULES, PROM_RULES, RTT_MARGIN_MS, RTT_MARGIN_FRACTION, STALE_AFTER_S } from './rules.js';
export type { AlertRule, PromRule, FiresIn, Severity } from './types.js';
export {
  ALERT_DATASOURCE_UID,
  ALERT_FOLDER,
  ALERT_LABEL,
  alertFiles,
  grafanaAlertingDoc,
  grafanaRule,
  renderGrafanaAlerting,
  renderPrometheusRules,
} from './grafana.js';
export { toYaml } from './yaml.js';
export type { Yaml } from './yaml.js';
