/**
 * A node:http server that cuts off slow and idle clients, for every server Meridian runs (the
 * scheduler's API, the collector's /metrics, the all-in-one's status endpoint): node:http by default
 * waits 5 minutes for a request and forever on an idle socket, so a client that sends a large
 * Content-Length and then a byte every few seconds, or just connects, can hold a socket without
 * ever authenticating; a few thousand of them exhaust file descriptors.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** The node:http server's limits (config `api.timeouts` and `api.maxConnections`), in milliseconds. */
export interface ServerLimits {
  /** The whole request (headers and body) must arrive within this long, else 408 and the socket closes. */
  readonly requestTimeoutMs: number;
  /** The headers must arrive within this long (at most requestTimeoutMs). */
  readonly headersTimeoutMs: number;
  /** An idle keep-alive connection closes after this long. */
  readonly keepAliveTimeoutMs: number;
  /** A socket with no traffic either way closes after this long. */
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
}

/** Defaults for a server that is not configured otherwise. */
export const DEFAULT_LIMITS: ServerLimits = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 60_000,
  maxConnections: 256,
};

/**
 * node:http checks the request and headers timeouts only every `connectionsCheckingInterval`
 * (30 s by default), so a timeout shorter than that would be enforced late: check four times per
 * shortest timeout, at most every second and at least every 100 ms.
 */
function checkingIntervalMs(l: ServerLimits): number {
  return Math.max(100, Math.min(1000, Math.floor(Math.min(l.headersTimeoutMs, l.requestTimeoutMs) / 4)));
}

export function boundedHttpServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  l: ServerLimits,
): Server<typeof IncomingMessage, typeof ServerResponse> {
  const server = createServer(
    {
      requestTimeout: l.requestTimeoutMs,
      headersTimeout: l.headersTimeoutMs,
      keepAliveTimeout: l.keepAliveTimeoutMs,
      connectionsCheckingInterval: checkingIntervalMs(l),
    },
    handler,
  );
  // Idle sockets (no bytes either way) are destroyed; node:http's default is never.
  server.setTimeout(l.idleTimeoutMs, (socket) => socket.destroy());
  server.maxConnections = l.maxConnections;
  return server;
}
