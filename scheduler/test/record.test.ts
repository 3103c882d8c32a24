/**
 * Record: decisions into the real embedded store; alerts, annotations and the webhook to a local
 * HTTP receiver that checks them against Alertmanager's postableAlert and Grafana's
 * PostAnnotationsCmd field sets; one OpenTelemetry span per pass with a child span per phase.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { openStore, type Store } from '@meridian/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Executor, Move, MoveOutcome } from '../src/act/executor.js';
import type { Observation } from '../src/observe/observation.js';
import { createScheduler } from '../src/scheduler.js';
import { AlertmanagerSink, GrafanaSink, WebhookSink } from '../src/record/sinks.js';
import { MIN, T0, at, fullMesh, region, testConfig, workload } from './fabric.js';

const ALERT_KEYS = new Set(['labels', 'annotations', 'startsAt', 'endsAt', 'generatorURL']);
const ANNOTATION_KEYS = new Set(['dashboardUID', 'dashboardId', 'panelId', 'time', 'timeEnd', 'tags', 'text', 'data']);
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const SECRET = 'webhook-secret-for-tests';

interface Received {
  alerts: Record<string, unknown>[][];
  annotations: Record<string, unknown>[];
  webhooks: { body: string; signature: string | undefined }[];
  errors: string[];
}

const got: Received = { alerts: [], annotations: [], webhooks: [], errors: [] };
let server: Server;
let base: string;
const dir = mkdtempSync(join(tmpdir(), 'meridian-sched-record-'));
let store: Store;
const exporter = new InMemorySpanExporter();

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((res) => {
    let s = '';
    req.on('data', (c: Buffer) => (s += c.toString('utf8')));
    req.on('end', () => res(s));
  });
}

/** Checks like the real servers would: 400 with a reason for anything they would refuse. */
function checkAlert(a: unknown): string | null {
  if (typeof a !== 'object' || a === null) return 'alert is not an object';
  const o = a as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!ALERT_KEYS.has(k)) return `unknown field ${k}`;
  const labels = o.labels as Record<string, unknown> | undefined;
  if (!labels || typeof labels !== 'object') return 'labels required';
  if (typeof labels.alertname !== 'string') return 'labels.alertname required';
  for (const [k, v] of Object.entries(labels))
    if (typeof v !== 'string' || !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k)) return `bad label ${k}`;
  for (const k of ['startsAt', 'endsAt'])
    if (o[k] !== undefined && !RFC3339.test(String(o[k]))) return `${k} not RFC3339`;
  return null;
}

function checkAnnotation(o: Record<string, unknown>): string | null {
  for (const k of Object.keys(o)) if (!ANNOTATION_KEYS.has(k)) return `unknown field ${k}`;
  if (typeof o.text !== 'string' || o.text === '') return 'text required';
  if (o.time !== undefined && (typeof o.time !== 'number' || o.time < 1e12)) return 'time must be epoch ms';
  if (o.tags !== undefined && (!Array.isArray(o.tags) || o.tags.some((t) => typeof t !== 'string')))
    return 'tags must be strings';
  return null;
}

