import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import * as fx from './fixtures';
import { GRAFANA_URL } from './runtimeState';
import type { Row } from '../data/dsQuery';

const PROXY = `${GRAFANA_URL}/api/plugin-proxy/meridian-fabric-app`;

interface DsQueryBody {
  queries: Array<{ refId: string; rawSql: string; datasource: { uid: string } }>;
}

/** The SQL each /api/ds/query refId received in the last request, for assertions. */
export const seenSql: Record<string, string> = {};

/** Answers by refId: the plugin names each query after what it loads. */
export function dsAnswer(tables: Record<string, Row[]>) {
  return http.post(`${GRAFANA_URL}/api/ds/query`, async ({ request }) => {
    const body = (await request.json()) as DsQueryBody;
    const results: Record<string, unknown> = {};
    for (const q of body.queries) {
      seenSql[q.refId] = q.rawSql;
      results[q.refId] = { status: 200, frames: [fx.frame(tables[q.refId] ?? [])] };
    }
    return HttpResponse.json({ results });
  });
}

export const defaultTables: Record<string, Row[]> = {
  regions: fx.regions,
  links: fx.links,
  topology: fx.topology,
  hosts: fx.hosts,
  gpus: fx.hostGpus,
  util_gpu: fx.series('util_gpu', [88, 91, 93, 95]),
  temp_gpu: fx.series('temp_gpu', [78, 80, 84, 86]),
  // SW power cap (0x4) and SW thermal slowdown (0x20) seen in the range.
  throttle_reasons: [{ reasons: 0x24 }],
  history: fx
    .series('rtt_avg', [95, 96, 97, 96])
    .map((r, i) => ({ ...r, loss_pct: 1.5 + i * 0.1, optic_rx_power: -3.2 - i * 0.1 })),
};

export const handlers = [
  dsAnswer(defaultTables),
  http.get(`${PROXY}/api/v1/state`, () => HttpResponse.json(fx.schedulerState)),
  http.get(`${PROXY}/api/v1/plan`, () => HttpResponse.json(fx.planResponse)),
  http.get(`${PROXY}/api/v1/decisions`, () =>
    HttpResponse.json({ decisions: fx.decisions, total: fx.decisions.length }),
  ),
  http.get(`${PROXY}/api/v1/alerts`, () => HttpResponse.json({ alerts: fx.alerts })),
  http.get(`${GRAFANA_URL}/api/prometheus/grafana/api/v1/alerts`, () => HttpResponse.json(fx.grafanaAlerts)),
];

export const server = setupServer(...handlers);
export { http, HttpResponse, PROXY };
