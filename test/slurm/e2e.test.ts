/**
 * The loop end to end on real Slurm: two clusters (east, west) on this host, jobs on east, region
 * east hot in the store (rows written for the test; the GPUs themselves are simulated: this host
 * has none), a scheduler pass with the Slurm executor plans and carries out a move; the job runs on
 * west, is gone from east, and the decision row names both job ids. Then west's slurmctld stops: the
 * observer reports it stale, and nothing moves into it.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlurmObserver, type LocalSlurm } from '@meridian/fabric';
import { createExecutor, createScheduler, parseConfig, readObservation, type Scheduler } from '@meridian/scheduler';
import { openStore, type Store } from '@meridian/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../collector/test/until.js';
import { liveIds, sbatch, twoClusters } from '../../fabric/test/slurm/clusters.js';
import { declareFabric, heat } from './heat.js';

let slurm: LocalSlurm;
let store: Store;
let observer: SlurmObserver;
const schedulers: Scheduler[] = [];
const journalDir = mkdtempSync(join(tmpdir(), 'meridian-slurm-journal-'));

// Exits on USR1 after leaving a mark (and ending its sleep, which would outlive the job): a job
// that checkpoints when the executor signals it.
const CHECKPOINTING = `--wrap=trap 'touch ckpt-$SLURM_JOB_ID; kill $!; exit 0' USR1; sleep 300 & wait`;

function config(staleAfterSeconds: number) {
  return parseConfig({
    load: { low: 0.6, high: 0.85, persistSeconds: 0 },
    throttle: { low: 0.05, high: 0.2, persistSeconds: 0 },
    errors: { low: 0.01, high: 0.05, persistSeconds: 0 },
    link: { persistSeconds: 0 },
    balance: { low: 0.1, high: 0.2, persistSeconds: 0 },
    value: { balancePerGpu: 0 },
    migration: { overheadGpuSeconds: 0 },
    keepFreeGpus: 0,
    // Four 4-GPU jobs fill east; moving one pays back (relief × overload value) within two hours.
    horizonSeconds: 7200,
    // Two small clusters: one 4-GPU job is a quarter of a region (the default budget is a fifth).
    limits: { disruptionBudget: 0.5 },
    freshness: { staleAfterSeconds },
    executor: {
      kind: 'slurm',
      clusters: [
        { region: 'east', conf: slurm.cluster('east').conf },
        { region: 'west', conf: slurm.cluster('west').conf },
      ],
      journalDir,
      graceSeconds: 20,
      timeoutSeconds: 8,
    },
  });
}

async function scheduler(staleAfterSeconds: number): Promise<Scheduler> {
  const cfg = config(staleAfterSeconds);
  const s = await createScheduler({ config: cfg, store, executor: await createExecutor(cfg) });
  schedulers.push(s);
  return s;
}

beforeAll(async () => {
  slurm = await twoClusters(2);
  store = await openStore({ data: mkdtempSync(join(tmpdir(), 'meridian-slurm-e2e-')) });
  await store.migrate();
  observer = new SlurmObserver({
    config: {
      clusters: [
        { region: 'east', conf: slurm.cluster('east').conf },
        { region: 'west', conf: slurm.cluster('west').conf },
      ],
      timeoutSeconds: 4,
    },
    store,
  });
  await declareFabric(store, Date.now() - 60_000, { east: 16, west: 16 });
}, 120_000);

afterAll(async () => {
  for (const s of schedulers) await s.stop();
  await slurm?.stop();
  await store?.close();
});

// Real daemons on a shared machine: more room than the 60 s default.
describe('Slurm end to end', { timeout: 180_000 }, () => {
  let moved = '';

  it('moves a job from hot east to west: running on west, gone from east, both ids in the decision', async () => {
    const east = slurm.cluster('east');
    const ids: number[] = [];
    for (let i = 0; i < 4; i++)
      ids.push(
        await sbatch(east, [
          CHECKPOINTING,
          '--gres=gpu:h100:4',
          `--job-name=train-${i}`,
          '--comment=meridian:kind=training,ckpt=1M',
        ]),
      );
    await until(
      async () => (await observer.pass()).jobs.filter((j) => j.state === 'running').length === 4,
      'four jobs running on east',
      30_000,
    );
    await heat(store, Date.now(), { east: 95, west: 10 });
    const s = await scheduler(60);
    const r = await s.runPass();
    expect(r.executed).toHaveLength(1);
    const ex = r.executed[0]!;
    expect(ex.planned.move).toMatchObject({ from: 'east', to: 'west' });
    expect(ex.outcome.status).toBe('done');
    moved = ex.planned.move.workloadId;
    const oldId = Number(moved.split(':')[1]);
    expect(ids).toContain(oldId);
    await until(
      async () =>
        (await observer.pass()).jobs.some(
          (j) => j.workloadId === moved && j.cluster === 'west' && j.state === 'running',
        ),
      'the moved job running on west',
      30_000,
    );
    const newJob = observer.last!.jobs.find((j) => j.workloadId === moved)!;
    expect(newJob.jobId).toBeGreaterThanOrEqual(500_000);
    expect(newJob.gpus).toBe(4);
    expect((await liveIds(east)).has(oldId)).toBe(false);
    expect((await liveIds(slurm.cluster('west'))).get(newJob.jobId)).toBe('RUNNING');
    // It was signalled first, and wrote its checkpoint mark.
    expect(existsSync(join(east.dir, `ckpt-${oldId}`))).toBe(true);
    const rows = await store.query<{ workload_id: string; reason: string; outcome: string; executor: string }>(
      `SELECT workload_id, reason, outcome, executor FROM scheduler_decisions WHERE action = 'move'`,
    );
    expect(rows).toEqual([
      {
        workload_id: moved,
        reason: expect.stringContaining(`slurm job east:${oldId} → west:${newJob.jobId}, checkpoint signalled`),
        outcome: 'done',
        executor: 'slurm',
      },
    ]);
    // The store now has it in west, and the next pass verifies the move.
    const w = await store.query<{ region: string; state: string }>(
      `SELECT region, state FROM workloads FINAL WHERE workload_id = {id:String}`,
      { id: moved },
    );
    expect(w).toEqual([{ region: 'west', state: 'running' }]);
    await heat(store, Date.now(), { east: 75, west: 30 });
    const r2 = await s.runPass();
    expect(r2.decisions.filter((d) => d.action === 'verify').map((d) => [d.workload_id, d.outcome])).toEqual([
      [moved, 'verified'],
    ]);
  });

  it('a cluster whose slurmctld is stopped is stale for its region, and nothing moves into it', async () => {
    const east = slurm.cluster('east');
    const west = slurm.cluster('west');
    // East full again: another move would pay.
    await sbatch(east, ['--wrap=sleep 300', '--gres=gpu:h100:4', '--comment=meridian:kind=training']);
    await until(
      async () =>
        (await observer.pass()).jobs.filter((j) => j.cluster === 'east' && j.state === 'running').length === 4,
      'east full again',
      30_000,
    );
    await west.stopController();
    try {
      const pass = await observer.pass();
      expect(pass.clusters.find((c) => c.cluster === 'west')?.ok).toBe(false);
      const s = await scheduler(8);
      // West's last good read ages past staleAfterSeconds (8 s); telemetry keeps coming meanwhile.
      await until(
        async () => {
          await observer.pass();
          await heat(store, Date.now(), { east: 95, west: 10 });
          const obs = await readObservation(store, Date.now(), { windowSeconds: 300 });
          const w = obs.regions.find((r) => r.region === 'west')!;
          return w.lastSampleTs !== null && Date.now() - w.lastSampleTs > 9000;
        },
        'west stale',
        30_000,
      );
      const before = await liveIds(east);
      const r = await s.runPass();
      expect(s.state().assessment?.regions.get('west')?.status).toBe('unknown');
      expect(s.state().assessment?.regions.get('east')?.status).toBe('hot');
      expect(r.executed).toEqual([]);
      expect(await liveIds(east)).toEqual(before);
    } finally {
      await west.startController();
    }
  });
});
