/**
 * The Slurm mover (what the scheduler's Slurm executor drives) against real daemons: a pending
 * job moves; a target that refuses leaves the source as it was; a mover killed (SIGKILL) between
 * submit and cancel, or between its intent and the submit, ends after a restart with the job in
 * exactly one cluster; a stopped target fails the move and leaves the source; hold and release.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { SlurmMover, type LocalSlurm, type SlurmClusterConfig } from '@meridian/fabric';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../../collector/test/until.js';
import { liveIds, sbatch, twoClusters } from './clusters.js';

const here = dirname(fileURLToPath(import.meta.url));
let slurm: LocalSlurm;
const children: number[] = [];

beforeAll(async () => {
  slurm = await twoClusters(3);
}, 120_000);

afterAll(async () => {
  for (const pid of children) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await slurm?.stop();
});

function clusters(over: Partial<Record<'east' | 'west', Partial<SlurmClusterConfig>>> = {}): SlurmClusterConfig[] {
  return (['east', 'west'] as const).map((name) => ({
    region: name,
    conf: slurm.cluster(name).conf,
    ...over[name],
  }));
}

const journal = () => mkdtempSync(join(tmpdir(), 'meridian-slurm-mover-'));
/** A job too big for either cluster's free GPUs stays pending: 2 nodes × 8 GPUs, held by the test. */
const pendingJob = (extra: string[] = []) =>
  sbatch(slurm.cluster('east'), [
    '--wrap=sleep 300',
    '--gres=gpu:h100:8',
    '--nodes=2',
    '--hold',
    '--time=30',
    '--job-name=pend',
    ...extra,
  ]);

