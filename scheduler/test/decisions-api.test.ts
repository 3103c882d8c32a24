/**
 * GET /api/v1/decisions against the real embedded store: `since` keeps exactly the decisions at or
 * after it, and every bad query parameter is a 400 that names it (never a 500, never a wrapped value).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '@meridian/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OFFSET_MAX, SINCE_MAX } from '../src/api/decisions-params.js';
import type { RunningApi } from '../src/api/server.js';
import type { DecisionRecord } from '../src/record/sinks.js';
import { createScheduler, type Scheduler } from '../src/scheduler.js';
import { MIN, SimulatedFabric, T0, at, fullMesh, region, testConfig, workload } from './fabric.js';

const TOKEN = 'viewer-token-for-decisions';
const dir = mkdtempSync(join(tmpdir(), 'meridian-sched-decisions-'));
let store: Store;
let s: Scheduler;
let api: RunningApi;
/** Each pass's decision ids, by the pass's instant. */
const byPass = new Map<number, string[]>();

beforeAll(async () => {
  store = await openStore({ data: dir });
  await store.migrate();
  const fab = new SimulatedFabric({
    ts: T0,
    regions: [region('a', { gpusAllocated: 64 }), region('b', { gpusAllocated: 8 }), region('c', { gpusAllocated: 8 })],
    links: fullMesh(['a', 'b', 'c']),
    workloads: [
      ...Array.from({ length: 8 }, (_, i) => workload(`a${i}`, 'a')),
      workload('b0', 'b'),
      workload('c0', 'c'),
    ],
  });
  let now = T0;
  s = await createScheduler({
    config: testConfig({ limits: { movesPerPass: 1, disruptionBudget: 1 } }),
    store,
    executor: fab,
    observe: async (t) => at(fab.obs, t),
    clock: () => now,
  });
  // Three passes five minutes apart, each writing its decisions to the store.
  for (let i = 0; i < 3; i++) {
    const r = await s.runPass();
    byPass.set(now, r.decisions.map((d) => d.decision_id).sort());
    now += 5 * MIN;
  }
  api = await s.startApi({ host: '127.0.0.1', port: 0, tokens: [{ name: 'grafana', role: 'viewer', secret: TOKEN }] });
});

afterAll(async () => {
  await s?.stop();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = async (query: string) => {
  const r = await fetch(`${api.url}/api/v1/decisions?${query}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return { status: r.status, body: (await r.json()) as { decisions?: DecisionRecord[]; message?: string } };
};

describe('GET /api/v1/decisions', () => {
  it('since keeps exactly the decisions at or after it', async () => {
    const [t1, t2, t3] = [...byPass.keys()] as [number, number, number];
    for (const ids of byPass.values()) expect(ids.length).toBeGreaterThan(0);
    const all = await get('limit=1000');
    expect(all.status).toBe(200);
    expect(all.body.decisions?.length).toBe([...byPass.values()].flat().length);

    const from2 = await get(`since=${t2}&limit=1000`);
    expect(from2.status).toBe(200);
    expect(from2.body.decisions?.map((d) => d.decision_id).sort()).toEqual(
      [...(byPass.get(t2) ?? []), ...(byPass.get(t3) ?? [])].sort(),
    );
    expect(from2.body.decisions?.every((d) => d.ts >= t2)).toBe(true);
    // Newest first, with the instant in epoch milliseconds.
    expect(from2.body.decisions?.[0]?.ts).toBe(t3);

    const after2 = await get(`since=${t2 + 1}&limit=1000`);
    expect(after2.body.decisions?.map((d) => d.decision_id).sort()).toEqual(byPass.get(t3));
    expect((await get(`since=${t3 + 1}`)).body.decisions).toEqual([]);
    expect((await get(`since=${t1}&limit=1000`)).body.decisions?.length).toBe(all.body.decisions?.length);
  });

  it('pages past the end to nothing: a large offset does not wrap', async () => {
    const last = await get(`offset=${OFFSET_MAX}`);
    expect(last.status).toBe(200);
    expect(last.body.decisions).toEqual([]);
    const firstTwo = await get('limit=2');
    const second = await get('limit=1&offset=1');
    expect(second.body.decisions?.[0]?.decision_id).toBe(firstTwo.body.decisions?.[1]?.decision_id);
  });

  it('answers each bad parameter with a 400 naming it', async () => {
    const bad: [string, string][] = [
      ['since=yesterday', 'since'],
      ['since=1.5', 'since'],
      ['since=-1', 'since'],
      [`since=${SINCE_MAX + 1}`, 'since'],
      ['since=1e30', 'since'],
      ['since=99999999999999999999999', 'since'],
      ['offset=-1', 'offset'],
      ['offset=ten', 'offset'],
      [`offset=${OFFSET_MAX + 1}`, 'offset'],
      ['offset=1e30', 'offset'],
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=x', 'limit'],
      ['action=delete', 'action'],
      ['unknown=1', 'unknown'],
    ];
    for (const [query, name] of bad) {
      const r = await get(query);
      expect({ query, status: r.status }).toEqual({ query, status: 400 });
      expect(r.body.message, query).toMatch(new RegExp(`\\b${name}\\b`));
    }
  });
});
