/**
 * A slow-loris client for the servers' abuse tests: it connects, sends request headers announcing a
 * large body, then one byte at a time, and reports how long the server let it keep the socket.
 * Bounded: it gives up (and the test fails) after `deadlineMs`, and stops dripping when closed.
 */
import net from 'node:net';

/** Limits short enough for a test to see each one act, in about a second. */
export const SHORT_LIMITS = {
  requestTimeoutMs: 1_000,
  headersTimeoutMs: 600,
  keepAliveTimeoutMs: 300,
  idleTimeoutMs: 800,
  maxConnections: 8,
} as const;

export interface SlowClientResult {
  /** Milliseconds from connect to the server closing the socket. */
  readonly heldMs: number;
  /** What the server said before closing (e.g. "HTTP/1.1 408 Request Timeout"), if anything. */
  readonly reply: string;
}

export type SlowMode = 'body' | 'headers' | 'silent';

export function slowClient(url: string, mode: SlowMode, deadlineMs: number, dripMs = 100): Promise<SlowClientResult> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let reply = '';
    const socket = net.connect(Number(port), hostname);
    let drip: NodeJS.Timeout | undefined;
    const deadline = setTimeout(() => {
      clearInterval(drip);
      socket.destroy();
      reject(new Error(`${url}: the server kept a ${mode} slow client for ${deadlineMs} ms without closing it`));
    }, deadlineMs);
    socket.on('data', (d: Buffer) => (reply += d.toString('latin1')));
    socket.on('error', () => undefined); // a reset is one way of being cut off
    socket.on('close', () => {
      clearTimeout(deadline);
      clearInterval(drip);
      resolve({ heldMs: Date.now() - started, reply: reply.split('\r\n')[0] ?? '' });
    });
    socket.on('connect', () => {
      if (mode === 'silent') return;
      const head =
        mode === 'body'
          ? 'POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n'
          : 'GET /healthz HTTP/1.1\r\nHost: x\r\n';
      socket.write(head);
      drip = setInterval(() => {
        if (!socket.destroyed) socket.write(mode === 'body' ? 'x' : 'X-Pad: 1\r\n');
      }, dripMs);
    });
  });
}