// Real daemons on a shared machine: more room than the 60 s default.
describe('SlurmMover on real clusters', { timeout: 180_000 }, () => {
  it('moves a pending job: same options on west (GPUs, nodes, time, name, comment), gone from east', async () => {
    const id = await pendingJob(['--comment=meridian:comm=pipeline']);
    const m = new SlurmMover({ clusters: clusters(), journalDir: journal() });
    const r = await m.move({ moveId: 'm1', workloadId: `east:${id}`, from: 'east', to: 'west' });
    expect(r.from).toEqual({ cluster: 'east', jobId: id });
    expect((await liveIds(slurm.cluster('east'))).has(id)).toBe(false);
    const moved = (
      await import('@meridian/fabric').then((f) =>
        f.clusterJobs({ ...slurm.cluster('west'), region: 'west' }, { timeoutMs: 5000 }),
      )
    ).find((j) => j.jobId === r.to.jobId)!;
    expect(moved).toMatchObject({
      workloadId: `east:${id}`,
      name: 'pend',
      gpus: 16,
      gpusPerNode: 8,
      gpuModel: 'h100',
      nodeCount: 2,
      timeLimitMin: 30,
      // held by its owner, so still held where it landed
      held: true,
    });
    expect(moved.meta).toMatchObject({ commClass: 'pipeline', origin: `east:${id}`, move: 'm1' });
  });

  it('a target that refuses leaves the source as it was, and the error names why', async () => {
    const id = await pendingJob();
    const before = await liveIds(slurm.cluster('east'));
    const dir = journal();
    const m = new SlurmMover({ clusters: clusters({ west: { partition: 'nosuch' } }), journalDir: dir });
    await expect(m.move({ moveId: 'm2', workloadId: `east:${id}`, from: 'east', to: 'west' })).rejects.toThrow(
      /cluster west did not take job east:\d+: sbatch --parsable on cluster west failed \(exit 1\): .*[Pp]artition/,
    );
    expect(await liveIds(slurm.cluster('east'))).toEqual(before);
    expect([...(await liveIds(slurm.cluster('west'))).keys()].some((j) => j >= 500_000 && j < 0)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('move-'))).toEqual([]);
  });

  it('a stopped target fails the move and leaves the source', async () => {
    const id = await pendingJob();
    const before = await liveIds(slurm.cluster('east'));
    await slurm.cluster('west').stopController();
    try {
      const m = new SlurmMover({ clusters: clusters(), journalDir: journal(), timeoutMs: 6000 });
      await expect(m.move({ moveId: 'm3', workloadId: `east:${id}`, from: 'east', to: 'west' })).rejects.toThrow(
        /cluster west did not take job/,
      );
      expect(await liveIds(slurm.cluster('east'))).toEqual(before);
    } finally {
      await slurm.cluster('west').startController();
    }
  });

  it.each([
    ['scancel', 'between submit and cancel', 'finished'],
    ['sbatch', 'between its intent and the submit', 'undone'],
  ] as const)(
    'killed while %s hangs (%s): after a restart the job is in exactly one cluster',
    async (hang, _when, outcome) => {
      const id = await pendingJob();
      const westBefore = new Set((await liveIds(slurm.cluster('west'))).keys());
      // Client binaries as usual, but `hang` writes its PID to a mark and sleeps: the moment to kill.
      const bin = mkdtempSync(join(tmpdir(), 'meridian-slurm-bin-'));
      const mark = join(bin, 'hung.pid');
      for (const b of ['squeue', 'sbatch', 'scontrol', 'scancel', 'sinfo']) {
        const real = execFileSync('sh', ['-c', `command -v ${b}`], { encoding: 'utf8' }).trim();
        if (b === hang) {
          writeFileSync(join(bin, b), `#!/bin/sh\necho $$ > ${mark}\nexec sleep 600\n`);
          chmodSync(join(bin, b), 0o755);
        } else symlinkSync(real, join(bin, b));
      }
      const dir = journal();
      const opts = {
        clusters: clusters({ east: { binDir: bin }, west: { binDir: bin } }),
        journalDir: dir,
        timeoutMs: 120_000,
      };
      const req = { moveId: `crash-${hang}`, workloadId: `east:${id}`, from: 'east', to: 'west' };
      const child = spawn(
        process.execPath,
        [join(here, 'crash-child.mjs'), JSON.stringify(opts), JSON.stringify(req)],
        {
          stdio: 'ignore',
        },
      );
      children.push(child.pid!);
      const exited = new Promise((r) => child.once('exit', r));
      await until(() => existsSync(mark) && readFileSync(mark, 'utf8').trim() !== '', `${hang} reached`, 30_000);
      child.kill('SIGKILL');
      await exited;
      process.kill(Number(readFileSync(mark, 'utf8').trim()), 'SIGKILL');
      expect(readdirSync(dir).filter((f) => /^move-.*\.json$/.test(f))).toHaveLength(1);
      if (hang === 'scancel') {
        // The crash left it in both clusters: exactly what recovery must settle.
        expect((await liveIds(slurm.cluster('east'))).has(id)).toBe(true);
      }
      const restarted = new SlurmMover({ clusters: clusters(), journalDir: dir });
      expect([...(await restarted.recover()).values()]).toEqual([outcome]);
      const east = await liveIds(slurm.cluster('east'));
      const westNew = [...(await liveIds(slurm.cluster('west'))).keys()].filter((j) => !westBefore.has(j));
      if (outcome === 'finished') {
        expect(east.has(id)).toBe(false);
        expect(westNew).toHaveLength(1);
      } else {
        expect(east.has(id)).toBe(true);
        expect(westNew).toEqual([]);
      }
      expect(readdirSync(dir).filter((f) => f.startsWith('move-'))).toEqual([]);
    },
  );

  it('holds the pending jobs of a closed region and releases only those it held', async () => {
    const east = slurm.cluster('east');
    const mine = await sbatch(east, ['--wrap=sleep 300', '--gres=gpu:h100:8', '--nodes=2', '--begin=now+1hour']);
    const owners = await pendingJob();
    const m = new SlurmMover({ clusters: clusters(), journalDir: journal() });
    const heldOf = async (id: number) =>
      (
        await import('@meridian/fabric').then((f) => f.clusterJobs({ ...east, region: 'east' }, { timeoutMs: 5000 }))
      ).find((j) => j.jobId === id)!.held;
    expect(await heldOf(mine)).toBe(false);
    expect(await m.steer(new Set(['east']))).toBe(true);
    expect(await heldOf(mine)).toBe(true);
    expect(await m.steer(new Set())).toBe(true);
    expect(await heldOf(mine)).toBe(false);
    // Its owner's hold is not the mover's to release.
    expect(await heldOf(owners)).toBe(true);
  });
});
