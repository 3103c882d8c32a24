/**
 * The Slurm observer against real daemons: two clusters (east, west) on this host, jobs submitted
 * with sbatch, rows read back from the embedded store; then east's slurmctld is stopped and the
 * region must read as stale (its rows kept, the scheduler's freshness guard engaged), not empty.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '@meridian/store';
import { SlurmObserver, type LocalSlurm } from '@meridian/fabric';
import { readObservation } from '../../../scheduler/src/observe/reader.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../../collector/test/until.js';
import { sbatch, twoClusters } from './clusters.js';

let slurm: LocalSlurm;
let store: Store;
let observer: SlurmObserver;
const logs: string[] = [];

beforeAll(async () => {
  slurm = await twoClusters(1);
  store = await openStore({ data: mkdtempSync(join(tmpdir(), 'meridian-slurm-obs-')) });
  await store.migrate();
  observer = new SlurmObserver({
    config: {
      clusters: [
        { region: 'eu-east', name: 'east', conf: slurm.cluster('east').conf },
        { region: 'eu-west', name: 'west', conf: slurm.cluster('west').conf },
      ],
      timeoutSeconds: 4,
    },
    store,
    log: (l) => logs.push(l),
  });
}, 120_000);

afterAll(async () => {
  await slurm?.stop();
  await store?.close();
});

interface Row {
  workload_id: string;
  region: string;
  state: string;
  gpus: number;
  comm_class: string;
  checkpoint_bytes: number;
  pinned: number;
  coupled_with: string[];
  partition: string;
  requeueable: number;
}
const rows = () =>
  store.query<Row>(
    `SELECT workload_id, region, state, gpus, comm_class, checkpoint_bytes, pinned, coupled_with, partition, requeueable
     FROM workloads FINAL WHERE source = 'slurm' ORDER BY workload_id`,
  );

// Real daemons on a shared machine: more room than the 60 s default.
describe('SlurmObserver on real clusters', { timeout: 180_000 }, () => {
  it('writes every job with its GPUs, state and comment fields, and the nodes GPUs to inventory', async () => {
    const east = slurm.cluster('east');
    const a = await sbatch(east, [
      '--wrap=sleep 300',
      '--gres=gpu:h100:2',
      '--job-name=train-a',
      '--comment=meridian:comm=pipeline,ckpt=1G,coupled=east:9',
    ]);
    const b = await sbatch(east, ['--wrap=sleep 300', '--gres=gpu:h100:8', '--nodes=2', '--hold']);
    const w = await sbatch(slurm.cluster('west'), ['--wrap=sleep 300', '--gpus=3', '--comment=meridian:pinned=1']);
    await until(
      async () => (await observer.pass()).jobs.some((j) => j.jobId === a && j.state === 'running'),
      'job a running',
    );
    const got = await rows();
    expect(got).toEqual([
      {
        workload_id: `east:${a}`,
        region: 'eu-east',
        state: 'running',
        gpus: 2,
        comm_class: 'pipeline',
        checkpoint_bytes: 1024 ** 3,
        pinned: 0,
        coupled_with: ['east:9'],
        // Slurm's own terms, from migration 0009: the local clusters' one partition, requeue allowed.
        partition: 'gpu',
        requeueable: 1,
      },
      expect.objectContaining({ workload_id: `east:${b}`, region: 'eu-east', state: 'queued', gpus: 16 }),
      expect.objectContaining({ workload_id: `west:${w}`, region: 'eu-west', gpus: 3, pinned: 1 }),
    ]);
    const inv = await store.query<{ region: string; n: string }>(
      `SELECT region, toString(count()) AS n FROM inventory FINAL WHERE source = 'slurm' GROUP BY region ORDER BY region`,
    );
    expect(inv).toEqual([
      { region: 'eu-east', n: '16' },
      { region: 'eu-west', n: '16' },
    ]);
    const pass = observer.last!;
    expect(pass.clusters.map((c) => [c.cluster, c.ok, c.gpus])).toEqual([
      ['east', true, 16],
      ['west', true, 16],
    ]);
  });

  it('a job that leaves the cluster is written done; an unchanged job is not written again', async () => {
    const east = slurm.cluster('east');
    const id = await sbatch(east, ['--wrap=sleep 300', '--gres=gpu:h100:1']);
    await until(async () => {
      await observer.pass();
      return (await rows()).find((r) => r.workload_id === `east:${id}`)?.state === 'running';
    }, 'the new job written running');
    const again = await observer.pass();
    expect(again.written.workloads).toBe(0);
    await import('@meridian/fabric').then((f) => f.runSlurm(east, 'scancel', [String(id)]));
    await until(async () => {
      await observer.pass();
      return (await rows()).find((r) => r.workload_id === `east:${id}`)?.state === 'done';
    }, 'the cancelled job written done');
  });

  it('a cluster whose slurmctld is stopped is stale: its rows stay, the scheduler sees the region stale', async () => {
    const east = slurm.cluster('east');
    const before = (await rows()).filter((r) => r.region === 'eu-east' && r.state !== 'done');
    expect(before.length).toBeGreaterThan(0);
    await east.stopController();
    try {
      const pass = await observer.pass();
      const c = pass.clusters.find((x) => x.cluster === 'east')!;
      expect(c.ok).toBe(false);
      expect(c.error).toMatch(/on east: Slurm reported an error|on cluster east/);
      expect(logs.some((l) => l.startsWith('slurm cluster east (region eu-east) is stale'))).toBe(true);
      // Nothing of east was written done: unseen is not gone.
      expect((await rows()).filter((r) => r.region === 'eu-east' && r.state !== 'done')).toEqual(before);
      const up = await store.query<{ region: string; value: number }>(
        `SELECT region, value FROM extra_metrics WHERE name = 'orchestrator_up' ORDER BY ts DESC, region LIMIT 2`,
      );
      expect(up).toEqual([
        { region: 'eu-east', value: 0 },
        { region: 'eu-west', value: 1 },
      ]);
      // GPU telemetry alone would call both regions fresh; the orchestrator's silence makes east stale.
      const now = Date.now();
      await store.writer('gpu').write(
        ['eu-east', 'eu-west'].map((region) => ({
          ts: now - 1000,
          source: 'test',
          region,
          host: 'h',
          gpu_uuid: `G-${region}`,
          util_gpu: 50,
        })),
      );
      const obs = await readObservation(store, now + 60_000, { windowSeconds: 300 });
      const east2 = obs.regions.find((r) => r.region === 'eu-east')!;
      const west2 = obs.regions.find((r) => r.region === 'eu-west')!;
      // Each region is as fresh as the older of its newest sample and its cluster's last good read.
      expect(west2.lastSampleTs).toBe(pass.ts);
      expect(east2.lastSampleTs).not.toBeNull();
      expect(east2.lastSampleTs!).toBeLessThan(pass.ts);
    } finally {
      await east.startController();
    }
    await until(async () => (await observer.pass()).clusters.every((c) => c.ok), 'east answering again');
  });
});
