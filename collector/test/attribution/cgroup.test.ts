/**
 * Cgroup → owner, from /proc/PID/cgroup texts shaped as each runtime writes them (cgroup v1 with
 * one line per hierarchy, v2 with the single `0::` line), and the process path end to end: the
 * simulated nvidia-smi lists compute processes, a /proc tree of the test's own gives their
 * cgroups and environments.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AttributionSource,
  ownerOfCgroup,
  parseComputeApps,
  podWorkload,
  slurmJobFromEnviron,
} from '@meridian/collector';
import type { GpuAssignmentRow } from '@meridian/store';
import { recorder, until } from '../sources/helpers.js';

const CID = 'a3f5c0e1b2d4968778695a4b3c2d1e0f9a8b7c6d5e4f30211a2b3c4d5e6f7089';
const UID = '6f1d2c3b-4a59-4e8f-9d7c-1b2a3c4d5e6f';

/** Real-shaped /proc/PID/cgroup texts. */
const CGROUPS = {
  dockerV1: [
    '12:pids:/docker/' + CID,
    '11:memory:/docker/' + CID,
    '4:devices:/docker/' + CID,
    '1:name=systemd:/docker/' + CID,
    '0::/system.slice/containerd.service',
  ].join('\n'),
  dockerV2: `0::/system.slice/docker-${CID}.scope`,
  k8sV2Systemd: `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID.replace(/-/g, '_')}.slice/cri-containerd-${CID}.scope`,
  k8sV1Cgroupfs: [
    `11:memory:/kubepods/besteffort/pod${UID}/${CID}`,
    `4:devices:/kubepods/besteffort/pod${UID}/${CID}`,
  ].join('\n'),
  systemdService: '0::/system.slice/llm-serve.service',
  userScope: '0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-jupyter-1234.scope',
  slurmV1: [
    '12:freezer:/slurm/uid_1000/job_42/step_0/task_0',
    '10:devices:/slurm/uid_1000/job_42/step_0',
    '7:memory:/slurm/uid_1000/job_42/step_0/task_0',
    '1:name=systemd:/system.slice/slurmd.service',
  ].join('\n'),
  slurmV1Batch: '4:devices:/slurm_node07/uid_1000/job_1337/step_batch/task_0',
  slurmV2: '0::/system.slice/slurmstepd.scope/job_4711/step_3/user/task_0',
  slurmV2Named: '0::/system.slice/node07_slurmstepd.scope/job_99/step_extern/user/task_special',
  slurmdItself: '0::/system.slice/slurmstepd.scope/system',
  initScope: '0::/init.scope',
} as const;

describe('the owner of a cgroup', () => {
  it('reads containers, pods, Slurm jobs and systemd units from v1 and v2 paths', () => {
    expect(ownerOfCgroup(CGROUPS.dockerV1)).toEqual({ kind: 'container', runtime: 'docker', container: CID });
    expect(ownerOfCgroup(CGROUPS.dockerV2)).toEqual({ kind: 'container', runtime: 'docker', container: CID });
    expect(ownerOfCgroup(CGROUPS.k8sV2Systemd)).toEqual({ kind: 'kubernetes', podUid: UID, container: CID });
    expect(ownerOfCgroup(CGROUPS.k8sV1Cgroupfs)).toEqual({ kind: 'kubernetes', podUid: UID, container: CID });
    expect(ownerOfCgroup(CGROUPS.systemdService)).toEqual({ kind: 'systemd', unit: 'llm-serve.service' });
    expect(ownerOfCgroup(CGROUPS.userScope)).toEqual({ kind: 'systemd', unit: 'app-jupyter-1234.scope' });
    expect(ownerOfCgroup(CGROUPS.slurmV1)).toEqual({ kind: 'slurm', job: '42', step: '0' });
    expect(ownerOfCgroup(CGROUPS.slurmV1Batch)).toEqual({ kind: 'slurm', job: '1337', step: 'batch' });
    expect(ownerOfCgroup(CGROUPS.slurmV2)).toEqual({ kind: 'slurm', job: '4711', step: '3' });
    expect(ownerOfCgroup(CGROUPS.slurmV2Named)).toEqual({ kind: 'slurm', job: '99', step: 'extern' });
  });

  it('names slurmstepd by its own unit, and no owner for init, the root, or text that is not a cgroup file', () => {
    expect(ownerOfCgroup(CGROUPS.slurmdItself)).toEqual({ kind: 'systemd', unit: 'slurmstepd.scope' });
    expect(ownerOfCgroup(CGROUPS.initScope)).toBeUndefined();
    expect(ownerOfCgroup('0::/')).toBeUndefined();
    expect(ownerOfCgroup('')).toBeUndefined();
    expect(ownerOfCgroup('garbage without colons\n\u0000\u0001')).toBeUndefined();
  });

  it('reads SLURM_JOB_ID from an environ, and only a numeric one', () => {
    expect(slurmJobFromEnviron('HOME=/home/a\0SLURM_JOB_ID=4242\0SLURM_STEP_ID=0\0')).toBe('4242');
    expect(slurmJobFromEnviron('SLURM_JOB_ID=$(rm -rf /)\0')).toBeUndefined();
    expect(slurmJobFromEnviron('')).toBeUndefined();
  });

  it('names the controller of a pod from its generated name', () => {
    expect(podWorkload('triton-7d9f8b6c5d-x2x4q')).toBe('triton');
    expect(podWorkload('eval-job-7xq2z')).toBe('eval-job');
    expect(podWorkload('llama-pretrain-worker-0')).toBe('llama-pretrain-worker');
    expect(podWorkload('web-0')).toBe('web');
    expect(podWorkload('standalone')).toBe('standalone');
  });

  it('parses the compute-apps query and names the lines it cannot read', () => {
    const r = parseComputeApps(
      'GPU-a, 101\nGPU-b, 202\nNo running processes found\nGPU-c, notapid\nGPU-d, 1, extra\n\n',
    );
    expect(r.apps).toEqual([
      { gpu_uuid: 'GPU-a', pid: 101 },
      { gpu_uuid: 'GPU-b', pid: 202 },
    ]);
    expect(r.bad).toEqual(['GPU-c, notapid', 'GPU-d, 1, extra']);
  });
});

