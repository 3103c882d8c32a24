/**
 * Which workload a process belongs to, read from its cgroup path (`/proc/PID/cgroup`). The line
 * formats (cgroup v1 has one line per hierarchy, `N:controllers:/path`; v2 has one, `0::/path`) and
 * the paths each runtime makes:
 * - Kubernetes (kubelet, cgroupfs or systemd driver): `/kubepods/burstable/pod<uid>/<cid>`,
 *   `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod<uid>.slice/cri-containerd-<cid>.scope`;
 * - Docker / containerd / CRI-O / podman outside Kubernetes: `/docker/<cid>`,
 *   `/system.slice/docker-<cid>.scope`, `crio-<cid>.scope`, `libpod-<cid>.scope`;
 * - Slurm: v1 `/slurm/uid_<uid>/job_<id>/step_<step>/task_<n>` (or `/slurm_<node>/…` with several
 *   slurmd on one host), v2 `/system.slice/slurmstepd.scope/job_<id>/step_<step>/user/task_<n>`
 *   (`<node>_slurmstepd.scope` likewise);
 * - systemd: the innermost `.service` (or a `.scope` no runtime above claims), e.g.
 *   `/system.slice/trainer.service`, `/user.slice/user-1000.slice/user@1000.service/app.slice/run-x.scope`.
 * Pure functions: the reading is in processes.ts.
 */

export type CgroupOwner =
  | { kind: 'slurm'; job: string; step?: string }
  | { kind: 'kubernetes'; podUid: string; container?: string }
  | { kind: 'container'; runtime: string; container: string }
  | { kind: 'systemd'; unit: string };

/** The cgroup paths of one /proc/PID/cgroup text: v2's unified path first, then each v1 hierarchy's. */
export function cgroupPaths(text: string): string[] {
  const unified: string[] = [];
  const legacy: string[] = [];
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = first < 0 ? -1 : line.indexOf(':', first + 1);
    if (second < 0) continue;
    const path = line.slice(second + 1).trim();
    if (!path.startsWith('/')) continue;
    if (line.slice(0, second) === '0:') unified.push(path);
    else legacy.push(path);
  }
  return [...unified, ...legacy];
}

const SLURM_JOB = /\/job_(\d+)(?:\/step_([A-Za-z0-9_.]+))?/;
const POD_UID = /pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})/;
const CONTAINER_SCOPE = /(?:^|\/)(docker|cri-containerd|crio|libpod|containerd)-([0-9a-f]{12,64})\.scope$/;
const BARE_CONTAINER = /^\/(docker|containerd|lxc)\/([0-9a-f]{12,64})(?:\/|$)/;
const HEX_ID = /^[0-9a-f]{64}$/;

/** What one cgroup path says about its owner; undefined for the root or a path no rule knows. */
export function ownerOfPath(path: string): CgroupOwner | undefined {
  if (/(^|\/)slurm[^/]*(\/|$)|slurmstepd\.scope/.test(path)) {
    const job = SLURM_JOB.exec(path);
    if (job) return { kind: 'slurm', job: job[1]!, ...(job[2] ? { step: job[2] } : {}) };
  }
  const pod = POD_UID.exec(path);
  if (pod && path.includes('kubepods')) {
    const last = path.slice(path.lastIndexOf('/') + 1);
    const scoped = CONTAINER_SCOPE.exec(path)?.[2];
    const container = scoped ?? (HEX_ID.test(last) ? last : undefined);
    return { kind: 'kubernetes', podUid: pod[1]!.replace(/_/g, '-'), ...(container ? { container } : {}) };
  }
  const scope = CONTAINER_SCOPE.exec(path);
  if (scope) return { kind: 'container', runtime: runtimeName(scope[1]!), container: scope[2]! };
  const bare = BARE_CONTAINER.exec(path);
  if (bare) return { kind: 'container', runtime: runtimeName(bare[1]!), container: bare[2]! };
  const units = path.split('/').filter((p) => p.endsWith('.service') || p.endsWith('.scope'));
  // The innermost unit is the one that ran the process (user@1000.service holds app.slice/x.scope).
  const unit = units[units.length - 1];
  if (unit && unit !== 'init.scope') return { kind: 'systemd', unit };
  return undefined;
}

function runtimeName(prefix: string): string {
  if (prefix === 'cri-containerd') return 'containerd';
  if (prefix === 'libpod') return 'podman';
  return prefix;
}

/**
 * The owner of a process from its whole /proc/PID/cgroup text. A Slurm job or a pod anywhere wins
 * over a systemd unit elsewhere (cgroup v1 puts the same process in a different path per
 * hierarchy, and only some of them are Slurm's).
 */
export function ownerOfCgroup(text: string): CgroupOwner | undefined {
  const owners = cgroupPaths(text)
    .map(ownerOfPath)
    .filter((o): o is CgroupOwner => o !== undefined);
  const rank: Record<CgroupOwner['kind'], number> = { slurm: 0, kubernetes: 1, container: 2, systemd: 3 };
  owners.sort((a, b) => rank[a.kind] - rank[b.kind]);
  return owners[0];
}

/** `SLURM_JOB_ID` from a NUL-separated /proc/PID/environ, when the job's cgroup did not say. */
export function slurmJobFromEnviron(environ: string): string | undefined {
  for (const entry of environ.split('\0')) {
    if (entry.startsWith('SLURM_JOB_ID=')) {
      const v = entry.slice('SLURM_JOB_ID='.length);
      if (/^\d+$/.test(v)) return v;
    }
  }
  return undefined;
}
