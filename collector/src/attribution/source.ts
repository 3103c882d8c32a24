/**
 * GPU → workload attribution as a collector component: every `intervalMs` it reads who holds each
 * GPU (the kubelet's PodResources on a Kubernetes node, else the GPU's processes and their
 * cgroups) and pushes the changes as gpu_assignments intervals through the same pipeline and sink
 * as the samples. A refresh that fails keeps the last reading (a kubelet restart does not end
 * every interval); one that cannot run on this host at all says why once.
 */
import type { DeviceRef, MigDirectory } from './devices.js';
import type { Assignment } from './assignment.js';
import { AssignmentIntervals } from './intervals.js';
import { assignmentsFromList, devicesFromAllocatable } from './kubernetes.js';
import { KubeletPodResources, KubeletUnavailable, checkSocket } from './podresources.js';
import { assignmentsFromProcesses, parseComputeApps, runComputeApps } from './processes.js';
import { BaseSource, type SourceContext } from '../sources/source.js';
import type { PeriodicTask } from '../sources/periodic.js';
import { NO_GPU } from '../sources/nvidia-smi/no-gpu.js';

export interface AttributionSourceOptions {
  readonly mode?: 'auto' | 'kubernetes' | 'processes';
  /** How often the kubelet is asked (default 10 s). */
  readonly intervalMs?: number;
  /** How often the GPU processes are read, one nvidia-smi call each (default 30 s). */
  readonly processIntervalMs?: number;
  readonly socket?: string;
  readonly kubeletTimeoutMs?: number;
  readonly command?: string;
  readonly commandTimeoutMs?: number;
  readonly procRoot?: string;
  readonly slurmCluster?: string;
  /** MIG UUID → parent GPU and GI/CI (the inventory's); without it a R470+ MIG id stays as is. */
  readonly migs?: MigDirectory;
  /** The GPUs this host has, for the first reading's idle intervals on the process path. */
  readonly knownGpus?: () => readonly DeviceRef[];
  /** Extra environment for nvidia-smi (tests steer the simulated one with it). */
  readonly env?: NodeJS.ProcessEnv;
}

export type AttributionPath = 'kubernetes' | 'processes';

export interface AttributionStats {
  refreshes: number;
  rows: number;
  failures: number;
  path: AttributionPath | undefined;
  /** Why the current path is not the kubelet's, or why nothing runs. */
  status: string;
}

export class AttributionSource extends BaseSource {
  readonly name = 'attribution';
  private readonly kubelet: KubeletPodResources;
  private intervals: AssignmentIntervals | undefined;
  private readonly task: PeriodicTask;
  readonly stats: AttributionStats = { refreshes: 0, rows: 0, failures: 0, path: undefined, status: 'not started' };

  constructor(private readonly opts: AttributionSourceOptions = {}) {
    super();
    this.kubelet = new KubeletPodResources({ socket: opts.socket, timeoutMs: opts.kubeletTimeoutMs });
    this.task = this.periodic('refresh', () => this.refresh());
  }

  async start(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    this.current = 'running';
    this.intervals = new AssignmentIntervals({ source: 'collector', region: ctx.region, host: ctx.host });
    this.stats.path = await this.choosePath();
    if (this.stats.path === undefined) return; // reported unavailable
    await this.task.runNow();
    this.task.start(
      this.stats.path === 'kubernetes' ? (this.opts.intervalMs ?? 10_000) : (this.opts.processIntervalMs ?? 30_000),
    );
  }

  async stop(): Promise<void> {
    await this.task.stop();
    this.kubelet.close();
    if (this.current !== 'unavailable') this.current = 'stopped';
    const rows = this.intervals?.closeAll(this.now()) ?? [];
    if (rows.length > 0) this.ctx?.emit('gpu_assignments', rows);
  }

  /** Reads assignments now (joins a reading in progress); never rejects. */
  refreshNow(): Promise<void> {
    return this.task.runNow();
  }

