/**
 * The HTTP side of the browser host, standing in for Grafana's server on 127.0.0.1:
 *  - serves the host page, the host bundle (Grafana's shared modules) and the BUILT plugin under
 *    /public/plugins/meridian-fabric-app/ as Grafana does;
 *  - answers POST /api/ds/query like grafana-clickhouse-datasource's backend: each query's macros are
 *    expanded (@meridian/dashboards expandMacros) and its SQL runs on a real embedded store, and the
 *    rows go back as data frames;
 *  - proxies /api/plugin-proxy/meridian-fabric-app/* through the routes in dist/plugin.json: first
 *    matching path and method, the route's reqAction checked against the user's actions, the URL and
 *    headers templated from jsonData and secureJsonData, then forwarded to the real scheduler API.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { expandMacros } from '@meridian/dashboards';
import type { Store } from '@meridian/store';

export const PLUGIN_ID = 'meridian-fabric-app';

interface Route {
  path: string;
  method?: string;
  url: string;
  reqAction?: string;
  reqRole?: string;
  headers?: Array<{ name: string; content: string }>;
}

export interface HostServerOptions {
  store: Store;
  pluginDist: string;
  hostBundleDir: string;
  jsonData: Record<string, string>;
  secureJsonData: Record<string, string>;
  /** RBAC actions of each role the test signs in as (the `role` cookie picks one). */
  roles: Record<string, string[]>;
}

export interface HostServer {
  url: string;
  /** SQL each /api/ds/query refId ran last, after macro expansion, with its time in ms. */
  lastQueries: Map<string, { sql: string; ms: number }>;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
  '.html': 'text/html',
};
const DATETIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/;
const NUMERIC = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i;

function hostPage(options: HostServerOptions, role: string, theme: string): string {
  const host = { theme, permissions: options.roles[role] ?? [], jsonData: options.jsonData };
  return `<!doctype html><html><head><meta charset="utf-8"><title>Meridian host</title>
<script>window.__HOST__ = ${JSON.stringify(host)};</script></head>
<body><div id="root"></div><script src="/host/host.js"></script></body></html>`;
}

/** Rows to Grafana's wire frame: DateTime text becomes epoch ms (type time), quoted 64-bit ints numbers. */
export function rowsToFrame(rows: Record<string, unknown>[]) {
  const names = rows.length ? Object.keys(rows[0]!) : [];
  const fields = names.map((name) => {
    const sample = rows.find((r) => r[name] !== null && r[name] !== undefined)?.[name];
    const isTime = typeof sample === 'string' && DATETIME.test(sample);
    const isNum = typeof sample === 'number' || (typeof sample === 'string' && NUMERIC.test(sample) && !isTime);
    return { name, type: isTime ? 'time' : isNum ? 'number' : 'string' };
  });
  const values = fields.map((f) =>
    rows.map((r) => {
      const v = r[f.name];
      if (v === null || v === undefined) return null;
      if (f.type === 'time') return Date.parse(`${String(v).replace(' ', 'T')}Z`);
      if (f.type === 'number') return Number(v);
      return v;
    }),
  );
  return { schema: { fields }, data: { values } };
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

export async function startHostServer(options: HostServerOptions): Promise<HostServer> {
  const pluginJson = JSON.parse(fs.readFileSync(path.join(options.pluginDist, 'plugin.json'), 'utf8')) as {
    routes: Route[];
  };
  const lastQueries = new Map<string, { sql: string; ms: number }>();
  const template = (s: string) =>
    s
      .replace(/\{\{ \.JsonData\.(\w+) \}\}/g, (_m, k: string) => options.jsonData[k] ?? '')
      .replace(/\{\{ \.SecureJsonData\.(\w+) \}\}/g, (_m, k: string) => options.secureJsonData[k] ?? '');

  const dsQuery = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const q = JSON.parse(await body(req)) as {
      from: string;
      to: string;
      queries: Array<{ refId: string; rawSql: string; intervalMs: number; datasource: { uid: string } }>;
    };
    const from = Number(q.from);
    const to = Number(q.to);
    const results: Record<string, unknown> = {};
    let failed = false;
    for (const query of q.queries) {
      if (query.datasource.uid !== options.jsonData.clickhouseUid) {
        results[query.refId] = { status: 404, error: `data source ${query.datasource.uid} not found` };
        failed = true;
        continue;
      }
      try {
        const sql = expandMacros(query.rawSql, { from, to, intervalMs: query.intervalMs });
        const t = performance.now();
        const rows = await options.store.query(sql);
        lastQueries.set(query.refId, { sql, ms: performance.now() - t });
        results[query.refId] = { status: 200, frames: [rowsToFrame(rows)] };
      } catch (e) {
        results[query.refId] = { status: 500, error: e instanceof Error ? e.message : String(e) };
        failed = true;
        if (process.env.MERIDIAN_HOST_DEBUG) console.error(`ds/query ${query.refId}: ${String(e)}\n${query.rawSql}`);
      }
    }
    send(res, failed ? 400 : 200, { results });
  };

  const proxy = async (req: http.IncomingMessage, res: http.ServerResponse, subPath: string) => {
    const method = req.method ?? 'GET';
    const route = pluginJson.routes.find(
      (r) => subPath.startsWith(r.path) && (!r.method || r.method === '*' || r.method.split(',').includes(method)),
    );
    if (!route) return send(res, 404, { message: `no plugin route for ${method} ${subPath}` });
    const actions = options.roles[cookie(req, 'role') ?? 'viewer'] ?? [];
    if (route.reqAction && !actions.includes(route.reqAction)) return send(res, 403, { message: 'Forbidden' });
    const target = template(route.url) + subPath.slice(route.path.length);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    for (const h of route.headers ?? []) headers[h.name] = template(h.content);
    const upstream = await fetch(target, { method, headers, body: method === 'GET' ? undefined : await body(req) });
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

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://host');
    const p = url.pathname;
    const handle = async () => {
      if (p === '/api/ds/query' && req.method === 'POST') return dsQuery(req, res);
      const proxyPrefix = `/api/plugin-proxy/${PLUGIN_ID}/`;
      if (p.startsWith(proxyPrefix)) return proxy(req, res, p.slice(proxyPrefix.length) + url.search);
      if (p.startsWith(`/public/plugins/${PLUGIN_ID}/`))
        return serveFile(res, options.pluginDist, p.slice(`/public/plugins/${PLUGIN_ID}/`.length));
      if (p.startsWith('/host/')) return serveFile(res, options.hostBundleDir, p.slice('/host/'.length));
      if (p.startsWith(`/a/${PLUGIN_ID}`) || p === `/plugins/${PLUGIN_ID}`) {
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end(hostPage(options, cookie(req, 'role') ?? 'viewer', cookie(req, 'theme') ?? 'dark'));
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
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
