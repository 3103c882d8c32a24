/**
 * GPU → workload attribution as a collector component: every `intervalMs` it reads who holds each
 * GPU (the kubelet's PodResources on a Kubernetes node, else the GPU's processes and their
 * cgroups) and pushes the changes as gpu_assignments intervals through the same pipeline and sink
 * as the samples. A refresh that fails keeps the last reading (a kubelet restart does not end
 * every interval); one that cannot run on this host at all says why once.
 */
import type { DeviceRef, MigDirectory } from './devices.js';
import { MigInventory } from './mig.js';
import type { Assignment } from './assignment.js';
import { AssignmentIntervals } from './intervals.js';
import { assignmentsFromList, devicesFromAllocatable } from './kubernetes.js';
import { KubeletPodResources, KubeletUnavailable, checkSocket } from './podresources.js';
import { ComputeAppsStream } from './apps-stream.js';
import type { CgroupOwner } from './cgroup.js';
import { assignmentsFromProcesses, type ComputeApp } from './processes.js';
import { BaseSource, type SourceContext } from '../sources/source.js';
import type { PeriodicTask } from '../sources/periodic.js';

export interface AttributionSourceOptions {
  readonly mode?: 'auto' | 'kubernetes' | 'processes';
  /** How often the kubelet is asked (default 10 s). */
  readonly intervalMs?: number;
  /** How often the GPU processes are read: the `-lms` of the nvidia-smi stream (default 30 s). */
  readonly processIntervalMs?: number;
  readonly socket?: string;
  readonly kubeletTimeoutMs?: number;
  readonly command?: string;
  readonly procRoot?: string;
  readonly slurmCluster?: string;
  /**
   * MIG UUID → parent GPU and GI/CI. Default: read from `nvidia-smi -L` and `-q -x` (mig.ts) when the
   * kubelet hands out a MIG UUID not known yet; an id nothing maps stays as is.
   */
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
  /** Where R470+ MIG ids are looked up, unless the options give a directory. */
  private readonly migInventory: MigInventory | undefined;
  private readonly migs: MigDirectory | undefined;
  private intervals: AssignmentIntervals | undefined;
  private readonly task: PeriodicTask;
  private stream: ComputeAppsStream | undefined;
  /** PID → owner across readings of the process path (see assignmentsFromProcesses). */
  private readonly owners = new Map<number, CgroupOwner | null>();
  /** The process path's readings, applied one after the other. */
  private applying: Promise<void> = Promise.resolve();
  readonly stats: AttributionStats = { refreshes: 0, rows: 0, failures: 0, path: undefined, status: 'not started' };

  constructor(private readonly opts: AttributionSourceOptions = {}) {
    super();
    this.kubelet = new KubeletPodResources({ socket: opts.socket, timeoutMs: opts.kubeletTimeoutMs });
    this.migInventory = opts.migs ? undefined : new MigInventory({ command: opts.command, env: opts.env });
    this.migs = opts.migs ?? this.migInventory?.lookup;
    this.task = this.periodic('refresh', () => this.refresh());
  }

  async start(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    this.current = 'running';
    this.intervals = new AssignmentIntervals({ source: 'collector', region: ctx.region, host: ctx.host });
    this.stats.path = await this.choosePath();
    if (this.stats.path === undefined) return; // reported unavailable
    if (this.stats.path === 'processes') {
      await this.startStream(ctx);
      return;
    }
    await this.task.runNow();
    this.task.start(this.opts.intervalMs ?? 10_000);
  }

  /** The process path: one nvidia-smi stream; start() waits for its first reading, at most 5 s. */
  private async startStream(ctx: SourceContext): Promise<void> {
    let first: () => void = () => undefined;
    const firstReading = new Promise<void>((resolve) => (first = resolve));
    this.stream = new ComputeAppsStream({
      command: this.opts.command ?? 'nvidia-smi',
      intervalMs: this.opts.processIntervalMs ?? 30_000,
      env: this.opts.env,
      onApps: (apps, bad) => {
        if (bad.length > 0) ctx.errors.count(this.name, 'compute_apps', 'malformed', bad.length);
        this.applying = this.applying.then(() => this.applyProcesses(ctx, apps)).finally(first);
      },
      onUnavailable: (reason) => {
        this.current = 'unavailable';
        // In auto mode the status keeps why the kubelet was not used: both halves are the answer.
        this.stats.status = this.stats.status.startsWith('no kubelet') ? `${this.stats.status}; ${reason}` : reason;
        this.reportUnavailable(reason);
        first();
      },
      onExit: (why) => {
        ctx.errors.count(this.name, 'compute_apps', 'process_exit');
        this.log(why);
      },
    });
    this.stream.start();
    const wait = setTimeout(first, 5_000);
    await firstReading;
    clearTimeout(wait);
  }

