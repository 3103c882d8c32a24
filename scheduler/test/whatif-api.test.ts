/**
 * POST /api/v1/whatif on a real socket: operator only, the body validated with each bad field named,
 * the injected engine given the scheduler's observation, pending moves and planner, and a 501 where
 * no engine was injected (the scheduler never imports the twin; see src/api/whatif.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../src/api/server.js';
import type { WhatIfInput, WhatIfResult } from '../src/api/whatif.js';
import { createScheduler, type Scheduler } from '../src/scheduler.js';
import { SimulatedFabric, T0, at, fullMesh, region, testConfig, workload } from './fabric.js';

const VIEWER = 'viewer-token-whatif-0123';
const OPERATOR = 'operator-token-whatif-456';
const tokens = [
  { name: 'grafana', role: 'viewer' as const, secret: VIEWER },
  { name: 'alice', role: 'operator' as const, secret: OPERATOR },
];
const seen: WhatIfInput[] = [];
let s: Scheduler;
let bare: Scheduler;
let api: RunningApi;
let bareApi: RunningApi;

const outcome = (slo: number) => ({ sloMinutes: slo, queueSeconds: 0, queued: 0, moves: 0, bytesMoved: 0 });

beforeAll(async () => {
  const fab = new SimulatedFabric({
    ts: T0,
    regions: [region('a', { gpusAllocated: 64 }), region('b', { gpusAllocated: 8 })],
    links: fullMesh(['a', 'b']),
    workloads: [...Array.from({ length: 8 }, (_, i) => workload(`a${i}`, 'a')), workload('b0', 'b')],
  });
  const base = {
    config: testConfig({ requireApproval: true, limits: { disruptionBudget: 1 } }),
    executor: fab,
    observe: async (t: number) => at(fab.obs, t),
    clock: () => T0,
  };
  s = await createScheduler({
    ...base,
    // A stand-in for the twin's engine: it records what the scheduler hands it.
    whatIf: async (input): Promise<WhatIfResult> => {
      seen.push(input);
      const moves = input.event ? input.planner(input.observation) : input.pendingMoves;
      return {
        minutes: input.minutes,
        event: input.event ?? null,
        planned: moves.map((m) => ({
          workloadId: m.workloadId,
          from: m.from,
          to: m.to,
          gpus: m.gpus,
          reason: m.reason,
        })),
        withPlan: outcome(1),
        doNothing: outcome(2),
        notes: ['stand-in'],
      };
    },
  });
  bare = await createScheduler(base);
  api = await s.startApi({ host: '127.0.0.1', port: 0, tokens });
  bareApi = await bare.startApi({ host: '127.0.0.1', port: 0, tokens });
});

afterAll(async () => {
  await s.stop();
  await bare.stop();
});

const post = (url: string, token: string, body: unknown) =>
  fetch(`${url}/api/v1/whatif`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('POST /api/v1/whatif', () => {
  it('is for operators: a viewer gets 403', async () => {
    const r = await post(api.url, VIEWER, { minutes: 10 });
    expect(r.status).toBe(403);
  });

  it('plays the pending plan through the injected engine', async () => {
    // requireApproval: the pass leaves its plan pending.
    const pass = await s.runPass();
    expect(pass.plan?.moves.length).toBeGreaterThan(0);
    const r = await post(api.url, OPERATOR, { minutes: 15, usePendingPlan: true });
    expect(r.status).toBe(200);
    const body = (await r.json()) as WhatIfResult;
    expect(s.currentPlan().pending).not.toBeNull();
    expect(body.planned.map((m) => m.workloadId)).toEqual((pass.plan?.moves ?? []).map((m) => m.move.workloadId));
    expect(body.withPlan.sloMinutes).toBe(1);
    expect(body.doNothing.sloMinutes).toBe(2);
    const input = seen.at(-1);
    expect(input?.minutes).toBe(15);
    expect(input?.observation.regions.map((x) => x.region)).toEqual(['a', 'b']);
  });

  it('hands an event to the engine with the scheduler planner', async () => {
    const r = await post(api.url, OPERATOR, {
      minutes: 5,
      event: { type: 'cooling_loss', region: 'a', severity: 0.9 },
    });
    expect(r.status).toBe(200);
    expect(((await r.json()) as WhatIfResult).event).toEqual({ type: 'cooling_loss', region: 'a', severity: 0.9 });
  });

  it('names the bad field of a bad body with 400', async () => {
    const cases: [unknown, RegExp][] = [
      [{}, /minutes/],
      [{ minutes: 0 }, /minutes/],
      [{ minutes: 10, extra: 1 }, /extra/],
      [{ minutes: 10, event: { type: 'meteor', region: 'a' } }, /event\/type/],
      [{ minutes: 10, event: { type: 'cooling_loss' } }, /event\/region is required/],
      [{ minutes: 10, event: { type: 'link_cut' } }, /event\/link is required/],
      [{ minutes: 10, event: { type: 'cooling_loss', region: 'mars' } }, /event\.region: no region "mars"/],
      [{ minutes: 10, event: { type: 'link_cut', link: 'a->mars' } }, /event\.link: no link "a->mars"/],
      [{ minutes: 10, event: { type: 'cooling_loss', region: 'a', severity: 2 } }, /severity/],
    ];
    for (const [body, message] of cases) {
      const r = await post(api.url, OPERATOR, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(((await r.json()) as { message: string }).message).toMatch(message);
    }
  });

  it('answers 501 where no engine was injected', async () => {
    expect(bare.whatIf).toBeUndefined();
    const r = await post(bareApi.url, OPERATOR, { minutes: 10 });
    expect(r.status).toBe(501);
    expect(((await r.json()) as { message: string }).message).toMatch(/no what-if engine/);
  });
});

describe('meridian schedule --whatif arguments', () => {
  it('reads each form', async () => {
    const { parseMinutes, parseWhatIf } = await import('../src/api/whatif-cli.js');
    expect(parseWhatIf('plan')).toEqual({ usePendingPlan: true });
    expect(parseWhatIf('region_failure:eu-west').event).toEqual({ type: 'region_failure', region: 'eu-west' });
    expect(parseWhatIf('cooling_loss:eu-south:0.5').event).toEqual({
      type: 'cooling_loss',
      region: 'eu-south',
      severity: 0.5,
    });
    expect(parseWhatIf('link_cut:a->b').event).toEqual({ type: 'link_cut', link: 'a->b' });
    expect(parseMinutes(undefined)).toBe(30);
    expect(parseMinutes('45')).toBe(45);
  });

  it('names the flag of a bad value', async () => {
    const { parseMinutes, parseWhatIf } = await import('../src/api/whatif-cli.js');
    expect(() => parseWhatIf('meteor:a')).toThrow(/--whatif: "meteor:a" is not one of plan/);
    expect(() => parseWhatIf('cooling_loss')).toThrow(/--whatif: "cooling_loss"/);
    expect(() => parseWhatIf('cooling_loss:a:hot')).toThrow(/--whatif: severity "hot"/);
    expect(() => parseWhatIf('region_failure:a:b')).toThrow(/--whatif/);
    expect(() => parseMinutes('0')).toThrow(/--minutes: "0"/);
    expect(() => parseMinutes('2.5')).toThrow(/--minutes: "2.5"/);
  });
});
