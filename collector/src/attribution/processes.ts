/**
 * Attribution outside Kubernetes: the GPU's compute processes (`nvidia-smi --query-compute-apps`,
 * read from one long-lived stream, apps-stream.ts; never a spawn per sample or per reading) → their cgroup (/proc/PID/cgroup) → a Slurm job,
 * a pod, a container or a systemd unit; `SLURM_JOB_ID` in /proc/PID/environ when the cgroup says
 * nothing (a Slurm without cgroup process tracking) and the environ is readable.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Assignment, Holder } from './assignment.js';
import { ownerOfCgroup, slurmJobFromEnviron, type CgroupOwner } from './cgroup.js';
import { resolveDevice } from './devices.js';

/** The query (apps-stream.ts adds `-lms N`): one line per compute process, `GPU-…, 4242`. */
export const COMPUTE_APPS_ARGS = ['--query-compute-apps=gpu_uuid,pid', '--format=csv,noheader,nounits'];

export interface ComputeApp {
  readonly gpu_uuid: string;
  readonly pid: number;
}

/** Parses the query's output; a line that is not `uuid, pid` is returned in `bad`. */
export function parseComputeApps(text: string): { apps: ComputeApp[]; bad: string[] } {
  const apps: ComputeApp[] = [];
  const bad: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || /^No running (compute )?processes found/i.test(line)) continue;
    const [uuid, pidText, ...rest] = line.split(',').map((s) => s.trim());
    const pid = Number(pidText);
    if (!uuid || rest.length > 0 || !Number.isInteger(pid) || pid <= 0) bad.push(line.slice(0, 120));
    else apps.push({ gpu_uuid: uuid, pid });
  }
  return { apps, bad };
}

export interface ProcessHolderOptions {
  /** Where /proc is (tests point it at a tree of their own). */
  readonly procRoot?: string;
  /** Cluster name put before a Slurm job id ("east:42"): job ids repeat across clusters. */
  readonly slurmCluster?: string;
  /**
   * PID → owner from earlier readings. A process keeps its cgroup for life, so a PID still listed
   * is not read again; PIDs no longer listed are dropped from it (a reused PID starts afresh).
   */
  readonly cache?: Map<number, CgroupOwner | null>;
}

/** A holder from a cgroup owner; undefined when the process belongs to no workload we can name. */
export function holderOf(owner: CgroupOwner, slurmCluster = ''): Holder {
  switch (owner.kind) {
    case 'slurm': {
      // The Slurm observer's id (fabric/src/slurm: `<ClusterName>:<jobid>`), so GPU rows join its workload rows.
      const id = slurmCluster ? `${slurmCluster}:${owner.job}` : owner.job;
      return {
        orchestrator: 'slurm',
        namespace: slurmCluster,
        pod: owner.job,
        container: owner.step ?? '',
        workload_id: id,
      };
    }
    case 'kubernetes':
      // The cgroup knows the pod's UID, not its name: the kubelet path names it (see kubernetes.ts).
      return {
        orchestrator: 'kubernetes',
        namespace: '',
        pod: owner.podUid,
        container: (owner.container ?? '').slice(0, 12),
        workload_id: `pod-uid:${owner.podUid}`,
      };
    case 'container':
      return {
        orchestrator: 'container',
        namespace: owner.runtime,
        pod: '',
        container: owner.container.slice(0, 12),
        workload_id: `${owner.runtime}:${owner.container.slice(0, 12)}`,
      };
    case 'systemd':
      return { orchestrator: 'systemd', namespace: '', pod: '', container: owner.unit, workload_id: owner.unit };
  }
}

/** The owner of one PID from its cgroup, else SLURM_JOB_ID in its environment. */
async function readOwner(procRoot: string, pid: number): Promise<{ owner?: CgroupOwner; unreadable: boolean }> {
  let owner: CgroupOwner | undefined;
  let unreadable = false;
  try {
    owner = ownerOfCgroup(await readFile(join(procRoot, String(pid), 'cgroup'), 'utf8'));
  } catch {
    unreadable = true;
  }
  if (!owner || owner.kind === 'systemd') {
    // A job launched without cgroup tracking still carries its id in the environment.
    const job = await readFile(join(procRoot, String(pid), 'environ'), 'utf8').then(
      slurmJobFromEnviron,
      () => undefined,
    );
    if (job) owner = { kind: 'slurm', job };
  }
  return owner ? { owner, unreadable } : { unreadable };
}

export interface ProcessRead {
  readonly assignments: Assignment[];
  /** PIDs whose cgroup could not be read (gone, or no permission): counted, not fatal. */
  readonly unreadable: number;
}

/**
 * The holder of each GPU from its processes. Several processes on one GPU (MPS, time-slicing)
 * with different owners: the first by owner kind (Slurm, pod, container, unit) and then by PID
 * wins, so a refresh is deterministic.
 */
export async function assignmentsFromProcesses(
  apps: readonly ComputeApp[],
  opts: ProcessHolderOptions = {},
): Promise<ProcessRead> {
  const procRoot = opts.procRoot ?? '/proc';
  const byGpu = new Map<string, { rank: number; pid: number; holder: Holder }>();
  const rank: Record<Holder['orchestrator'], number> = {
    slurm: 0,
    kubernetes: 1,
    container: 2,
    systemd: 3,
    process: 4,
  };
  let unreadable = 0;
  const cache = opts.cache;
  if (cache) {
    const listed = new Set(apps.map((a) => a.pid));
    for (const pid of cache.keys()) if (!listed.has(pid)) cache.delete(pid);
  }
  for (const app of [...apps].sort((a, b) => a.pid - b.pid)) {
    let owner: CgroupOwner | undefined;
    const known = cache?.get(app.pid);
    if (known !== undefined) owner = known ?? undefined;
    else {
      const read = await readOwner(procRoot, app.pid);
      owner = read.owner;
      if (read.unreadable) unreadable++;
      // An unreadable PID is asked again next time (it may have been starting); others are kept.
      else cache?.set(app.pid, owner ?? null);
    }
    const holder: Holder = owner
      ? holderOf(owner, opts.slurmCluster)
      : { orchestrator: 'process', namespace: '', pod: '', container: '', workload_id: `pid:${app.pid}` };
    const r = rank[holder.orchestrator];
    const prev = byGpu.get(app.gpu_uuid);
    if (!prev || r < prev.rank) byGpu.set(app.gpu_uuid, { rank: r, pid: app.pid, holder });
  }
  const assignments: Assignment[] = [];
  for (const [uuid, { holder }] of byGpu) {
    const device = resolveDevice(uuid);
    if (device) assignments.push({ ...holder, device });
  }
  return { assignments, unreadable };
}
