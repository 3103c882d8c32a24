/**
 * The what-if on a seeded store (issue 18): the twin's engine, injected into the real scheduler,
 * projects a region failure; the real pass that then sees that region dark evacuates the same work.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedStore } from '@meridian/app';
import { createScheduler, readObservation, type Observation } from '@meridian/scheduler';
import { loadScenario, scenarioFromObservation, whatIfEngine, workloadsFromObservation } from '@meridian/sim';
import { openStore, type Store } from '@meridian/store';

const START = Date.UTC(2026, 11, 5, 12);
const SEEDED_S = 150;
const NOW = START + SEEDED_S * 1000;
const dir = mkdtempSync(join(tmpdir(), 'sim-whatif-'));
let store: Store;

beforeAll(async () => {
  store = await openStore({ data: dir });
  await store.migrate();
  // The default fabric without its scripted cooling loss: a healthy fleet at its initial fill.
  const quiet = { ...loadScenario('default'), events: [] };
  await seedStore(store, { scenario: quiet, durationS: SEEDED_S, startMs: START, planner: 'none' });
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const read = (now: number) => readObservation(store, now, { windowSeconds: 120, recentSeconds: 30 });

describe('what-if on a seeded store', () => {
  it('seeds the twin with the observed regions, links and running work', async () => {
    const obs = await read(NOW);
    const sc = scenarioFromObservation(obs);
    expect(sc.regions.map((r) => r.name)).toEqual(obs.regions.map((r) => r.region));
    expect(sc.regions.map((r) => r.hosts[0]!.count * r.hosts[0]!.gpus_per_host)).toEqual(
      obs.regions.map((r) => r.gpusTotal),
    );
    expect(sc.links.length).toBe(6);
    expect(workloadsFromObservation(obs, sc).map((w) => w.id)).toEqual(obs.workloads.map((w) => w.id));
  });

  it('predicts the evacuation the real pass makes when the region then fails', async () => {
    const config = { windowSeconds: 120, recentSeconds: 30 };
    const sched = await createScheduler({ store, clock: () => NOW, config, whatIf: whatIfEngine, useSolver: false });
    const r = await sched.whatIf?.({ minutes: 5, event: { type: 'region_failure', region: 'eu-west' } });
    expect(r).toBeDefined();
    const predicted = (r?.planned ?? []).map((m) => `${m.workloadId} ${m.from}→${m.to}`).sort();
    expect(predicted.length).toBeGreaterThan(0);
    expect(r?.planned.every((m) => m.from === 'eu-west')).toBe(true);
    expect(r?.withPlan.moves).toBeGreaterThan(0);
    expect(r?.doNothing.moves).toBe(0);

    // The real pass: the same store read, with eu-west silent for a day (its hosts stopped reporting).
    const dark = async (now: number): Promise<Observation> => {
      const o = await read(now);
      return {
        ...o,
        regions: o.regions.map((x) =>
          x.region === 'eu-west' ? { ...x, lastSampleTs: now - 86_400_000, utilGpu: null, throttledShare: null } : x,
        ),
      };
    };
    const real = await createScheduler({ store, clock: () => NOW, config, observe: dark, useSolver: false });
    const pass = await real.runPass();
    const made = pass.executed.map((e) => `${e.planned.move.workloadId} ${e.planned.move.from}→${e.planned.move.to}`);
    expect(made.sort()).toEqual(predicted);
  });

  it('refuses a region that is not observed, naming the field', async () => {
    const sched = await createScheduler({ store, clock: () => NOW, whatIf: whatIfEngine, useSolver: false });
    await expect(sched.whatIf?.({ minutes: 5, event: { type: 'cooling_loss', region: 'mars' } })).rejects.toThrow(
      /event\.region: no region "mars"/,
    );
    await expect(sched.whatIf?.({ minutes: 5, event: { type: 'link_cut', link: 'eu-west->mars' } })).rejects.toThrow(
      /event\.link: no link "eu-west->mars"/,
    );
  });
});
