/**
 * The Slurm observer: once per interval, one read of every cluster (jobs and nodes, in parallel
 * across clusters, each bounded in time), then the store's rows:
 * - `workloads`: every job whose row changed (new, other state, other GPUs …), and `done` for a job
 *   that vanished from a cluster that answered. A cluster that did not answer changes none of its
 *   rows: its jobs are not gone, only unseen.
 * - `inventory`: the nodes' GPUs, when a cluster's node list changed.
 * - `extra_metrics` `orchestrator_up` (1 answered, 0 did not), per cluster and region: the
 *   scheduler's freshness guard takes a region's data as only as fresh as its orchestrator's last
 *   good read, so a silent cluster makes its region stale (neither source nor destination of a
 *   move), not empty.
 */
import type { ExtraMetricRow, InventoryRow, Store, WorkloadRow } from '@meridian/store';
import { clusterReader, type ClusterReader } from './client.js';
import { parseSlurmConfig, type SlurmConfig, type SlurmConfigInput } from './config.js';
import { inventoryRows, toSlurmJob, workloadRow, type SlurmJob } from './jobs.js';
import type { SinfoNode } from './schema.js';

/** The extra_metrics name the scheduler's freshness guard reads (see ORCHESTRATOR_UP's users). */
export const ORCHESTRATOR_UP = 'orchestrator_up';

export interface ClusterRead {
  readonly cluster: string;
  readonly region: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly jobs: readonly SlurmJob[];
  readonly nodes: readonly SinfoNode[];
  readonly gpus: number;
  readonly readMs: number;
}

export interface ObserverPass {
  readonly ts: number;
  readonly clusters: readonly ClusterRead[];
  /** Every live job of the clusters that answered, one per workload id. */
  readonly jobs: readonly SlurmJob[];
  readonly written: { readonly workloads: number; readonly inventory: number };
  readonly durationMs: number;
}

export interface SlurmObserverOptions {
  readonly config: SlurmConfig | SlurmConfigInput;
  readonly store?: Store;
  /** Overrides the readers the config names (tests). */
  readonly readers?: readonly ClusterReader[];
  readonly clock?: () => number;
  readonly log?: (line: string) => void;
}

const rowKey = (r: WorkloadRow) =>
  JSON.stringify([
    r.region,
    r.state,
    r.gpus,
    r.kind,
    r.comm_class,
    r.checkpoint_bytes,
    r.priority,
    r.pinned,
    r.coupled_with,
    r.gpu_model,
    r.low_comm,
  ]);

export class SlurmObserver {
  readonly config: SlurmConfig;
  private readonly readers: readonly ClusterReader[];
  private readonly clock: () => number;
  private readonly log: (line: string) => void;
  /** What was last written per workload id, so an unchanged job is not written again. */
  private readonly written = new Map<string, string>();
  private readonly nodeSig = new Map<string, string>();
  private readonly reported = new Set<string>();
  /** Each cluster's nodes as last read, and how many reads this observer made. */
  private readonly nodes = new Map<string, readonly SinfoNode[]>();
  private reads = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<ObserverPass> | null = null;
  private stopped = false;
  last: ObserverPass | null = null;

  constructor(private readonly opts: SlurmObserverOptions) {
    this.config = parseSlurmConfig(opts.config);
    const limits = { timeoutMs: this.config.timeoutSeconds * 1000 };
    this.readers = opts.readers ?? this.config.clusters.map((c) => clusterReader(c, limits));
    this.clock = opts.clock ?? Date.now;
    this.log = opts.log ?? (() => {});
  }

  /** One read of every cluster, without writing. */
  async read(): Promise<ClusterRead[]> {
    // Nodes change rarely: sinfo runs every `nodesEveryPasses` passes (and until it has answered
    // once); squeue, which also tells whether the cluster answers, runs every pass.
    const every = this.config.nodesEveryPasses;
    const reads = await Promise.all(
      this.readers.map((r) => {
        const cached = this.nodes.get(r.cluster);
        return readCluster(r, cached && this.reads % every !== 0 ? cached : null);
      }),
    );
    this.reads++;
    for (const c of reads) if (c.ok) this.nodes.set(c.cluster, c.nodes);
    return reads;
  }

