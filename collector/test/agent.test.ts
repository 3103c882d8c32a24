/**
 * The agent in one process: a source feeding the pipeline into the embedded store, its /metrics and
 * /healthz over real HTTP, and its spans arriving at a real OTLP/gRPC receiver on loopback.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, startAgent, type Agent, type AgentOptions } from '@meridian/collector';
import { openStore } from '@meridian/store';
import { startOtlpReceiver, type ReceivedSpan } from './otel-receiver.js';
import { until } from './until.js';

type Receiver = Awaited<ReturnType<typeof startOtlpReceiver>>;
type SourceContext = Parameters<NonNullable<AgentOptions['sources']>[number]['start']>[0];
const root = mkdtempSync(join(tmpdir(), 'meridian-agent-'));
let receiver: Receiver;
let agent: Agent | undefined;
const ts0 = Date.now() - 60_000;

/** A simulated GPU source (no GPU here): 3 GPUs per cycle, one field it could not parse. */
const testSource = {
  name: 'test-gpu',
  cycles: 0,
  state: () => 'running' as const,
  async start(ctx: SourceContext) {
    for (let c = 0; c < 10; c++) {
      ctx.emit(
        'gpu',
        [0, 1, 2].map((g) => ({
          ts: ts0 + c * 1000,
          source: 'nvidia-smi',
          gpu_uuid: `GPU-${g}`,
          util_gpu: 10 * g + c,
        })),
      );
      ctx.errors.count('test-gpu', 'power_draw', 'unparseable');
      if (c % 5 === 0) ctx.errors.count('test-gpu', 'power_draw', 'out_of_range');
      this.cycles++;
    }
  },
  async stop() {},
};

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = receiver.endpoint;
  process.env['OTEL_BSP_SCHEDULE_DELAY'] = '50';
  process.env['OTEL_SERVICE_NAME'] = 'meridian-collector-test';
});
afterAll(async () => {
  await agent?.stop();
  await receiver.close();
  rmSync(root, { recursive: true, force: true });
});

function configFor(extra: string) {
  return parseConfig(
    [
      'collector: { region: eu-west, host: node-9, id: node-9 }',
      `store: { data: ${join(root, 'data')} }`,
      `spool: { dir: ${join(root, 'spool')} }`,
      'pipeline: { flushIntervalMs: 200 }',
      'telemetry: { listen: "127.0.0.1:0" }',
      extra,
    ].join('\n'),
    'test.yaml',
    { env: {} },
  ).config;
}

