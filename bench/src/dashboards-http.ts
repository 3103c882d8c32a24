/**
 * bench/dashboards through the embedded store's ClickHouse HTTP endpoint (what Grafana's ClickHouse
 * datasource reaches): the same panel SQL POSTed as the datasource sends it, the answer read whole,
 * so its median can be set beside the in-process one (target: at most 10 % over at the median).
 */
import { readFileSync } from 'node:fs';
import { startClickHouseHttp } from '@meridian/store';

export interface EndpointTimer {
  readonly url: string;
  time(sql: string): Promise<{ ms: number; rows: number }>;
  close(): Promise<void>;
}

export async function endpointTimer(dataDir: string): Promise<EndpointTimer> {
  const http = await startClickHouseHttp({ dataDir, port: 0 });
  const password = readFileSync(http.passwordFile, 'utf8').trim();
  const headers = { 'X-ClickHouse-User': http.user, 'X-ClickHouse-Key': password };
  return {
    url: http.url,
    time: async (sql) => {
      const t0 = performance.now();
      const res = await fetch(`${http.url}/?default_format=JSONCompactEachRow`, { method: 'POST', headers, body: sql });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`endpoint answered ${res.status}: ${text.slice(0, 300)}`);
      const rows = text
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as unknown[]);
      return { ms: performance.now() - t0, rows: rows.length };
    },
    close: () => http.close(),
  };
}
