/** Non-secret settings, stored by Grafana in the app's jsonData. */
export interface AppJsonData {
  /** uid of the grafana-clickhouse-datasource instance holding Meridian's tables. */
  clickhouseUid?: string;
  /** Base URL of `meridian schedule`'s HTTP API, as Grafana's server reaches it (the proxy calls it). */
  schedulerUrl?: string;
}

/** Secret settings, write-only from the browser; Grafana injects them into the plugin routes. */
export interface AppSecureJsonData {
  schedulerToken?: string;
}
