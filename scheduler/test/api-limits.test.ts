/**
 * The API's node:http limits on a real socket: a client that sends a large Content-Length and then a
 * byte at a time, one that never finishes its headers, and one that idles on a kept-alive connection
 * are each cut off in bounded time, token or not; connections past api.maxConnections are refused.
 * The timeouts come from the config (short here); each test waits on the socket's close event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hold } from '../../test/support/slow-client.js';
import type { RunningApi } from '../src/api/server.js';
import type { ConfigInput } from '../src/config.js';
import { createScheduler, type Scheduler } from '../src/scheduler.js';
import { SimulatedFabric, T0, at, fullMesh, region, testConfig } from './fabric.js';

const OPERATOR = 'operator-token-for-limits';
const started: Scheduler[] = [];

async function serve(api: NonNullable<ConfigInput['api']>): Promise<{ host: string; port: number }> {
  const fab = new SimulatedFabric({
    ts: T0,
    regions: [region('a'), region('b')],
    links: fullMesh(['a', 'b']),
    workloads: [],
  });
  const s = await createScheduler({
    config: testConfig({ api }),
    executor: fab,
    observe: async (t) => at(fab.obs, t),
    clock: () => T0,
    useSolver: false,
  });
  started.push(s);
  const running: RunningApi = await s.startApi({
    host: '127.0.0.1',
    port: 0,
    tokens: [{ name: 'alice', role: 'operator', secret: OPERATOR }],
  });
  const url = new URL(running.url);
  return { host: url.hostname, port: Number(url.port) };
}

let addr: { host: string; port: number };

beforeAll(async () => {
  addr = await serve({
    timeouts: { requestSeconds: 1.5, headersSeconds: 0.5, keepAliveSeconds: 0.5, idleSeconds: 10 },
  });
});

afterAll(async () => {
  for (const s of started) await s.stop();
});

const bigPost = (token?: string) =>
  'POST /api/v1/pause HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n' +
  (token ? `Authorization: Bearer ${token}\r\n` : '') +
  '\r\n{';

describe('API connection limits', () => {
  it(
    'cuts off a client that sends a large body a byte at a time, after requestSeconds',
    { timeout: 15_000 },
    async () => {
      // With a valid token the request gets as far as its body: only the request timeout ends it.
      const c = await hold(addr, bigPost(OPERATOR), 200);
      expect(c.received).toMatch(/^HTTP\/1\.1 408/);
      expect(c.afterMs).toBeGreaterThan(1000);
      expect(c.afterMs).toBeLessThan(5000);
    },
  );

  it('answers the same client without a token at once, and closes', { timeout: 15_000 }, async () => {
    const c = await hold(addr, bigPost(), 200);
    expect(c.received).toMatch(/^HTTP\/1\.1 401/);
    expect(c.received).toMatch(/connection: close/i);
    expect(c.afterMs).toBeLessThan(1000);
  });

  it('cuts off a client that never finishes its headers, after headersSeconds', { timeout: 15_000 }, async () => {
    const c = await hold(addr, 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ', 100);
    expect(c.received).toMatch(/^HTTP\/1\.1 408/);
    expect(c.afterMs).toBeGreaterThan(300);
    expect(c.afterMs).toBeLessThan(3000);
  });

  it('cuts off a connection that sends nothing', { timeout: 15_000 }, async () => {
    const c = await hold(addr, '');
    expect(c.afterMs).toBeLessThan(3000);
  });

  it('closes a kept-alive connection idle for keepAliveSeconds', { timeout: 15_000 }, async () => {
    const c = await hold(addr, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(c.received).toMatch(/^HTTP\/1\.1 200/);
    expect(c.afterMs).toBeLessThan(3000);
  });

  it('refuses connections past api.maxConnections', { timeout: 15_000 }, async () => {
    // Long timeouts here: the third connection can only be closed by the cap.
    const capped = await serve({ timeouts: { requestSeconds: 4, headersSeconds: 4 }, maxConnections: 2 });
    const open = [hold(capped, 'GET /healthz HTTP/1.1\r\n'), hold(capped, 'GET /healthz HTTP/1.1\r\n')];
    const third = await hold(capped, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(third.received).toBe('');
    expect(third.afterMs).toBeLessThan(2000);
    const [a, b] = await Promise.all(open);
    expect(a?.afterMs).toBeGreaterThan(third.afterMs);
    expect(b?.afterMs).toBeGreaterThan(third.afterMs);
  });
});