  /** auto: the kubelet when its socket is there; the reason it is not becomes the status. */
  private async choosePath(): Promise<AttributionPath | undefined> {
    const mode = this.opts.mode ?? 'auto';
    if (mode === 'processes') {
      this.stats.status = 'reading the GPU processes (mode: processes)';
      return 'processes';
    }
    try {
      await checkSocket(this.kubelet.socket);
      this.stats.status = `reading the kubelet at ${this.kubelet.socket}`;
      return 'kubernetes';
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      if (mode === 'kubernetes') {
        this.current = 'unavailable';
        this.stats.status = `kubernetes: ${why}`;
        this.reportUnavailable(`kubernetes: ${why}`);
        return undefined;
      }
      this.stats.status = `no kubelet (${why}); reading the GPU processes`;
      this.log(this.stats.status);
      return 'processes';
    }
  }

  /** One reading; what changed goes to the pipeline. */
  private async refresh(): Promise<void> {
    const ctx = this.ctx;
    const intervals = this.intervals;
    if (!ctx || !intervals || this.current !== 'running') return;
    let read: { assignments: Assignment[]; known: readonly DeviceRef[] } | undefined;
    try {
      read = this.stats.path === 'kubernetes' ? await this.readKubelet(ctx) : await this.readProcesses(ctx);
    } catch (err) {
      this.stats.failures++;
      this.failed(ctx, err);
      return;
    }
    if (!read) return;
    this.stats.refreshes++;
    const rows = intervals.update(this.now(), read.assignments, read.known);
    if (rows.length > 0) {
      this.stats.rows += rows.length;
      ctx.emit('gpu_assignments', rows);
    }
  }

  private async readKubelet(ctx: SourceContext): Promise<{ assignments: Assignment[]; known: readonly DeviceRef[] }> {
    const list = await this.kubelet.list();
    const { assignments, problems } = assignmentsFromList(list, this.opts.migs);
    for (const p of problems) {
      ctx.errors.count(this.name, 'pod_resources', 'malformed');
      this.log(`kubelet List: ${p}`);
    }
    // Only the first reading needs the node's whole device list (for its idle intervals).
    let known: readonly DeviceRef[] = [];
    if (this.stats.refreshes === 0) {
      known = await this.kubelet.allocatable().then(
        (r) => devicesFromAllocatable(r, this.opts.migs),
        () => [], // a kubelet older than 1.21 has no GetAllocatableResources: no idle rows, nothing else lost
      );
    }
    return { assignments, known };
  }

  private async readProcesses(
    ctx: SourceContext,
  ): Promise<{ assignments: Assignment[]; known: readonly DeviceRef[] } | undefined> {
    let out: string;
    try {
      out = await runComputeApps(this.opts.command ?? 'nvidia-smi', this.opts.commandTimeoutMs ?? 5_000, this.opts.env);
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stdout?: string };
      if (e.code === 'ENOENT' || e.code === 'EACCES' || NO_GPU.test(`${e.stdout ?? ''} ${e.message}`)) {
        this.current = 'unavailable';
        const why = `processes: ${e.code ?? e.message.split('\n')[0]}`;
        // In auto mode the status keeps why the kubelet was not used: both halves are the answer.
        this.stats.status = this.stats.status.startsWith('no kubelet') ? `${this.stats.status}; ${why}` : why;
        this.reportUnavailable(why);
        return undefined;
      }
      throw err;
    }
    const { apps, bad } = parseComputeApps(out);
    if (bad.length > 0) ctx.errors.count(this.name, 'compute_apps', 'malformed', bad.length);
    const { assignments, unreadable } = await assignmentsFromProcesses(apps, {
      procRoot: this.opts.procRoot,
      slurmCluster: this.opts.slurmCluster,
    });
    if (unreadable > 0) ctx.errors.count(this.name, 'cgroup', 'unattributed', unreadable);
    return { assignments, known: this.stats.refreshes === 0 ? (this.opts.knownGpus?.() ?? []) : [] };
  }

  private failed(ctx: SourceContext, err: unknown): void {
    if (err instanceof KubeletUnavailable) {
      ctx.errors.count(this.name, 'kubelet', err.reason === 'unreachable' ? 'timeout' : 'malformed');
      this.stats.status = `kubernetes: ${err.message}`;
    } else {
      ctx.errors.count(this.name, this.stats.path === 'kubernetes' ? 'pod_resources' : 'compute_apps', 'malformed');
      this.stats.status = `${this.stats.path ?? 'attribution'}: ${err instanceof Error ? err.message : String(err)}`;
    }
    this.log(`refresh failed, keeping the last reading: ${this.stats.status.slice(0, 300)}`);
  }
}
