/**
 * ClickHouse's HTTP interface for the embedded store, so Grafana's ClickHouse datasource (HTTP
 * protocol), @clickhouse/client and curl can read a store that lives inside a Meridian process.
 * Read-only, one user, password from a 0600 file; on @meridian/runtime's bounded server (request,
 * header and idle timeouts, a connection cap); plain HTTP on loopback by default, TLS when given a
 * certificate and key.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { boundedHttpServer, DEFAULT_LIMITS, type ServerLimits } from '@meridian/runtime';
import { authenticate, credentials, DEFAULT_HTTP_USER, ensurePasswordFile, passwordFileFor } from './auth.js';
import { chooseEncoding, compress, contentType, decodeBody } from './compression.js';
import { ClickHouseHttpError, fromEngine, httpStatusFor } from './errors.js';
import { ReadEngine, type ReadEngineOptions, type ReadResult } from './engine.js';
import { parseHttpQuery, type HttpQuery } from './params.js';

export interface ClickHouseHttpOptions {
  /** The embedded store's directory (already open in this process, or held by it). */
  readonly dataDir: string;
  readonly host?: string;
  /** 8123 by default; 0 for any free port. */
  readonly port?: number;
  readonly user?: string;
  /** Default: `clickhouse-http-password` in the data directory, created 0600 when missing. */
  readonly passwordFile?: string;
  /** PEM files: serve HTTPS instead of HTTP. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  readonly limits?: ServerLimits;
  /** The largest request body (the query), after decompression. */
  readonly maxBodyBytes?: number;
  readonly engine?: Omit<ReadEngineOptions, 'dataDir'>;
}

export interface ClickHouseHttpServer {
  readonly url: string;
  readonly user: string;
  readonly passwordFile: string;
  /** Queries running and waiting now. */
  load(): { running: number; waiting: number; idleSessions: number };
  close(): Promise<void>;
}

export const DEFAULT_HTTP_PORT = 8123;
const DEFAULT_MAX_BODY = 1024 * 1024;
/** Queries can take longer than the API servers' 30 s request window; the engine bounds them itself. */
const HTTP_LIMITS: ServerLimits = { ...DEFAULT_LIMITS, requestTimeoutMs: 120_000 };
const OK = 'Ok.\n';

const NO_HANDLE =
  'There is no handle {path}\n\nUse / or /ping for health checks.\n\nSend queries with POST or GET /?query=...\n';

class BodyTooLarge extends ClickHouseHttpError {}

async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max)
      throw new BodyTooLarge(62, 'SYNTAX_ERROR', `Max query size exceeded: the request body is over ${max} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function summary(r: ReadResult, resultBytes: number): string {
  return JSON.stringify({
    read_rows: String(r.rowsRead),
    read_bytes: String(r.bytesRead),
    written_rows: '0',
    written_bytes: '0',
    total_rows_to_read: '0',
    result_rows: '0',
    result_bytes: String(resultBytes),
    elapsed_ns: String(Math.round(r.elapsedS * 1e9)),
  });
}

function sendError(res: ServerResponse, err: ClickHouseHttpError, queryId: string | undefined, close: boolean): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(httpStatusFor(err.code), {
    'content-type': 'text/plain; charset=UTF-8',
    'x-clickhouse-exception-code': String(err.code),
    ...(queryId ? { 'x-clickhouse-query-id': queryId } : {}),
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(err.text());
}

async function answer(res: ServerResponse, req: IncomingMessage, q: HttpQuery, r: ReadResult): Promise<void> {
  const enc = q.compress ? chooseEncoding(req.headers['accept-encoding']) : undefined;
  const body = enc ? await compress(r.body, enc, q.compressionLevel) : r.body;
  res.writeHead(200, {
    'content-type': contentType(q.format),
    'x-clickhouse-format': q.format,
    'x-clickhouse-query-id': q.queryId,
    'x-clickhouse-summary': summary(r, r.body.length),
    'x-clickhouse-timezone': 'UTC',
    'x-clickhouse-server-display-name': 'meridian-embedded',
    ...(enc ? { 'content-encoding': enc, vary: 'Accept-Encoding' } : {}),
    'content-length': String(body.length),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

export async function startClickHouseHttp(opts: ClickHouseHttpOptions): Promise<ClickHouseHttpServer> {
  const user = opts.user ?? DEFAULT_HTTP_USER;
  const passwordFile = opts.passwordFile ?? passwordFileFor(opts.dataDir);
  const password = ensurePasswordFile(passwordFile);
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const limits = opts.limits ?? HTTP_LIMITS;
  const engine = await ReadEngine.open({ dataDir: opts.dataDir, ...opts.engine });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const plain = (code: number, text: string): void => {
      req.resume();
      res.writeHead(code, { 'content-type': 'text/plain; charset=UTF-8' });
      res.end(method === 'HEAD' ? undefined : text);
    };
    if (url.pathname === '/ping' || url.pathname === '/replicas_status') return plain(200, OK);
    if (url.pathname !== '/') return plain(404, NO_HANDLE.replace('{path}', url.pathname));
    if (method !== 'GET' && method !== 'POST' && method !== 'HEAD') {
      res.setHeader('allow', 'GET, POST, HEAD');
      return plain(405, `Method ${method} is not allowed: send queries with GET or POST\n`);
    }
    if (method !== 'POST' && !url.searchParams.has('query')) return plain(200, OK);
    let queryId = url.searchParams.get('query_id') ?? undefined;
    try {
      authenticate(credentials(req.headers, url.searchParams), user, password);
      const raw = await readBody(req, maxBody);
      const body = decodeBody(raw, req.headers['content-encoding'], maxBody).toString('utf8');
      const q = parseHttpQuery(url.searchParams, body);
      queryId = q.queryId;
      const ac = new AbortController();
      // The client went away before its answer was written: stop the query (see engine.ts).
      res.on('close', () => {
        if (!res.writableFinished) ac.abort();
      });
      const r = await engine.run(q, ac.signal);
      if (!ac.signal.aborted) await answer(res, req, q, r);
    } catch (err) {
      // A body we stopped reading is still arriving: answer, then close the connection.
      const unread = err instanceof BodyTooLarge || !req.readableEnded;
      if (unread) req.resume();
      sendError(res, fromEngine(err), queryId, unread);
    }
  };

  const server = boundedHttpServer((req, res) => {
    handle(req, res).catch((err: unknown) => sendError(res, fromEngine(err), undefined, true));
  }, limits);
  let listener: { listen: typeof server.listen; close: typeof server.close; address: typeof server.address } = server;
  if (opts.tls) {
    // TLS in front of the same bounded HTTP server: each decrypted socket is handed to it.
    const secure = tls.createServer(
      {
        cert: readFileSync(opts.tls.certFile),
        key: readFileSync(opts.tls.keyFile),
        handshakeTimeout: limits.headersTimeoutMs,
      },
      (socket) => server.emit('connection', socket),
    );
    secure.maxConnections = limits.maxConnections;
    listener = secure as unknown as typeof listener;
  }
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    (listener as typeof server).once('error', reject);
    listener.listen(opts.port ?? DEFAULT_HTTP_PORT, host, () => resolve());
  }).catch((err: unknown) => {
    engine.close();
    throw err;
  });
  const addr = listener.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `${opts.tls ? 'https' : 'http'}://${shownHost}:${addr.port}`,
    user,
    passwordFile,
    load: () => engine.load(),
    close: async () => {
      engine.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
}
