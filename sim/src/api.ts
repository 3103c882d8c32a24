/**
 * An INTERIM read-only HTTP API for `meridian up`, on 127.0.0.1, until @meridian/scheduler exports
 * its own API server: GET /healthz, /api/status (the live status snapshot), /api/decisions (the
 * latest decisions). It carries no controls, so it needs no token; it listens on loopback only.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TableRows } from '@meridian/store';
import type { StatusSnapshot } from './status.js';

export interface StatusApi {
  readonly url: string;
  close(): Promise<void>;
}

export async function startStatusApi(
  port: number,
  snapshot: () => StatusSnapshot,
  decisions: () => readonly TableRows['scheduler_decisions'][],
): Promise<StatusApi> {
  const server: Server = createServer((req, res) => {
    const send = (code: number, body: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return send(405, { error: 'read-only: GET only' });
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return send(200, { ok: true });
    if (path === '/api/status') return send(200, snapshot());
    if (path === '/api/decisions') return send(200, decisions().slice(-100));
    return send(404, { error: `no route ${path}`, routes: ['/healthz', '/api/status', '/api/decisions'] });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${addr.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