beforeAll(async () => {
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  trace.setGlobalTracerProvider(provider);
  server = createServer(async (req, res) => {
    const body = await readBody(req);
    const fail = (msg: string) => {
      got.errors.push(`${req.url}: ${msg}`);
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: msg }));
    };
    if (req.headers['content-type'] !== 'application/json') return fail('content-type must be application/json');
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return fail('bad json');
    }
    if (req.method === 'POST' && req.url === '/api/v2/alerts') {
      if (!Array.isArray(parsed)) return fail('body must be an array of postableAlert');
      for (const a of parsed) {
        const e = checkAlert(a);
        if (e) return fail(e);
      }
      got.alerts.push(parsed as Record<string, unknown>[]);
      return res.writeHead(200).end();
    }
    if (req.method === 'POST' && req.url === '/api/annotations') {
      if (req.headers.authorization !== 'Bearer grafana-sa-token') return fail('unauthorized');
      const e = checkAnnotation(parsed as Record<string, unknown>);
      if (e) return fail(e);
      got.annotations.push(parsed as Record<string, unknown>);
      return res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ message: 'Annotation added', id: got.annotations.length }));
    }
    if (req.method === 'POST' && req.url === '/hook') {
      got.webhooks.push({ body, signature: req.headers['x-meridian-signature'] as string | undefined });
      return res.writeHead(204).end();
    }
    fail(`unexpected ${req.method} ${req.url}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  store = await openStore({ data: dir });
  await store.migrate();
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Moves start now and land one pass later (like the twin's transfer + restart). */
class SlowFabric implements Executor {
  readonly name = 'slow-fabric';
  private landing: Move[] = [];
  constructor(public obs: Observation) {}
  async execute(move: Move): Promise<MoveOutcome> {
    this.landing.push(move);
    return { status: 'started', expectedDurationMs: 30_000 };
  }
  land(): void {
    for (const m of this.landing)
      this.obs = {
        ...this.obs,
        workloads: this.obs.workloads.map((w) => (w.id === m.workloadId ? { ...w, region: m.to } : w)),
      };
    this.landing = [];
  }
}

describe('record', () => {
  it('writes decisions to the store, alerts to Alertmanager, annotations to Grafana, and a signed webhook', async () => {
    const fab = new SlowFabric({
      ts: T0,
      regions: [region('a', { gpusAllocated: 64 }), region('b', { gpusAllocated: 8 })],
      links: fullMesh(['a', 'b']),
      workloads: [...Array.from({ length: 8 }, (_, i) => workload(`a${i}`, 'a')), workload('b0', 'b')],
    });
    let now = T0;
    const s = await createScheduler({
      config: testConfig({ limits: { disruptionBudget: 1, movesPerPass: 1, movesPerHour: 1 } }),
      store,
      executor: fab,
      observe: async (t) => at(fab.obs, t),
      clock: () => now,
      sinks: [
        new GrafanaSink(base, 'grafana-sa-token', 'meridian-fleet', 2000),
        new AlertmanagerSink(base, 2000),
        new WebhookSink(`${base}/hook`, SECRET, 2000),
      ],
    });
    const r1 = await s.runPass();
    expect(r1.executed).toHaveLength(1);
    const moved = r1.executed[0]?.planned.move as Move;
    expect(got.errors).toEqual([]);

    // The store has every decision of the pass, queryable with bound parameters.
    const rows = await store.query<{
      action: string;
      outcome: string;
      workload_id: string;
      limits: string[];
      region_from: string;
      region_to: string;
    }>(
      'SELECT action, outcome, workload_id, limits, region_from, region_to FROM scheduler_decisions WHERE pass_id = {p:String} ORDER BY decision_id',
      { p: `pass-${T0}` },
    );
    expect(rows.length).toBe(r1.decisions.length);
    const mv = rows.find((r) => r.action === 'move');
    expect(mv).toMatchObject({ outcome: 'started', workload_id: moved.workloadId, region_from: 'a', region_to: 'b' });
    expect(mv?.limits).toContain('moves-per-pass≤1');
    expect(rows.filter((r) => r.outcome === 'moves-per-pass').length).toBeGreaterThan(0);

    // Grafana: one annotation for the move, tagged for filtering.
    expect(got.annotations).toHaveLength(1);
    const ann = got.annotations[0] as { tags: string[]; time: number; dashboardUID: string; text: string };
    expect(ann.tags).toEqual(['meridian', 'rebalance', 'region:a', 'region:b', `job:${moved.workloadId}`]);
    expect(ann.time).toBe(T0);
    expect(ann.dashboardUID).toBe('meridian-fleet');

    // Alertmanager: the migration alert fires with the stable label set.
    const firing = got.alerts.at(-1) as { labels: Record<string, string>; endsAt: string; startsAt: string }[];
    expect(firing).toHaveLength(1);
    expect(firing[0]?.labels).toEqual({
      alertname: 'MeridianWorkloadMigration',
      region_from: 'a',
      region_to: 'b',
      workload_class: 'independent',
      severity: 'info',
    });
    expect(Date.parse(firing[0]?.endsAt ?? '')).toBeGreaterThan(now);

    // Webhook: the body's HMAC-SHA256 matches the header.
    const hook = got.webhooks.at(-1);
    expect(hook?.signature).toBe(
      `sha256=${createHmac('sha256', SECRET)
        .update(hook?.body ?? '')
        .digest('hex')}`,
    );
    expect((JSON.parse(hook?.body ?? '{}') as { passId: string }).passId).toBe(`pass-${T0}`);

    // Next pass, still in flight: the alert is re-sent with the same startsAt.
    now += MIN;
    await s.runPass();
    const again = got.alerts
      .at(-1)
      ?.find((a) => (a.labels as Record<string, string>).alertname === 'MeridianWorkloadMigration') as
      { startsAt: string } | undefined;
    expect(again?.startsAt).toBe(firing[0]?.startsAt);

    // The move lands: verified, and the alert is resolved with endsAt = now.
    fab.land();
    now += MIN;
    const r3 = await s.runPass();
    expect(r3.decisions.find((d) => d.action === 'verify')?.outcome).toBe('verified');
    const resolved = got.alerts
      .at(-1)
      ?.find(
        (a) =>
          (a.labels as Record<string, string>).region_to === 'b' &&
          (a.labels as Record<string, string>).alertname === 'MeridianWorkloadMigration',
      ) as { endsAt: string } | undefined;
    expect(Date.parse(resolved?.endsAt ?? '')).toBe(now);
    expect(got.errors).toEqual([]);
  });

  it('emits one span per pass with a child span per phase', async () => {
    exporter.reset();
    const s = await createScheduler({
      config: testConfig(),
      observe: async (t) => ({ ts: t, regions: [region('a')], links: [], workloads: [] }),
      clock: () => T0,
    });
    await s.runPass();
    const spans = exporter.getFinishedSpans();
    const root = spans.find((x) => x.name === 'scheduler.pass');
    expect(root).toBeDefined();
    const parentOf = (x: (typeof spans)[number]) =>
      (x as unknown as { parentSpanContext?: { spanId: string } }).parentSpanContext?.spanId;
    const children = spans.filter((x) => parentOf(x) === root?.spanContext().spanId).map((x) => x.name);
    expect(children).toEqual([
      'scheduler.observe',
      'scheduler.assess',
      'scheduler.verify',
      'scheduler.plan',
      'scheduler.act',
      // Dry-run records placement weights too (region a is observed).
      'scheduler.place',
      'scheduler.record',
    ]);
    expect(spans.every((x) => x.spanContext().traceId === root?.spanContext().traceId)).toBe(true);
  });
});