describe('agent', () => {
  it('writes a source through to the store, serves /metrics and /healthz, and exports spans over OTLP/gRPC', async () => {
    agent = await startAgent({
      config: configFor('sources: { nvidiaSmi: { enabled: false } }'),
      sources: [testSource],
      log: () => undefined,
    });
    expect(agent.tracing.enabled).toBe(true);
    await agent.pipeline.flush();
    await agent.sink.drained();

    const metrics = await (await fetch(`${agent.metricsUrl}/metrics`)).text();
    expect(metrics).toContain('meridian_collector_samples_total{source="test-gpu",target="gpu"} 30');
    expect(metrics).toContain('meridian_collector_rows_written_total{target="gpu"} 30');
    // Each reason its own series: a flaky tool and bad data are told apart.
    expect(metrics).toContain(
      'meridian_collector_errors_total{source="test-gpu",field="power_draw",reason="unparseable"} 10',
    );
    expect(metrics).toContain(
      'meridian_collector_errors_total{source="test-gpu",field="power_draw",reason="out_of_range"} 2',
    );
    // A second scrape adds only what was counted since the first: nothing here.
    expect(await (await fetch(`${agent.metricsUrl}/metrics`)).text()).toContain(
      'meridian_collector_errors_total{source="test-gpu",field="power_draw",reason="unparseable"} 10',
    );
    expect(metrics).toContain('meridian_collector_spool_bytes 0');
    expect(metrics).toContain('meridian_collector_store_up 1');
    expect(metrics).toMatch(/meridian_collector_process_resident_memory_bytes \d+/);

    const health = await fetch(`${agent.metricsUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, storeUp: true, spoolBatches: 0 });
    expect((await fetch(`${agent.metricsUrl}/nope`)).status).toBe(404);

    await agent.stop();
    agent = undefined;

    const store = await openStore({ data: join(root, 'data') });
    try {
      const [r] = await store.query<{ n: string; regions: string[] }>(
        "SELECT count() AS n, groupUniqArray(region) AS regions FROM gpu_samples WHERE host = 'node-9'",
      );
      // The region came from the agent's config: the source never set it.
      expect({ n: Number(r?.n), regions: r?.regions }).toEqual({ n: 30, regions: ['eu-west'] });
    } finally {
      await store.close();
    }

    const byName = (n: string): ReceivedSpan[] => receiver.spans.filter((s) => s.name === n);
    expect(byName('meridian.collect')).toHaveLength(10);
    expect(byName('meridian.collect')[0]).toMatchObject({
      service: 'meridian-collector-test',
      attributes: { source: 'test-gpu', target: 'gpu', rows: 3 },
    });
    const batches = byName('meridian.flush.batch');
    expect(batches.map((s) => s.attributes['rows'])).toEqual([30]);
    expect(batches[0]?.attributes['target']).toBe('gpu');
    expect(byName('meridian.flush').length).toBeGreaterThanOrEqual(1);
    expect(receiver.requests).toBeGreaterThanOrEqual(1);
  });

  it('runs happily on a host with no GPU: nvidia-smi is reported unavailable once and the agent stays healthy', async () => {
    const logs: string[] = [];
    agent = await startAgent({
      config: configFor(`sources: { nvidiaSmi: { command: ${join(root, 'no-such-nvidia-smi')} } }`),
      log: (m) => logs.push(m),
    });
    await until(
      () => agent!.unavailable.size === 3,
      'nvidia-smi, its inventory and attribution to be reported unavailable',
    );
    // The stream, the inventory and attribution (no kubelet here, and no nvidia-smi to list GPU
    // processes) each say so once; the kernel log, waiting for GPUs, never starts.
    expect([...agent.unavailable.keys()].sort()).toEqual(['attribution', 'nvidia-smi', 'nvidia-smi-inventory']);
    const health = await fetch(`${agent.metricsUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { unavailable: Record<string, string> }).unavailable['nvidia-smi']).toMatch(
      /ENOENT/,
    );
    expect(await (await fetch(`${agent.metricsUrl}/metrics`)).text()).toContain(
      'meridian_collector_source_up{source="nvidia-smi"} 0',
    );
    expect(logs.filter((l) => l.includes('not available on this host'))).toHaveLength(3);
    await agent.stop();
    agent = undefined;
  });

  it('a spool directory it cannot use is named by its key; a reflector that cannot bind is reported, not fatal', async () => {
    const notADir = join(root, 'a-file');
    writeFileSync(notADir, 'x');
    await expect(
      startAgent({
        config: { ...configFor(''), spool: { ...configFor('').spool, dir: join(notADir, 'spool') } },
        sources: [],
        log: () => undefined,
      }),
    ).rejects.toThrow(
      /^spool\.dir: cannot use .*a-file\/spool \(ENOTDIR\); it must be a directory the collector's user can write$/,
    );

    // Another process holds the reflector's port (as port 862 is "held" for a user without the capability).
    const taken = createSocket('udp4');
    await new Promise<void>((r) => taken.bind(0, '127.0.0.1', () => r()));
    const port = taken.address().port;
    const logs: string[] = [];
    agent = await startAgent({
      config: configFor(
        `sources: { nvidiaSmi: { enabled: false }, host: { enabled: false } }\nstamp: { reflector: { enabled: true, address: 127.0.0.1, port: ${port} }, clock: { command: ${join(root, 'no-chronyc')} } }`,
      ),
      log: (m) => logs.push(m),
    });
    expect(agent.unavailable.get('stamp-reflector')).toMatch(/EADDRINUSE/);
    expect(logs.some((l) => /stamp-reflector is not available on this host/.test(l))).toBe(true);
    // Without a readable clock status the probes claim nothing about one-way delay, and say so once.
    await until(() => logs.some((l) => l.includes('clock status from chrony unavailable')), 'the chrony report');
    expect(
      logs.filter((l) => /clock status from chrony unavailable .*one-way delays are not reported/.test(l)),
    ).toHaveLength(1);
    expect((await fetch(`${agent.metricsUrl}/healthz`)).status).toBe(200);
    await agent.stop();
    agent = undefined;
    taken.close();
  });
});
