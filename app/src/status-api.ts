/**
 * The app's own read-only status endpoint, on 127.0.0.1: GET /healthz (ok, or degraded with the
 * reason, e.g. a failing store write), /api/status (the live status snapshot), /api/decisions (the
 * latest decisions). It is the one /healthz `meridian up` advertises: the scheduler's API cannot know
 * that the twin's rows stopped reaching the store. No controls, so no token; loopback only; slow and
 * idle clients are cut off (@meridian/runtime's bounded server).
 */
import type { Server } from 'node:http';
import { boundedHttpServer, DEFAULT_LIMITS, type ServerLimits } from '@meridian/runtime';
import type { AddressInfo } from 'node:net';
import type { TableRows } from '@meridian/store';
import type { StatusSnapshot } from './status.js';

export interface StatusApi {
  readonly url: string;
  close(): Promise<void>;
}

export interface StatusSources {
  readonly snapshot: () => StatusSnapshot;
  readonly decisions: () => readonly TableRows['scheduler_decisions'][];
  /** Why the run is degraded, or undefined when it is healthy. */
  readonly degraded: () => string | undefined;
}

export async function startStatusApi(
  port: number,
  src: StatusSources,
  limits: ServerLimits = DEFAULT_LIMITS,
): Promise<StatusApi> {
  const server: Server = boundedHttpServer((req, res) => {
    const send = (code: number, body: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return send(405, { error: 'read-only: GET only' });
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      const reason = src.degraded();
      // 503 so that a probe that only reads the status code sees the trouble too.
      return reason ? send(503, { status: 'degraded', reason }) : send(200, { status: 'ok' });
    }
    if (path === '/api/status') return send(200, src.snapshot());
    if (path === '/api/decisions') return send(200, src.decisions().slice(-100));
    return send(404, { error: `no route ${path}`, routes: ['/healthz', '/api/status', '/api/decisions'] });
  }, limits);
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
