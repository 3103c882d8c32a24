import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHORT_LIMITS as LIMITS, slowClient } from '../../test/support/slow-client.js';
import { createCollectorMetrics, serveMetrics, type MetricsServer } from '../src/telemetry/metrics.js';

describe("the collector's /metrics server against slow clients", () => {
  let server: MetricsServer;
  beforeAll(async () => {
    server = await serveMetrics(
      '127.0.0.1:0',
      createCollectorMetrics({ processMetrics: false }),
      () => ({ ok: true }),
      LIMITS,
    );
  });
  afterAll(() => server.close());

  it.each(['body', 'headers', 'silent'] as const)('cuts off a %s slow client in bounded time', async (mode) => {
    const r = await slowClient(server.url, mode, 8_000);
    expect(r.heldMs).toBeLessThan(5_000);
  });

  it('still serves /metrics', async () => {
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('# TYPE');
  });
});