  /** One reading of the process path; never rejects (a failure is counted and the last reading kept). */
  private async applyProcesses(ctx: SourceContext, apps: ComputeApp[]): Promise<void> {
    const intervals = this.intervals;
    if (!intervals || this.current !== 'running') return;
    try {
      const { assignments, unreadable } = await assignmentsFromProcesses(apps, {
        procRoot: this.opts.procRoot,
        slurmCluster: this.opts.slurmCluster,
        cache: this.owners,
      });
      if (unreadable > 0) ctx.errors.count(this.name, 'cgroup', 'unattributed', unreadable);
      const known = this.stats.refreshes === 0 ? (this.opts.knownGpus?.() ?? []) : [];
      this.stats.refreshes++;
      this.push(ctx, intervals.update(this.now(), assignments, known));
    } catch (err) {
      this.stats.failures++;
      this.failed(ctx, err);
    }
  }

  private push(ctx: SourceContext, rows: ReturnType<AssignmentIntervals['update']>): void {
    if (rows.length === 0) return;
    this.stats.rows += rows.length;
    ctx.emit('gpu_assignments', rows);
  }

  async stop(): Promise<void> {
    await this.task.stop();
    await this.stream?.stop();
    await this.applying;
    this.kubelet.close();
    if (this.current !== 'unavailable') this.current = 'stopped';
    const rows = this.intervals?.closeAll(this.now()) ?? [];
    if (rows.length > 0) this.ctx?.emit('gpu_assignments', rows);
  }

  /**
   * Reads the kubelet now (joins a reading in progress); on the process path, waits for the
   * readings the stream has delivered so far. Never rejects.
   */
  refreshNow(): Promise<void> {
    return this.stats.path === 'processes' ? this.applying : this.task.runNow();
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

  /** One kubelet reading; what changed goes to the pipeline. */
  private async refresh(): Promise<void> {
    const ctx = this.ctx;
    const intervals = this.intervals;
    if (!ctx || !intervals || this.current !== 'running') return;
    let read: { assignments: Assignment[]; known: readonly DeviceRef[] };
    try {
      read = await this.readKubelet(ctx);
    } catch (err) {
      this.stats.failures++;
      this.failed(ctx, err);
      return;
    }
    this.stats.refreshes++;
    this.push(ctx, intervals.update(this.now(), read.assignments, read.known));
  }

  private async readKubelet(ctx: SourceContext): Promise<{ assignments: Assignment[]; known: readonly DeviceRef[] }> {
    const list = await this.kubelet.list();
    if (this.migInventory) {
      const ids = (list.pod_resources ?? []).flatMap((p) =>
        (p.containers ?? []).flatMap((c) => (c.devices ?? []).flatMap((d) => d.device_ids ?? [])),
      );
      for (const p of await this.migInventory.refreshFor(ids)) {
        ctx.errors.count(this.name, 'mig_inventory', 'malformed');
        this.log(`MIG devices: ${p}`);
      }
    }
    const { assignments, problems } = assignmentsFromList(list, this.migs);
    for (const p of problems) {
      ctx.errors.count(this.name, 'pod_resources', 'malformed');
      this.log(`kubelet List: ${p}`);
    }
    // Only the first reading needs the node's whole device list (for its idle intervals).
    let known: readonly DeviceRef[] = [];
    if (this.stats.refreshes === 0) {
      known = await this.kubelet.allocatable().then(
        (r) => devicesFromAllocatable(r, this.migs),
        () => [], // a kubelet older than 1.21 has no GetAllocatableResources: no idle rows, nothing else lost
      );
    }
    return { assignments, known };
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