const root = mkdtempSync(join(tmpdir(), 'meridian-attrib-proc-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const fakeSmi = fileURLToPath(new URL('../../../test/fake-nvidia-smi/nvidia-smi', import.meta.url));

function proc(pid: number, cgroup: string, environ = ''): void {
  mkdirSync(join(root, 'proc', String(pid)), { recursive: true });
  writeFileSync(join(root, 'proc', String(pid), 'cgroup'), cgroup);
  if (environ) writeFileSync(join(root, 'proc', String(pid), 'environ'), environ);
}

describe('attribution from the GPU processes', () => {
  it('attributes each GPU to the Slurm job, container or unit of its processes', async () => {
    proc(101, CGROUPS.slurmV2);
    proc(102, CGROUPS.slurmV2); // a second rank of the same job on the same GPU
    proc(201, CGROUPS.dockerV2);
    proc(301, CGROUPS.systemdService, 'PATH=/usr/bin\0SLURM_JOB_ID=777\0'); // srun without cgroup tracking
    proc(401, CGROUPS.systemdService);
    const apps = join(root, 'apps.csv');
    writeFileSync(apps, 'GPU-1, 101\nGPU-1, 102\nGPU-2, 201\nGPU-3, 301\nGPU-4, 401\nGPU-5, 999\nbroken line\n');
    const rec = recorder();
    const source = new AttributionSource({
      mode: 'processes',
      command: fakeSmi,
      processIntervalMs: 200,
      procRoot: join(root, 'proc'),
      slurmCluster: 'east',
      env: { FAKE_NVIDIA_SMI_APPS: apps },
      knownGpus: () => ['GPU-1', 'GPU-6'].map((u) => ({ gpu_uuid: u, mig_instance: '', device_id: u })),
    });
    await source.start(rec.ctx);
    const rows = rec.rows.gpu_assignments as GpuAssignmentRow[];
    await until(() => rows.length >= 6, 'the first reading of the stream');
    const opened = rows.filter((r) => r.updated === r.ts);
    const by = (u: string) => opened.find((r) => r.gpu_uuid === u);
    expect(by('GPU-1')).toMatchObject({
      orchestrator: 'slurm',
      namespace: 'east',
      pod: '4711',
      container: '3',
      workload_id: 'east:4711',
    });
    expect(by('GPU-2')).toMatchObject({ orchestrator: 'container', namespace: 'docker', container: CID.slice(0, 12) });
    expect(by('GPU-3')).toMatchObject({ orchestrator: 'slurm', workload_id: 'east:777' });
    expect(by('GPU-4')).toMatchObject({
      orchestrator: 'systemd',
      container: 'llm-serve.service',
      workload_id: 'llm-serve.service',
    });
    // A PID whose /proc entry is gone (the process ended between the query and the read) is counted.
    expect(by('GPU-5')).toMatchObject({ orchestrator: 'process', workload_id: 'pid:999' });
    expect(rec.ctx.errors.snapshot()).toEqual(
      expect.arrayContaining([
        { source: 'attribution', field: 'cgroup', reason: 'unattributed', count: 1 },
        { source: 'attribution', field: 'compute_apps', reason: 'malformed', count: 1 },
      ]),
    );
    // The GPU nobody uses gets an idle interval; GPU-1 is held, so none for it.
    expect(opened.filter((r) => r.orchestrator === '').map((r) => r.gpu_uuid)).toEqual(['GPU-6']);

    // The Slurm job on GPU-1 ends: the next loop of the same stream no longer lists it.
    writeFileSync(apps, 'GPU-2, 201\nGPU-3, 301\nGPU-4, 401\nGPU-5, 999\n');
    await until(() => rows.some((r) => r.gpu_uuid === 'GPU-1' && r.updated > r.ts), 'the end of the job on GPU-1');
    // Then every process ends: a live stream that prints nothing means no compute process.
    writeFileSync(apps, '');
    await until(() => rows.filter((r) => r.updated > r.ts).length === 5, 'every interval closed');
    await source.stop();
    // One stream for all of it: the simulated nvidia-smi was started once.
    expect(source.stats.refreshes).toBeGreaterThanOrEqual(3);
  });

  it('reports a host without nvidia-smi once and stays quiet', async () => {
    const rec = recorder();
    const source = new AttributionSource({ mode: 'processes', command: join(root, 'no-such-nvidia-smi') });
    await source.start(rec.ctx);
    expect(source.state()).toBe('unavailable');
    expect(rec.unavailable).toEqual(['attribution: processes: ENOENT']);
    expect(source.stats.status).toBe('processes: ENOENT');
    await source.stop();
    expect(rec.rows.gpu_assignments).toEqual([]);
  });
});
