/**
 * The host's stand-in for Grafana's alerting: GET /api/prometheus/grafana/api/v1/alerts answered by
 * evaluating the alert rules Meridian provisions (@meridian/dashboards RULES) on the store now, the
 * way Grafana's ruler runs them: the query over [now − window, now] with the data source backend's
 * macros, each row an instance whose `value` is compared with the threshold. `for` is not waited
 * (the host has no evaluation history): a firing instance is reported as Alerting at once.
 */
import { ALERT_LABEL, applyBackendMacros, RULES, type AlertRule } from '@meridian/dashboards';
import type { Store } from '@meridian/store';

interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'Alerting';
  activeAt: string;
  value: string;
}

/** Grafana's annotation templating, for the two forms the rules use. */
function render(text: string, labels: Record<string, string>, value: number): string {
  return text
    .replace(/\{\{ \$labels\.(\w+) \}\}/g, (_m, k: string) => labels[k] ?? '')
    .replace(/\{\{ \$values\.A\.Value \}\}/g, String(value));
}

async function firing(store: Store, rule: AlertRule, nowMs: number): Promise<PromAlert[]> {
  const sql = applyBackendMacros(rule.sql, { from: nowMs - rule.windowS * 1000, to: nowMs, intervalMs: 1000 });
  const rows = await store.query<Record<string, unknown>>(sql);
  return rows
    .filter((r) => Number(r.value) > rule.threshold)
    .map((r) => {
      const labels: Record<string, string> = {};
      for (const [k, v] of Object.entries(r)) if (k !== 'value') labels[k] = String(v);
      const value = Number(r.value);
      return {
        labels: { alertname: rule.title, ...ALERT_LABEL, severity: rule.severity, ...labels },
        annotations: {
          summary: render(rule.summary, labels, value),
          description: render(rule.description, labels, value),
        },
        state: 'Alerting' as const,
        activeAt: new Date(nowMs).toISOString(),
        value: String(value),
      };
    });
}

export async function grafanaAlerts(store: Store, nowMs = Date.now()) {
  const alerts: PromAlert[] = [];
  for (const rule of RULES) alerts.push(...(await firing(store, rule, nowMs)));
  return { status: 'success', data: { alerts } };
}
