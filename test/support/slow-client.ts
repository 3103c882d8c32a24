/**
 * A slow-loris client for the servers' abuse tests: it connects, writes `head`, then drips a byte
 * every `everyMs` until the server closes the socket, and reports how long the server let it hold
 * the socket and what it said first. Bounded: it gives up (and the test fails) after `deadlineMs`.
 */
import { connect, type Socket } from 'node:net';

/** Limits short enough for a test to see each one act, in about a second. */
export const SHORT_LIMITS = {
  requestTimeoutMs: 1_000,
  headersTimeoutMs: 600,
  keepAliveTimeoutMs: 300,
  idleTimeoutMs: 800,
  maxConnections: 8,
} as const;

export interface Closed {
  /** Milliseconds from the connection to the server's close. */
  readonly afterMs: number;
  /** Everything the server sent before it closed (e.g. "HTTP/1.1 408 Request Timeout…"). */
  readonly received: string;
}

export interface Address {
  readonly host: string;
  readonly port: number;
}

export function hold(addr: Address, head: string, everyMs = 0, drip = 'x', deadlineMs = 20_000): Promise<Closed> {
  return new Promise((resolve, reject) => {
    const sock: Socket = connect(addr.port, addr.host);
    let received = '';
    let t0 = 0;
    let timer: NodeJS.Timeout | undefined;
    sock.on('data', (d: Buffer) => (received += d.toString('latin1')));
    sock.on('error', () => undefined); // a reset is one way of being cut off; the close event follows
    sock.on('connect', () => {
      t0 = performance.now();
      if (head) sock.write(head);
      // The slow client: a little at a time, never enough to finish.
      if (everyMs > 0) timer = setInterval(() => !sock.destroyed && sock.write(drip), everyMs);
    });
    // An absolute deadline, not the socket's idle timeout, which every dripped byte would reset.
    const deadline = setTimeout(() => {
      clearInterval(timer);
      sock.destroy();
      reject(new Error(`${addr.host}:${addr.port}: the server kept a slow client for ${deadlineMs} ms`));
    }, deadlineMs);
    sock.on('close', () => {
      clearTimeout(deadline);
      clearInterval(timer);
      resolve({ afterMs: performance.now() - t0, received });
    });
  });
}

export type SlowMode = 'body' | 'headers' | 'silent';

/** What each kind of slow client writes first, and what it drips. */
const SLOW: Record<SlowMode, { head: string; drip: string }> = {
  body: {
    head: 'POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n',
    drip: 'x',
  },
  headers: { head: 'GET /healthz HTTP/1.1\r\nHost: x\r\n', drip: 'X-Pad: 1\r\n' },
  silent: { head: '', drip: '' },
};

/** One kind of slow client against an http:// URL: how long it was held, and the status line it got. */
export async function slowClient(
  url: string,
  mode: SlowMode,
  deadlineMs: number,
  dripMs = 100,
): Promise<{ heldMs: number; reply: string }> {
  const { hostname, port } = new URL(url);
  const { head, drip } = SLOW[mode];
  const c = await hold({ host: hostname, port: Number(port) }, head, mode === 'silent' ? 0 : dripMs, drip, deadlineMs);
  return { heldMs: c.afterMs, reply: c.received.split('\r\n')[0] ?? '' };
}
