/**
 * The executors that need no cluster, against a real HTTP receiver on 127.0.0.1: the webhook signs
 * each move and each change of the placement weights with HMAC-SHA256 over the exact body; dry-run
 * records the weights; under approval the weights are recorded and never sent.
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DryRunExecutor, WebhookExecutor } from '../src/act/executors.js';
import { createScheduler } from '../src/scheduler.js';
import { T0, at, fullMesh, region, testConfig, workload } from './fabric.js';

const SECRET = 'executor-webhook-secret';
let server: Server;
let url: string;
const got: { body: string; signature: string | undefined }[] = [];
/** The receiver's answer to the next requests. */
let answer = 200;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      got.push({ body, signature: req.headers['x-meridian-signature'] as string | undefined });
      res.writeHead(answer, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

/** Computed here from the secret, not with the code under test. */
const hmac = (body: string) => `sha256=${createHmac('sha256', SECRET).update(body, 'utf8').digest('hex')}`;

/** Two regions: a full (64 of 64), b with 48 free; one workload each. */
const fabric = () => ({
  ts: T0,
  regions: [region('a', { gpusAllocated: 64 }), region('b', { gpusAllocated: 16 })],
  links: fullMesh(['a', 'b']),
  workloads: [workload('a0', 'a'), workload('b0', 'b')],
});

describe('webhook executor', () => {
  it('signs moves and placement weights; sends the same weights once; a non-2xx fails', async () => {
    got.length = 0;
    answer = 200;
    const ex = new WebhookExecutor({ url, secret: SECRET, timeoutMs: 2000 });
    const move = {
      moveId: 'm1',
      workloadId: 'train-1',
      from: 'a',
      to: 'b',
      gpus: 8,
      checkpointBytes: 1e9,
      reason: 'region-hot',
    };
    expect(await ex.execute(move)).toEqual({ status: 'started', expectedDurationMs: 0 });
    expect(
      await ex.place(
        new Map([
          ['us-east', 24],
          ['eu-west', 8],
        ]),
      ),
    ).toBe('set');
    expect(got.map((g) => g.body)).toEqual([
      JSON.stringify({ type: 'meridian.scheduler.move', move }),
      '{"type":"meridian.scheduler.placement","weights":{"eu-west":8,"us-east":24}}',
    ]);
    for (const g of got) expect(g.signature).toBe(hmac(g.body));
    // The same weights (in any order) are not sent again; different ones are.
    expect(
      await ex.place(
        new Map([
          ['eu-west', 8],
          ['us-east', 24],
        ]),
      ),
    ).toBe('unchanged');
    expect(got).toHaveLength(2);
    expect(await ex.place(new Map())).toBe('set');
    expect(got[2]?.body).toBe('{"type":"meridian.scheduler.placement","weights":{}}');
    answer = 503;
    await expect(ex.place(new Map([['eu-west', 1]]))).rejects.toThrow(/webhook answered 503 to the placement weights/);
    expect(await ex.execute(move)).toEqual({ status: 'failed', error: 'webhook answered 503' });
    // Refused weights are not taken as sent: the next pass sends them again.
    answer = 200;
    expect(await ex.place(new Map([['eu-west', 1]]))).toBe('set');
  });

  it('a pass hands the weights to the webhook, unless every plan waits for approval', async () => {
    got.length = 0;
    answer = 200;
    const run = async (requireApproval: boolean) => {
      const s = await createScheduler({
        config: testConfig({ requireApproval }),
        executor: new WebhookExecutor({ url, secret: SECRET, timeoutMs: 2000 }),
        observe: async (t) => at(fabric(), t),
        clock: () => T0,
      });
      const r = await s.runPass();
      return { report: r, placement: s.placement() };
    };
    const direct = await run(false);
    expect(direct.report.placement?.outcome).toBe('set');
    // The pass moved a0 (8 GPUs) out of full a first; the weights count it in b: 64 − 16 − 8 = 40.
    expect(got.map((g) => (JSON.parse(g.body) as { type: string }).type)).toEqual([
      'meridian.scheduler.move',
      'meridian.scheduler.placement',
    ]);
    const sent = got.filter((g) => g.body.includes('meridian.scheduler.placement'));
    expect(sent.map((g) => g.body)).toEqual(['{"type":"meridian.scheduler.placement","weights":{"b":40}}']);
    expect(sent[0]?.signature).toBe(hmac(sent[0]?.body ?? ''));
    const rec = direct.report.decisions.find((d) => d.action === 'place');
    expect([rec?.region_to, rec?.scores, rec?.outcome, rec?.executor]).toEqual(['b', '{"b":40}', 'set', 'webhook']);

    got.length = 0;
    // Under approval nothing is sent, the move included (it waits), so b keeps its 48 free GPUs.
    const approval = await run(true);
    expect(got).toHaveLength(0);
    expect(approval.placement?.outcome).toBe('not-set: approval required (weights recorded only)');
    expect([...(approval.placement?.weights ?? [])]).toEqual([['b', 48]]);
  });
});

describe('dry-run executor', () => {
  it('records the placement weights as a decision and sets nothing', async () => {
    const s = await createScheduler({
      config: testConfig(),
      executor: new DryRunExecutor(),
      observe: async (t) => at(fabric(), t),
      clock: () => T0,
    });
    const r = await s.runPass();
    const rec = r.decisions.filter((d) => d.action === 'place');
    expect(rec.map((d) => [d.region_to, d.scores, d.outcome, d.executor])).toEqual([
      ['b', '{"b":48}', 'recorded', 'dry-run'],
    ]);
    expect(s.placement()?.outcome).toBe('recorded');
  });
});
