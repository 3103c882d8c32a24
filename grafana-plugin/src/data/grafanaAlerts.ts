import { getBackendSrv } from '@grafana/runtime';
import { lastValueFrom } from 'rxjs';
import { toDataError } from './errors';

/**
 * Grafana's own alerting: the Meridian alert rules provisioned from dashboards/alerting/ (labelled
 * app=meridian) as they fire. Read from Grafana's Prometheus-compatible endpoint for Grafana-managed
 * rules, which any user who may read alert rules (Viewer by default) can call: a Grafana API, not a
 * plugin route.
 */
export const GRAFANA_ALERTS_URL = '/api/prometheus/grafana/api/v1/alerts';
/** The label every shipped rule carries (dashboards/src/alerts/grafana.ts ALERT_LABEL). */
export const MERIDIAN_ALERT_LABEL = { name: 'app', value: 'meridian' } as const;

export interface GrafanaAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Alerting (firing), Pending, Normal, NoData, Error. */
  state: string;
  activeAt?: string;
  value?: string;
}

interface AlertsResponse {
  status?: string;
  data?: { alerts?: GrafanaAlert[] };
}

/** Firing Meridian alerts, the most severe first. */
export async function firingMeridianAlerts(): Promise<GrafanaAlert[]> {
  let res: AlertsResponse;
  try {
    const r = await lastValueFrom(
      getBackendSrv().fetch<AlertsResponse>({ url: GRAFANA_ALERTS_URL, method: 'GET', showErrorAlert: false }),
    );
    res = r.data;
  } catch (e) {
    throw toDataError(e, 'Grafana alerting');
  }
  const rank = (a: GrafanaAlert) => (a.labels.severity === 'critical' ? 0 : 1);
  return (res.data?.alerts ?? [])
    .filter((a) => a.labels?.[MERIDIAN_ALERT_LABEL.name] === MERIDIAN_ALERT_LABEL.value)
    .filter((a) => /^(alerting|firing)$/i.test(a.state))
    .sort((a, b) => rank(a) - rank(b) || (a.activeAt ?? '').localeCompare(b.activeAt ?? ''));
}
