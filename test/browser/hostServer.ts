/**
 * The HTTP side of the browser host, standing in for Grafana's server on 127.0.0.1, following
 * Grafana's and grafana-clickhouse-datasource's source wherever the plugin depends on it:
 *  - serves the host page, the host bundle (Grafana's shared modules) and the BUILT plugin under
 *    /public/plugins/meridian-fabric-app/ as Grafana does; a page whose plugin.json include names an
 *    `action` the user lacks is refused, as Grafana's nav does;
 *  - POST /api/ds/query: a data source uid that does not exist answers 404 with no `results`; each
 *    query's SQL gets only the data source backend's macros ($__timeFilter …: the plugin calls
 *    /api/ds/query directly, so nothing in Grafana's frontend expands `$var` or `$__conditionalAll`),
 *    runs on a real embedded store, and goes back by `format` as the backend sends it (hostFrames.ts);
 *  - /api/plugin-proxy/meridian-fabric-app/*: the route picked by Grafana's rule (grafanaProxy.ts:
 *    exact unless the path ends with `*`, one method per route), its reqAction or reqRole checked, the
 *    URL and headers templated from jsonData and secureJsonData, cookies stripped, then forwarded; the
 *    upstream's answer passed through (a 401 too, as Grafana's proxy does), Set-Cookie dropped; no
 *    connection answers 502 and a timeout 504, both with an empty body (proxyutil's errorHandler);
 *  - the calls Grafana's frontend makes around the plugin: /api/login/ping and the session rotation
 *    (counted: the plugin must not trigger them), the app settings POST, and a data source's health;
 *  - Grafana's alerting API, with Meridian's provisioned alert rules evaluated on the store (hostAlerts.ts).
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { applyBackendMacros } from '@meridian/dashboards';
import type { Store } from '@meridian/store';
import { matchPluginRoute, routeAllows, type PluginRoute } from '../../grafana-plugin/src/test/grafanaProxy.js';
import { grafanaAlerts } from './hostAlerts.js';
import { framesFor } from './hostFrames.js';

export const PLUGIN_ID = 'meridian-fabric-app';

export interface HostServerOptions {
  store: Store;
  pluginDist: string;
  hostBundleDir: string;
  jsonData: Record<string, string>;
  secureJsonData: Record<string, string>;
  /** RBAC actions of each role the test signs in as (the `role` cookie picks one). */
  roles: Record<string, string[]>;
  /** The uid of the one ClickHouse data source this Grafana has. Default meridian-clickhouse. */
  datasourceUid?: string;
  /** Grafana's data proxy timeout ([dataproxy] timeout, 30 s by default). */
  proxyTimeoutMs?: number;
  /** When the alert rules are evaluated (epoch ms): Grafana's ruler runs every minute; default now. */
  alertClock?: () => number;
}

export interface HostServer {
  url: string;
  /** SQL each /api/ds/query refId ran last, after macro expansion, with its time in ms. */
  lastQueries: Map<string, { sql: string; ms: number }>;
  /** Session checks Grafana's frontend made (login ping, token rotation): a 401 it took for the user's. */
  sessionChecks: () => number;
  /** Settings the app's config page saved. */
  savedSettings: unknown[];
  close(): Promise<void>;
}

interface PluginJson {
  routes: PluginRoute[];
  includes: Array<{ type: string; path: string; action?: string; role?: string }>;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
  '.html': 'text/html',
};

const ROLE_NAMES: Record<string, string> = { viewer: 'Viewer', operator: 'Editor', admin: 'Admin' };

function hostPage(options: HostServerOptions, role: string, theme: string, dsUid: string): string {
  const host = {
    theme,
    permissions: options.roles[role] ?? [],
    jsonData: options.jsonData,
    datasources: [{ uid: dsUid, name: 'Meridian ClickHouse', type: 'grafana-clickhouse-datasource' }],
  };
  return `<!doctype html><html><head><meta charset="utf-8"><title>Meridian host</title>
<script>window.__HOST__ = ${JSON.stringify(host)};</script></head>
<body><div id="root"></div><script src="/host/host.js"></script></body></html>`;
}

function cookie(req: http.IncomingMessage, name: string): string | undefined {
  return (req.headers.cookie ?? '')
    .split(';')
    .map((c) => c.trim().split('='))
    .find(([k]) => k === name)?.[1];
}

async function body(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: http.ServerResponse, status: number, payload: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(payload));
}

/** proxyutil's errorHandler: a status and nothing else. */
function bare(res: http.ServerResponse, status: number) {
  res.writeHead(status).end();
}

