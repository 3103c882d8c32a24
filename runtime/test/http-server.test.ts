import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slowClient } from '../../test/support/slow-client.js';
import { boundedHttpServer, type ServerLimits } from '../src/http-server.js';

const LIMITS: ServerLimits = {
  requestTimeoutMs: 1_000,
  headersTimeoutMs: 600,
  keepAliveTimeoutMs: 300,
  idleTimeoutMs: 800,
  maxConnections: 4,
};

describe('the bounded HTTP server under every Meridian endpoint', () => {
  // Reads the whole body before answering, as a JSON API does.
  const server = boundedHttpServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  }, LIMITS);
  let url: string;
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('cuts off a body that drips in, with a 408', async () => {
    const r = await slowClient(url, 'body', 8_000);
    expect(r.reply).toBe('HTTP/1.1 408 Request Timeout');
    expect(r.heldMs).toBeLessThan(5_000);
  });

  it('cuts off headers that never end', async () => {
    const r = await slowClient(url, 'headers', 8_000);
    expect(r.heldMs).toBeLessThan(5_000);
  });

  it('closes a socket that says nothing', async () => {
    const r = await slowClient(url, 'silent', 8_000);
    expect(r.heldMs).toBeLessThan(5_000);
  });

  it('still answers an ordinary request', async () => {
    expect(await (await fetch(url)).text()).toBe('ok');
  });
});
