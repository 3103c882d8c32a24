/** The dcgm-exporter scrape source against a real HTTP server on 127.0.0.1 serving real captures. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DcgmSource } from '../../src/sources/dcgm/source.js';
import { fixture } from '../fixtures-helpers.js';
import { recorder } from './helpers.js';

const MiB = 1024 * 1024;
let server: Server;
let base = '';
let status = 200;
let body = '';
let source: DcgmSource | undefined;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(status, { 'content-type': 'text/plain; version=0.0.4' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

afterEach(async () => {
  await source?.stop();
  source = undefined;
  status = 200;
});

describe('dcgm-exporter source', () => {
  it('maps a scrape onto gpu rows, MIG instances and extra_metrics', async () => {
    body = fixture('gpu/nvidia-docs-dcgm-exporter-a100-mig-metrics.prom');
    const rec = recorder();
    source = new DcgmSource({ url: `${base}/metrics`, intervalMs: 60_000 });
    await source.start(rec.ctx);
    const [gpu, mig] = rec.gpu();
    expect(gpu).toMatchObject({
      source: 'dcgm',
      region: 'eu-west',
      host: 'gpu-host-1',
      gpu_uuid: 'GPU-34319582-d595-d1c7-d1d2-179bcfa61660',
      power_draw: 409.692,
      memory_used: 4845 * MiB,
      temp_gpu: 61,
    });
    // The instance's own profiling ratios are columns of its row, in percent (0.930433 in the file).
    expect(mig).toMatchObject({ mig_instance: '13', mig_profile: '1g.5gb', xid_last: 0 });
    expect(mig?.util_tensor_active).toBeCloseTo(93.0433, 6);
    expect(mig?.util_gr_engine_active).toBeCloseTo(99.5687, 6);
    const vgpu = rec.extra().find((x) => x.name === 'DCGM_FI_DEV_VGPU_LICENSE_STATUS');
    expect(vgpu).toMatchObject({ value: 0, labels: { gpu_uuid: 'GPU-34319582-d595-d1c7-d1d2-179bcfa61660' } });
    expect(rec.unavailable).toEqual([]);
  });

  it('drops and counts series that name no GPU', async () => {
    body = fixture('gpu/datadog-tesla-t4-dcgm-exporter-metrics-fixture.prom');
    const rec = recorder();
    source = new DcgmSource({ url: `${base}/metrics`, intervalMs: 60_000 });
    await source.start(rec.ctx);
    expect(
      rec
        .gpu()
        .map((r) => r.gpu_uuid)
        .sort(),
    ).toEqual(['GPU-20c56d28-0da5-6d26-a36a-e7af1ce2586e', 'GPU-9ef1b6d0-3643-5dd7-b823-c0ec20dcf2d5', 'GPU-abc']);
    expect(rec.ctx.errors.get('dcgm', 'gpu_uuid', 'unattributed')).toBe(1);
  });

  it('an endpoint that fails is counted each time and reported unavailable once', async () => {
    status = 500;
    const rec = recorder();
    source = new DcgmSource({ url: `${base}/metrics`, intervalMs: 60_000 });
    await source.start(rec.ctx);
    await source.scrape();
    expect(rec.ctx.errors.get('dcgm', 'scrape', 'http_error')).toBe(2);
    expect(rec.unavailable).toHaveLength(1);
    expect(rec.unavailable[0]).toMatch(/dcgm: http:\/\/127\.0\.0\.1:\d+\/metrics: HTTP 500/);
    status = 200;
    body = fixture('gpu/nvidia-docs-dcgm-exporter-a100-mig-metrics.prom');
    await source.scrape(); // recovers on its own
    expect(rec.gpu()).toHaveLength(2);
  });

  it('a closed port is reported as unavailable, naming the error', async () => {
    // A port that was just free: bind, note it, close.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const rec = recorder();
    source = new DcgmSource({ url: `http://127.0.0.1:${port}/metrics`, intervalMs: 60_000, timeoutMs: 2000 });
    await source.start(rec.ctx);
    expect(rec.unavailable[0]).toMatch(/ECONNREFUSED/);
    expect(rec.gpu()).toEqual([]);
  });
});
