import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHORT_LIMITS as LIMITS, slowClient } from '../../test/support/slow-client.js';
import { startStatusApi, type StatusApi } from '../src/status-api.js';
import type { StatusSnapshot } from '../src/status.js';

describe("meridian up's status endpoint: read-only, loopback, and slow clients cut off", () => {
  let api: StatusApi;
  beforeAll(async () => {
    api = await startStatusApi(
      0,
      { snapshot: () => ({}) as StatusSnapshot, decisions: () => [], degraded: () => undefined },
      LIMITS,
    );
  });
  afterAll(() => api.close());

  it.each(['body', 'headers', 'silent'] as const)('cuts off a %s slow client in bounded time', async (mode) => {
    const r = await slowClient(api.url, mode, 8_000);
    expect(r.heldMs).toBeLessThan(5_000);
  });

  it('listens on loopback only and takes no writes', async () => {
    expect(new URL(api.url).hostname).toBe('127.0.0.1');
    const res = await fetch(`${api.url}/api/status`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(405);
  });

  it('still answers /healthz', async () => {
    const res = await fetch(`${api.url}/healthz`);
    expect(await res.json()).toEqual({ status: 'ok' });
  });
});