  /** One pass: read every cluster and write what changed. Concurrent calls share one pass. */
  pass(): Promise<ObserverPass> {
    this.running ??= this.doPass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async doPass(): Promise<ObserverPass> {
    const start = performance.now();
    const ts = this.clock();
    const clusters = await this.read();
    const jobs = liveJobs(clusters, this.log);
    let written = { workloads: 0, inventory: 0 };
    if (this.opts.store) written = await this.write(this.opts.store, ts, clusters);
    for (const c of clusters) {
      for (const j of c.jobs)
        for (const p of j.problems)
          this.once(`${c.cluster}:${j.jobId}:${p}`, `slurm job ${c.cluster}:${j.jobId}: ${p}`);
      if (!c.ok) this.log(`slurm cluster ${c.cluster} (region ${c.region}) is stale: ${c.error ?? 'no answer'}`);
    }
    const pass = { ts, clusters, jobs, written, durationMs: performance.now() - start };
    this.last = pass;
    return pass;
  }

  private regionOf(id: string, regions: ReadonlySet<string>): boolean {
    const k = this.written.get(id);
    if (!k) return false;
    const region = (JSON.parse(k) as unknown[])[0];
    return typeof region === 'string' && regions.has(region);
  }

  private once(key: string, line: string): void {
    if (this.reported.has(key)) return;
    if (this.reported.size > 10_000) this.reported.clear();
    this.reported.add(key);
    this.log(line);
  }

  private async write(store: Store, ts: number, clusters: readonly ClusterRead[]) {
    const answered = clusters.filter((c) => c.ok);
    const seen = new Map<string, WorkloadRow>();
    for (const c of answered) {
      for (const j of c.jobs) {
        const row = workloadRow(j, ts);
        const prev = seen.get(row.workload_id);
        // A moved job's old copy (cancelled, done) and its new one share the id: the live one wins.
        if (!prev || prev.state === 'done' || prev.state === 'failed') seen.set(row.workload_id, row);
      }
    }
    // Rows the store holds as live in an answering region that no cluster shows any more: done.
    const regions = answered.map((c) => c.region);
    if (regions.length > 0) {
      const open = await store.query<{
        workload_id: string;
        region: string;
        gpus: number;
        kind: WorkloadRow['kind'];
        comm_class: WorkloadRow['comm_class'];
      }>(
        `SELECT workload_id, region, gpus, kind, comm_class FROM workloads FINAL
         WHERE source = 'slurm' AND state IN ('queued', 'running', 'migrating') AND has({regions:Array(String)}, region)`,
        { regions },
      );
      for (const o of open) {
        if (seen.has(o.workload_id)) continue;
        seen.set(o.workload_id, {
          ts,
          source: 'slurm',
          workload_id: o.workload_id,
          kind: o.kind,
          comm_class: o.comm_class,
          gpus: Number(o.gpus),
          region: o.region,
          checkpoint_bytes: 0,
          state: 'done',
        });
      }
    }
    const rows = [...seen.values()].filter((r) => this.written.get(r.workload_id) !== rowKey(r));
    const inventory: InventoryRow[] = [];
    for (const c of answered) {
      const sig = c.nodes.map((n) => `${n.name}=${n.gres}`).join(';');
      if (this.nodeSig.get(c.cluster) === sig) continue;
      for (const n of c.nodes) inventory.push(...inventoryRows(n, c.cluster, c.region, ts));
      this.nodeSig.set(c.cluster, sig);
    }
    const up: ExtraMetricRow[] = clusters.map((c) => ({
      ts,
      source: 'slurm',
      region: c.region,
      host: c.cluster,
      name: ORCHESTRATOR_UP,
      labels: { orchestrator: 'slurm', cluster: c.cluster },
      value: c.ok ? 1 : 0,
    }));
    // Workloads before the freshness row: a reader that sees the cluster fresh sees its jobs too.
    await store.insert('workloads', rows);
    await store.insert('inventory', inventory);
    await store.insert('extra_metrics', up);
    for (const r of rows) this.written.set(r.workload_id, rowKey(r));
    // Forget what no cluster shows any more (memory stays bounded by the jobs in view); a stale
    // cluster's jobs are kept, so they are not all written again when it answers.
    const staleRegions = new Set(clusters.filter((c) => !c.ok).map((c) => c.region));
    for (const id of this.written.keys())
      if (!seen.has(id) && !this.regionOf(id, staleRegions)) this.written.delete(id);
    return { workloads: rows.length, inventory: inventory.length };
  }

  /** Passes every `intervalSeconds` until `stop()`; a failed pass is logged, never thrown. */
  start(): void {
    if (this.timer || this.stopped) return;
    const tick = async () => {
      try {
        await this.pass();
      } catch (err) {
        this.log(`slurm observer pass failed: ${(err as Error).message}`);
      }
      if (!this.stopped) this.timer = setTimeout(() => void tick(), this.config.intervalSeconds * 1000);
    };
    this.timer = setTimeout(() => void tick(), 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.running) await this.running.catch(() => undefined);
  }
}

async function readCluster(r: ClusterReader, knownNodes: readonly SinfoNode[] | null): Promise<ClusterRead> {
  const start = performance.now();
  try {
    const [rawJobs, nodes] = await Promise.all([
      r.readJobs(),
      knownNodes ? Promise.resolve([...knownNodes]) : r.readNodes(),
    ]);
    const jobs = rawJobs.map((j) => toSlurmJob(j, r.cluster, r.region));
    const gpus = nodes.reduce((s, n) => s + inventoryRows(n, r.cluster, r.region, 0).length, 0);
    return { cluster: r.cluster, region: r.region, ok: true, jobs, nodes, gpus, readMs: performance.now() - start };
  } catch (err) {
    return {
      cluster: r.cluster,
      region: r.region,
      ok: false,
      error: (err as Error).message,
      jobs: [],
      nodes: [],
      gpus: 0,
      readMs: performance.now() - start,
    };
  }
}

/** Live (queued or running) jobs, one per workload id; two live copies of one id are logged. */
export function liveJobs(clusters: readonly ClusterRead[], log: (line: string) => void = () => {}): SlurmJob[] {
  const by = new Map<string, SlurmJob>();
  for (const c of clusters) {
    for (const j of c.jobs) {
      if (j.state !== 'queued' && j.state !== 'running') continue;
      const prev = by.get(j.workloadId);
      if (prev)
        log(`slurm: workload ${j.workloadId} is live twice (${prev.cluster}:${prev.jobId}, ${j.cluster}:${j.jobId})`);
      else by.set(j.workloadId, j);
    }
  }
  return [...by.values()];
}
