/**
 * Real Slurm clusters on one host, for the tests, the benchmark and demos: munged and, per cluster,
 * one slurmctld and one slurmd per node, all on 127.0.0.1, with fake GPU device nodes (character
 * devices 195:N, what the NVIDIA driver creates) so Slurm's GRES plugin accepts them. Every daemon
 * runs in the foreground as our child; `stop()` ends them by PID (jobs first, through scancel, so no
 * slurmstepd outlives its cluster). The settings are the ones measured to work with Debian's Slurm
 * 22.05: each cluster has its own name, ports, state, spool, log and PID paths and FirstJobId.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { aptInstallCommand, installDebianPackages, onPath } from '@meridian/runtime';
import { runSlurm, type SlurmTarget } from './command.js';

export interface LocalClusterSpec {
  readonly name: string;
  readonly nodes: number;
  readonly gpusPerNode: number;
  /** Node names are `<prefix>001`…; default the cluster name's first letter. */
  readonly nodePrefix?: string;
  readonly ctldPort: number;
  /** Node i listens on nodePortBase + i. */
  readonly nodePortBase: number;
  readonly firstJobId: number;
  readonly partition?: string;
  /** Slurm's MessageTimeout (default 10 s, Slurm's own); hundreds of nodes on 2 cores need it. */
  readonly messageTimeoutSeconds?: number;
}

export interface LocalCluster extends SlurmTarget {
  readonly spec: LocalClusterSpec;
  readonly dir: string;
  readonly nodeNames: readonly string[];
  /** Stops slurmctld only (the cluster then stops answering); `startController` brings it back. */
  stopController(): Promise<void>;
  startController(): Promise<void>;
}

export interface LocalSlurm {
  readonly dir: string;
  readonly clusters: ReadonlyMap<string, LocalCluster>;
  cluster(name: string): LocalCluster;
  /** Cancels every job and stops every daemon by PID. Safe to call twice. */
  stop(): Promise<void>;
}

const SLURM_PACKAGES = ['slurmctld', 'slurmd', 'slurm-client', 'munge'] as const;
export const SLURM_INSTALL_COMMAND = aptInstallCommand(SLURM_PACKAGES);

/**
 * Makes sure slurmctld, slurmd, the clients and munged exist: when one is missing and we are root on
 * a Debian-family host, Debian's packages are installed (as the browser tests do for Chromium);
 * otherwise the error says the command to run.
 */
export function ensureSlurmInstalled(log?: (line: string) => void): void {
  const needed = ['slurmctld', 'slurmd', 'squeue', 'sbatch', 'munged', 'mungekey'];
  const missing = needed.filter((c) => !onPath(c));
  if (missing.length === 0) return;
  installDebianPackages({
    packages: SLURM_PACKAGES,
    purpose: 'slurm',
    missing: `Slurm not installed (missing ${missing.join(', ')})`,
    ...(log ? { log } : {}),
  });
  const still = needed.filter((c) => !onPath(c));
  if (still.length > 0) throw new Error(`apt-get installed Slurm but ${still.join(', ')} is still missing`);
}

