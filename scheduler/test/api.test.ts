/**
 * The HTTP API on a real socket (127.0.0.1, ephemeral port): tokens and roles, schema validation,
 * the controls, /metrics, /healthz and the OpenAPI document.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../src/api/server.js';
import { authenticate } from '../src/api/server.js';
import { createScheduler, type Scheduler } from '../src/scheduler.js';
import { SimulatedFabric, T0, at, fullMesh, region, testConfig, workload } from './fabric.js';

const VIEWER = 'viewer-token-0123456789';
const OPERATOR = 'operator-token-abcdefghij';
let s: Scheduler;
let api: RunningApi;
let fab: SimulatedFabric;

beforeAll(async () => {
  fab = new SimulatedFabric({
    ts: T0,
    regions: [region('a', { gpusAllocated: 64 }), region('b', { gpusAllocated: 8 })],
    links: fullMesh(['a', 'b']),
    workloads: [...Array.from({ length: 8 }, (_, i) => workload(`a${i}`, 'a')), workload('b0', 'b')],
  });
  s = await createScheduler({
    config: testConfig({ requireApproval: true, limits: { disruptionBudget: 1 } }),
    executor: fab,
    observe: async (t) => at(fab.obs, t),
    clock: () => T0,
  });
  api = await s.startApi({
    host: '127.0.0.1',
    port: 0,
    tokens: [
      { name: 'grafana', role: 'viewer', secret: VIEWER },
      { name: 'alice', role: 'operator', secret: OPERATOR },
    ],
  });
});

afterAll(async () => {
  await s.stop();
});

const call = (path: string, init: { method?: string; token?: string; body?: unknown; rawBody?: string } = {}) =>
  fetch(`${api.url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...(init.body !== undefined || init.rawBody !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(init.rawBody !== undefined
      ? { body: init.rawBody }
      : init.body !== undefined
        ? { body: JSON.stringify(init.body) }
        : {}),
  });

describe('scheduler API', () => {
  it('rejects a missing or wrong token with 401', async () => {
    const none = await call('/api/v1/state');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await call('/api/v1/state', { token: 'nope' })).status).toBe(401);
    expect((await call('/api/v1/state', { token: `${VIEWER}x` })).status).toBe(401);
  });

  it('compares tokens by digest: any length, no match on a prefix', () => {
    const d = [{ name: 'n', role: 'viewer' as const, digest: Buffer.alloc(32) }];
    expect(authenticate('Bearer ', d)).toBeNull();
    expect(authenticate('Basic abc', d)).toBeNull();
    expect(authenticate(undefined, d)).toBeNull();
  });

  it('refuses a viewer on an operator route with 403', async () => {
    const r = await call('/api/v1/pause', { method: 'POST', token: VIEWER, body: {} });
    expect(r.status).toBe(403);
    expect(((await r.json()) as { message: string }).message).toMatch(/needs operator/);
    expect(s.paused).toBe(false);
  });

  it('validates bodies with a clear 400', async () => {
    const missing = await call('/api/v1/plan/approve', { method: 'POST', token: OPERATOR, body: {} });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { message: string }).message).toMatch(/passId/);
    const extra = await call('/api/v1/rebalance', { method: 'POST', token: OPERATOR, body: { fresh: true, force: 1 } });
    expect(extra.status).toBe(400);
    expect(((await extra.json()) as { message: string }).message).toMatch(/additional properties/);
    const wrongType = await call('/api/v1/rebalance', { method: 'POST', token: OPERATOR, body: { fresh: 'yes' } });
    expect(wrongType.status).toBe(400);
    const broken = await call('/api/v1/pause', { method: 'POST', token: OPERATOR, rawBody: '{"reason":' });
    expect(broken.status).toBe(400);
    const badQuery = await call('/api/v1/decisions?limit=0', { token: VIEWER });
    expect(badQuery.status).toBe(400);
  });

  it('runs a pass on demand, shows the pending plan, and approves it', async () => {
    const before = (await (await call('/api/v1/placement', { token: VIEWER })).json()) as Record<string, unknown>;
    expect(before).toEqual({
      steer: true,
      passId: null,
      ts: null,
      weights: null,
      outcome: null,
      executor: null,
      hold: null,
    });
    const r = await call('/api/v1/rebalance', { method: 'POST', token: OPERATOR, body: {} });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { passId: string; executed: number };
    expect(body.passId).toBe(`pass-${T0}`);
    const plan = (await (await call('/api/v1/plan', { token: VIEWER })).json()) as {
      pending: boolean;
      plan: { passId: string; moves: unknown[] };
    };
    expect(plan.pending).toBe(true);
    expect(plan.plan.moves.length).toBeGreaterThan(0);
    const state = (await (await call('/api/v1/state', { token: VIEWER })).json()) as {
      regions: { region: string; assessment: { status: string } }[];
    };
    expect(state.regions.map((x) => [x.region, x.assessment.status])).toEqual([
      ['a', 'hot'],
      ['b', 'ok'],
    ]);
    const alerts = (await (await call('/api/v1/alerts', { token: VIEWER })).json()) as {
      alerts: { labels: { alertname: string } }[];
    };
    expect(alerts.alerts.map((a) => a.labels.alertname)).toContain('MeridianWorkloadMigration');
    // Placement weights for an admission controller: hot a takes no new work, b its 56 free GPUs.
    // Every plan waits for approval here, so they are served and recorded, not handed to the executor.
    const placement = await call('/api/v1/placement', { token: VIEWER });
    expect(placement.status).toBe(200);
    expect(await placement.json()).toEqual({
      steer: true,
      passId: `pass-${T0}`,
      ts: T0,
      weights: { b: 56 },
      outcome: 'not-set: approval required (weights recorded only)',
      executor: 'test-fabric',
      hold: null,
    });
    expect((await call('/api/v1/placement')).status).toBe(401);
    const placed = (await (await call('/api/v1/decisions?action=place', { token: VIEWER })).json()) as {
      decisions: { action: string; region_to: string; scores: string; outcome: string }[];
    };
    expect(placed.decisions.map((d) => [d.action, d.region_to, d.scores, d.outcome])).toEqual([
      ['place', 'b', '{"b":56}', 'not-set: approval required (weights recorded only)'],
    ]);
    const ok = await call('/api/v1/plan/approve', { method: 'POST', token: OPERATOR, body: { passId: body.passId } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { executed: number }).executed).toBe(plan.plan.moves.length);
    expect(fab.log.length).toBe(plan.plan.moves.length);
    const again = await call('/api/v1/plan/approve', {
      method: 'POST',
      token: OPERATOR,
      body: { passId: body.passId },
    });
    expect(again.status).toBe(409);
  });

  it('pages and filters decisions', async () => {
    const all = (await (await call('/api/v1/decisions?limit=1000', { token: VIEWER })).json()) as {
      decisions: { action: string; outcome: string }[];
    };
    expect(all.decisions.length).toBeGreaterThan(2);
    const moves = (await (await call('/api/v1/decisions?action=move&limit=2&offset=1', { token: VIEWER })).json()) as {
      decisions: { action: string }[];
    };
    expect(moves.decisions).toHaveLength(2);
    expect(moves.decisions.every((d) => d.action === 'move')).toBe(true);
  });

  it('pauses and resumes (kill switch)', async () => {
    expect(
      (await call('/api/v1/pause', { method: 'POST', token: OPERATOR, body: { reason: 'maintenance' } })).status,
    ).toBe(200);
    expect(s.paused).toBe(true);
    const r = await call('/api/v1/rebalance', { method: 'POST', token: OPERATOR, body: {} });
    expect(r.status).toBe(409);
    expect((await call('/api/v1/resume', { method: 'POST', token: OPERATOR, body: {} })).status).toBe(200);
    expect(s.paused).toBe(false);
  });

  it('serves /healthz, /metrics and the OpenAPI document without a token', async () => {
    const h = (await (await call('/healthz')).json()) as { status: string };
    expect(h.status).toBe('ok');
    const m = await (await call('/metrics')).text();
    expect(m).toMatch(/meridian_scheduler_loop_duration_seconds_count 1/);
    expect(m).toMatch(/meridian_scheduler_moves_total\{reason="region-hot",outcome="done"\} \d/);
    expect(m).toMatch(/meridian_scheduler_paused 0/);
    const doc = (await (await call('/openapi.json')).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.0.3');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/state',
        '/api/v1/plan/approve',
        '/api/v1/decisions',
        '/api/v1/pause',
        '/api/v1/placement',
      ]),
    );
    const placement = (
      doc.paths['/api/v1/placement'] as {
        get: { responses: { 200: { content: { 'application/json': { schema: { properties: object } } } } } };
      }
    ).get.responses[200].content['application/json'].schema;
    expect(Object.keys(placement.properties)).toEqual([
      'steer',
      'passId',
      'ts',
      'weights',
      'outcome',
      'executor',
      'hold',
    ]);
  });
});