export async function startHostServer(options: HostServerOptions): Promise<HostServer> {
  const pluginJson = JSON.parse(fs.readFileSync(path.join(options.pluginDist, 'plugin.json'), 'utf8')) as PluginJson;
  const dsUid = options.datasourceUid ?? 'meridian-clickhouse';
  const lastQueries = new Map<string, { sql: string; ms: number }>();
  const savedSettings: unknown[] = [];
  let sessionChecks = 0;
  const template = (s: string) =>
    s
      .replace(/\{\{ \.JsonData\.(\w+) \}\}/g, (_m, k: string) => options.jsonData[k] ?? '')
      .replace(/\{\{ \.SecureJsonData\.(\w+) \}\}/g, (_m, k: string) => options.secureJsonData[k] ?? '');
  const user = (req: http.IncomingMessage) => {
    const role = cookie(req, 'role') ?? 'viewer';
    return { key: role, role: ROLE_NAMES[role] ?? 'Viewer', actions: options.roles[role] ?? [] };
  };

  const dsQuery = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const q = JSON.parse(await body(req)) as {
      from: string;
      to: string;
      queries: Array<{
        refId: string;
        rawSql: string;
        format?: number;
        intervalMs: number;
        datasource: { uid: string };
      }>;
    };
    // Grafana resolves every query's data source first: an unknown uid fails the request, with no results.
    if (q.queries.some((x) => x.datasource?.uid !== dsUid))
      return send(res, 404, { message: 'Data source not found', traceID: '' });
    const from = Number(q.from);
    const to = Number(q.to);
    const results: Record<string, unknown> = {};
    let failed = false;
    for (const query of q.queries) {
      try {
        const sql = applyBackendMacros(query.rawSql, { from, to, intervalMs: query.intervalMs });
        const t = performance.now();
        const rows = await options.store.query<Record<string, unknown>>(sql);
        lastQueries.set(query.refId, { sql, ms: performance.now() - t });
        results[query.refId] = { status: 200, frames: framesFor(rows, query.format ?? 1) };
      } catch (e) {
        results[query.refId] = { status: 400, error: e instanceof Error ? e.message : String(e) };
        failed = true;
        if (process.env.MERIDIAN_HOST_DEBUG) console.error(`ds/query ${query.refId}: ${String(e)}\n${query.rawSql}`);
      }
    }
    send(res, failed ? 400 : 200, { results });
  };

  const proxy = async (req: http.IncomingMessage, res: http.ServerResponse, subPath: string, search: string) => {
    const method = req.method ?? 'GET';
    const m = matchPluginRoute(pluginJson.routes, method, subPath);
    if (!m) return send(res, 404, { message: 'plugin route match not found' });
    if (!routeAllows(m.route, user(req))) return send(res, 403, { message: 'plugin proxy route access denied' });
    const target = `${template(m.route.url ?? '')}${m.rest ? `/${m.rest}` : ''}${search}`;
    const headers: Record<string, string> = { 'content-type': req.headers['content-type'] ?? 'application/json' };
    for (const h of m.route.headers ?? []) headers[h.name] = template(h.content);
    let upstream: Response;
    try {
      upstream = await fetch(target, {
        method,
        headers,
        body: method === 'GET' ? undefined : await body(req),
        signal: AbortSignal.timeout(options.proxyTimeoutMs ?? 30_000),
      });
    } catch (e) {
      const err = e as { name?: string; cause?: { code?: string } };
      return bare(res, err.name === 'TimeoutError' || err.cause?.code === 'UND_ERR_CONNECT_TIMEOUT' ? 504 : 502);
    }
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  };

  const serveFile = (res: http.ServerResponse, root: string, rel: string) => {
    const file = path.resolve(root, rel);
    if (!file.startsWith(path.resolve(root)) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  };

  /** A page the include's `action` hides from this user: Grafana shows no page, only an error. */
  const pageAllowed = (req: http.IncomingMessage, p: string) => {
    const include = pluginJson.includes.find(
      (i) => i.type === 'page' && i.path.replace('%PLUGIN_ID%', PLUGIN_ID).split('?')[0] === p.replace(/\/$/, ''),
    );
    return !include?.action || user(req).actions.includes(include.action);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://host');
    const p = url.pathname;
    const handle = async () => {
      if (p === '/api/ds/query' && req.method === 'POST') return dsQuery(req, res);
      const proxyPrefix = `/api/plugin-proxy/${PLUGIN_ID}/`;
      if (p.startsWith(proxyPrefix)) return proxy(req, res, p.slice(proxyPrefix.length), url.search);
      if (p === '/api/login/ping' || p === '/api/user/auth-tokens/rotate') {
        sessionChecks++;
        return send(res, 200, { message: 'Logged in' });
      }
      if (p === '/api/prometheus/grafana/api/v1/alerts')
        return send(res, 200, await grafanaAlerts(options.store, options.alertClock?.()));
      if (p === `/api/plugins/${PLUGIN_ID}/settings` && req.method === 'POST') {
        savedSettings.push(JSON.parse(await body(req)) as unknown);
        return send(res, 200, { message: 'Plugin settings updated' });
      }
      const health = /^\/api\/datasources\/uid\/([^/]+)\/health$/.exec(p);
      if (health) {
        if (health[1] !== dsUid) return send(res, 404, { message: 'Data source not found' });
        const ok = await options.store.query('SELECT 1 AS ok').then(
          () => true,
          () => false,
        );
        return send(res, ok ? 200 : 400, {
          status: ok ? 'OK' : 'ERROR',
          message: ok ? 'Data source is working' : 'failed',
        });
      }
      if (p.startsWith(`/public/plugins/${PLUGIN_ID}/`))
        return serveFile(res, options.pluginDist, p.slice(`/public/plugins/${PLUGIN_ID}/`.length));
      if (p.startsWith('/host/')) return serveFile(res, options.hostBundleDir, p.slice('/host/'.length));
      if (p.startsWith(`/a/${PLUGIN_ID}`) || p === `/plugins/${PLUGIN_ID}`) {
        if (!pageAllowed(req, p)) {
          res.writeHead(403, { 'content-type': 'text/html' });
          return res.end('<!doctype html><body>Access denied: you do not have permission to see this page</body>');
        }
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end(hostPage(options, cookie(req, 'role') ?? 'viewer', cookie(req, 'theme') ?? 'dark', dsUid));
      }
      res.writeHead(404).end();
    };
    handle().catch((e: unknown) => send(res, 500, { message: e instanceof Error ? e.message : String(e) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${addr.port}`,
    lastQueries,
    sessionChecks: () => sessionChecks,
    savedSettings,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