/** Polls `cond` until it holds; fails naming `what` after `timeoutMs`. */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs: number,
  pollMs = 50,
): Promise<void> {
  const start = Date.now();
  for (;;) {
    if (await cond()) return;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

const range = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i + 1).padStart(3, '0')}`);
const hostList = (prefix: string, n: number) => `${prefix}[001-${String(n).padStart(3, '0')}]`;

function slurmConf(
  spec: LocalClusterSpec,
  dir: string,
  mungeSocket: string,
  devDir: string,
): { conf: string; gres: string } {
  const host = os.hostname().split('.')[0] ?? 'localhost';
  const prefix = spec.nodePrefix ?? spec.name.slice(0, 1);
  const nodes = hostList(prefix, spec.nodes);
  const conf = [
    `ClusterName=${spec.name}`,
    `SlurmctldHost=${host}(127.0.0.1)`,
    `SlurmctldPort=${spec.ctldPort}`,
    'AuthType=auth/munge',
    'CredType=cred/munge',
    `AuthInfo=socket=${mungeSocket}`,
    'SlurmUser=root',
    'SlurmdUser=root',
    `StateSaveLocation=${dir}/state`,
    `SlurmdSpoolDir=${dir}/spool/%n`,
    `SlurmctldPidFile=${dir}/run/slurmctld.pid`,
    `SlurmdPidFile=${dir}/run/slurmd-%n.pid`,
    `SlurmctldLogFile=${dir}/log/slurmctld.log`,
    `SlurmdLogFile=${dir}/log/slurmd-%n.log`,
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'MpiDefault=none',
    'MailProg=/bin/true',
    'SchedulerType=sched/backfill',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_Core_Memory',
    // Without a default a job is given the whole node's memory, and one job fills a node.
    'DefMemPerCPU=1024',
    'GresTypes=gpu',
    'ReturnToService=2',
    'SlurmdParameters=config_overrides',
    `FirstJobId=${spec.firstJobId}`,
    'JobCompType=jobcomp/none',
    'AccountingStorageType=accounting_storage/none',
    `MessageTimeout=${spec.messageTimeoutSeconds ?? 10}`,
    `NodeName=${nodes} NodeHostname=${host} NodeAddr=127.0.0.1 Port=[${spec.nodePortBase + 1}-${spec.nodePortBase + spec.nodes}] CPUs=64 RealMemory=512000 Gres=gpu:h100:${spec.gpusPerNode} State=UNKNOWN`,
    `PartitionName=${spec.partition ?? 'gpu'} Nodes=ALL Default=YES MaxTime=INFINITE State=UP`,
    '',
  ].join('\n');
  const last = spec.gpusPerNode - 1;
  const gres = ['AutoDetect=off', `NodeName=${nodes} Name=gpu Type=h100 File=${devDir}/nvidia[0-${last}]`, ''].join(
    '\n',
  );
  return { conf, gres };
}

class Daemons {
  private readonly procs = new Set<ChildProcess>();

  start(bin: string, args: readonly string[], env: NodeJS.ProcessEnv): ChildProcess {
    const p = spawn(bin, [...args], { env, stdio: 'ignore' });
    this.procs.add(p);
    p.on('exit', () => this.procs.delete(p));
    p.on('error', () => this.procs.delete(p));
    return p;
  }

  /** SIGTERM by PID, SIGKILL after `graceMs`; resolves once every given process has exited. */
  async stop(procs: readonly ChildProcess[], graceMs = 5000): Promise<void> {
    const alive = procs.filter((p) => p.exitCode === null && p.signalCode === null && p.pid !== undefined);
    const exited = alive.map((p) => new Promise<void>((r) => p.once('exit', () => r())));
    for (const p of alive) p.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const p of alive) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    }, graceMs);
    await Promise.all(exited);
    clearTimeout(timer);
  }

  all(): ChildProcess[] {
    return [...this.procs];
  }
}

/**
 * Job processes (slurmstepd, the batch shell, what it started) are not our children: slurmd
 * daemonizes each step. Any still alive once the daemons are gone (jobs that had not ended when the
 * wait ran out, or an orphan a job script left) carry `SLURM_CONF=<one of our confs>` in their
 * environment, which names them as ours precisely: each is killed by its PID.
 */
function reapJobProcesses(confs: readonly string[]): void {
  const marks = confs.map((c) => `SLURM_CONF=${c}`);
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid);
  } catch {
    return;
  }
  for (const pid of pids) {
    let env: string;
    try {
      env = fs.readFileSync(`/proc/${pid}/environ`, 'latin1');
    } catch {
      continue; // gone, or not ours to read
    }
    if (!env.split('\0').some((kv) => marks.includes(kv))) continue;
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
}

async function answers(t: SlurmTarget): Promise<boolean> {
  try {
    await runSlurm(t, 'scontrol', ['ping'], { timeoutMs: 3000 });
    return true;
  } catch {
    return false;
  }
}

async function idleNodes(t: SlurmTarget): Promise<number> {
  try {
    const out = await runSlurm(t, 'sinfo', ['-h', '-N', '-o', '%N %t'], { timeoutMs: 5000 });
    return out.split('\n').filter((l) => /\s(idle|alloc|mix)$/.test(l.trim())).length;
  } catch {
    return 0;
  }
}

/** Starts munged and the clusters under `dir` (created); resolves once every node is idle. */
export async function startLocalSlurm(
  dir: string,
  specs: readonly LocalClusterSpec[],
  opts: { readyTimeoutMs?: number } = {},
): Promise<LocalSlurm> {
  const daemons = new Daemons();
  const clusters = new Map<string, LocalCluster>();
  const stopAll = async () => {
    for (const c of clusters.values()) {
      // Jobs first: their slurmstepd processes are not our children and would outlive slurmd.
      await runSlurm(c, 'scancel', ['--full', '--user=root'], { timeoutMs: 3000 }).catch(() => undefined);
      await waitFor(
        async () => (await runSlurm(c, 'squeue', ['-h', '-t', 'R,CG'], { timeoutMs: 3000 }).catch(() => '')) === '',
        `jobs on ${c.cluster} to end`,
        30_000,
        200,
      ).catch(() => undefined);
    }
    await daemons.stop(daemons.all());
    reapJobProcesses([...clusters.values()].map((c) => c.conf));
  };
  try {
    const mungeDir = path.join(dir, 'munge');
    fs.mkdirSync(mungeDir, { recursive: true, mode: 0o755 });
    // munged refuses a socket when any directory above it is not searchable by all ("Socket is
    // inaccessible"); a mkdtemp directory is 0700.
    fs.chmodSync(dir, 0o755);
    fs.chmodSync(mungeDir, 0o755);
    const key = path.join(mungeDir, 'munge.key');
    if (!fs.existsSync(key)) execFileSync('mungekey', ['-c', '-k', key], { stdio: 'ignore' });
    const socket = path.join(mungeDir, 'munge.socket');
    daemons.start(
      'munged',
      [
        '-F',
        '-S',
        socket,
        `--key-file=${key}`,
        `--pid-file=${mungeDir}/munged.pid`,
        `--seed-file=${mungeDir}/munged.seed`,
        `--log-file=${mungeDir}/munged.log`,
      ],
      process.env,
    );
    await waitFor(() => fs.existsSync(socket), 'munged socket', 10_000);

    const devDir = path.join(dir, 'dev');
    fs.mkdirSync(devDir, { recursive: true });
    const maxGpus = Math.max(...specs.map((s) => s.gpusPerNode));
    for (let i = 0; i < maxGpus; i++) {
      const dev = path.join(devDir, `nvidia${i}`);
      if (!fs.existsSync(dev)) execFileSync('mknod', [dev, 'c', '195', String(i)]);
    }

    for (const spec of specs) {
      const cdir = path.join(dir, spec.name);
      for (const sub of ['state', 'spool', 'run', 'log', 'out'])
        fs.mkdirSync(path.join(cdir, sub), { recursive: true });
      const { conf, gres } = slurmConf(spec, cdir, socket, devDir);
      const confPath = path.join(cdir, 'slurm.conf');
      fs.writeFileSync(confPath, conf);
      fs.writeFileSync(path.join(cdir, 'gres.conf'), gres);
      const env = { ...process.env, SLURM_CONF: confPath };
      let ctld: ChildProcess | null = null;
      const nodeNames = range(spec.nodePrefix ?? spec.name.slice(0, 1), spec.nodes);
      const target: SlurmTarget = { cluster: spec.name, conf: confPath };
      const cluster: LocalCluster = {
        ...target,
        spec,
        dir: cdir,
        nodeNames,
        stopController: async () => {
          if (ctld) await daemons.stop([ctld]);
          ctld = null;
        },
        startController: async () => {
          if (!ctld) ctld = daemons.start('slurmctld', ['-D'], env);
          await waitFor(() => answers(target), `slurmctld of ${spec.name} to answer`, 20_000);
        },
      };
      clusters.set(spec.name, cluster);
      await cluster.startController();
      for (const n of nodeNames) daemons.start('slurmd', ['-D', '-N', n], env);
    }
    const timeout = opts.readyTimeoutMs ?? 60_000;
    for (const c of clusters.values())
      // Each poll is a sinfo process: a few a second, not twenty, while hundreds of slurmd register.
      await waitFor(
        async () => (await idleNodes(c)) === c.nodeNames.length,
        `all nodes of ${c.cluster} idle`,
        timeout,
        300,
      );
  } catch (err) {
    await stopAll();
    throw err;
  }
  let stopped: Promise<void> | null = null;
  return {
    dir,
    clusters,
    cluster(name) {
      const c = clusters.get(name);
      if (!c) throw new Error(`no local cluster named ${name}`);
      return c;
    },
    stop: () => (stopped ??= stopAll()),
  };
}
