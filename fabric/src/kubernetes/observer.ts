/**
 * The workload observer: mirrors the workload objects of every configured cluster (reflector.ts),
 * groups them into workloads (group.ts) and writes a `workloads` row for each workload whose row
 * changed since the last write. A workload that is gone (deleted, or absent from a relist) gets a
 * final `done` row; so does one the store still shows open from an earlier run but no cluster has.
 *
 * Rows are written only once every mirror has completed its first list, so a half-listed cluster
 * never reads as "everything finished".
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Store, WorkloadRow } from '@meridian/store';
import type { ObserverConfig } from './config.js';
import {
  digestBinding,
  digestComposite,
  digestDeployment,
  digestJob,
  digestKueue,
  digestOwnerOnly,
  digestPod,
  type BindingDigest,
  type KueueDigest,
  type ObjectDigest,
  type PodDigest,
  type TemplateDigest,
} from './digest.js';
import { groupWorkloads, type ClusterView, type OnPod, type TopKind, type WorkloadProblem } from './group.js';
import { PodWorkloadRows } from './pod-rows.js';
import { Reflector, type KubeObject, type ReflectorStats, type ResourceKind } from './reflector.js';

/** The resources watched, with the API group and version each is served at. */
export const RESOURCES = {
  pods: { group: '', version: 'v1', plural: 'pods', kind: 'Pod' },
  replicaSets: { group: 'apps', version: 'v1', plural: 'replicasets', kind: 'ReplicaSet' },
  Deployment: { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment' },
  StatefulSet: { group: 'apps', version: 'v1', plural: 'statefulsets', kind: 'StatefulSet' },
  Job: { group: 'batch', version: 'v1', plural: 'jobs', kind: 'Job' },
  JobSet: { group: 'jobset.x-k8s.io', version: 'v1alpha2', plural: 'jobsets', kind: 'JobSet', optional: true },
  LeaderWorkerSet: {
    group: 'leaderworkerset.x-k8s.io',
    version: 'v1',
    plural: 'leaderworkersets',
    kind: 'LeaderWorkerSet',
    optional: true,
  },
  PyTorchJob: { group: 'kubeflow.org', version: 'v1', plural: 'pytorchjobs', kind: 'PyTorchJob', optional: true },
  MPIJob: { group: 'kubeflow.org', version: 'v1', plural: 'mpijobs', kind: 'MPIJob', optional: true },
  kueue: { group: 'kueue.x-k8s.io', version: 'v1beta1', plural: 'workloads', kind: 'Workload', optional: true },
  bindings: {
    group: 'work.karmada.io',
    version: 'v1alpha2',
    plural: 'resourcebindings',
    kind: 'ResourceBinding',
    optional: true,
  },
} as const satisfies Record<string, ResourceKind>;

const TEMPLATE_DIGEST: Readonly<Record<TopKind, (o: KubeObject) => TemplateDigest>> = {
  Deployment: digestDeployment,
  StatefulSet: digestDeployment,
  Job: digestJob,
  JobSet: digestComposite,
  LeaderWorkerSet: digestComposite,
  PyTorchJob: digestComposite,
  MPIJob: digestComposite,
};

interface ClusterMirrors {
  readonly name: string;
  readonly region: string;
  readonly pods?: Reflector<PodDigest>;
  readonly replicaSets?: Reflector<ObjectDigest>;
  readonly templates: Map<TopKind, Reflector<TemplateDigest>>;
  readonly kueue?: Reflector<KueueDigest>;
  readonly bindings?: Reflector<BindingDigest>;
  readonly memberRegions?: Readonly<Record<string, string>>;
  readonly all: Reflector<unknown>[];
}

export interface ObserverStats {
  /** Rows written, and passes that wrote them. */
  rowsWritten: number;
  flushes: number;
  /** Malformed annotations seen (each object and key counted once while it stays malformed). */
  annotationErrors: number;
  /** Failed writes to the store (retried at the next flush). */
  writeErrors: number;
  /** Workloads the observer sees now. */
  workloads: number;
}

export interface ObserverOptions {
  readonly config: ObserverConfig;
  readonly store: Pick<Store, 'insert' | 'query'>;
  readonly log: (line: string) => void;
  /** A kubeconfig already loaded (tests); default: config.kubeconfig or the default lookup. */
  readonly kubeConfig?: KubeConfig;
  readonly now?: () => number;
}

/** Everything in a row but its timestamp: what decides whether a row is written again. */
function rowKey(r: WorkloadRow): string {
  const { ts: _ts, ...rest } = r;
  return JSON.stringify(rest);
}

function contextFor(make: () => KubeConfig, kc: KubeConfig, region: string, context: string | undefined): KubeConfig {
  const c = make();
  c.loadFromString(kc.exportConfig());
  const name = context ?? (kc.getContexts().some((x) => x.name === region) ? region : kc.getCurrentContext());
  if (!c.getContexts().some((x) => x.name === name))
    throw new Error(`observer: kubeconfig has no context "${name}" (for region ${region})`);
  c.setCurrentContext(name);
  return c;
}

export class WorkloadObserver {
  readonly stats: ObserverStats = { rowsWritten: 0, flushes: 0, annotationErrors: 0, writeErrors: 0, workloads: 0 };
  /** The last malformed annotations, `Kind ns/name: key: message`, for the log and /metrics. */
  readonly problems = new Map<string, WorkloadProblem>();
  private readonly clusters: ClusterMirrors[] = [];
  /** workload_id → the row last written. */
  private readonly written = new Map<string, WorkloadRow>();
  /** workload_id → rowKey of the row last written (not recomputed at every flush). */
  private readonly writtenKeys = new Map<string, string>();
  private dirty = true;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private reconciledStore = false;
  private readonly now: () => number;
  /** Each GPU pod's workload, for the GPU-holder queries (pod_workloads). */
  private readonly podRows: PodWorkloadRows;

  /**
   * Loads the Kubernetes client (only now: see reflector.ts) and the kubeconfig, and makes one set
   * of mirrors per cluster. A context the kubeconfig lacks is an error naming it.
   */
  static async create(o: ObserverOptions): Promise<WorkloadObserver> {
    const { KubeConfig } = await import('@kubernetes/client-node');
    let kc = o.kubeConfig;
    if (!kc) {
      kc = new KubeConfig();
      if (o.config.kubeconfig) kc.loadFromFile(o.config.kubeconfig);
      else kc.loadFromDefault();
    }
    return new WorkloadObserver(o, kc, () => new KubeConfig());
  }

  private constructor(
    private readonly o: ObserverOptions,
    kc: KubeConfig,
    make: () => KubeConfig,
  ) {
    this.now = o.now ?? Date.now;
    this.podRows = new PodWorkloadRows(o.config.source, o.store);
    const c = o.config;
    for (const cl of c.clusters)
      this.clusters.push(this.mirrors(contextFor(make, kc, cl.region, cl.context), cl.region, false));
    if (c.karmada) {
      const k = this.mirrors(contextFor(make, kc, 'karmada', c.karmada.context), '', true, c.karmada.clusters ?? {});
      this.clusters.push(k);
    }
  }

  private mirrors(kc: KubeConfig, region: string, karmada: boolean, memberRegions?: Record<string, string>) {
    const c = this.o.config;
    const name = kc.getCurrentContext();
    const all: Reflector<unknown>[] = [];
    const make = <D>(kind: ResourceKind, digest: (o: KubeObject) => D | undefined): Reflector<D> => {
      const r = new Reflector<D>({
        kubeConfig: kc,
        kind,
        digest,
        onChange: () => {
          this.dirty = true;
        },
        onError: (err) => this.o.log(`cluster ${name}: ${kind.plural}: ${err.message} (retrying)`),
        pageSize: c.pageSize,
        resyncMs: c.resyncSeconds * 1000,
        backoffMs: { baseMs: c.backoff.baseSeconds * 1000, maxMs: c.backoff.maxSeconds * 1000 },
      });
      all.push(r as Reflector<unknown>);
      return r;
    };
    const templates = new Map<TopKind, Reflector<TemplateDigest>>();
    for (const [kind, digest] of Object.entries(TEMPLATE_DIGEST) as [TopKind, (o: KubeObject) => TemplateDigest][])
      templates.set(kind, make(RESOURCES[kind], digest));
    // Karmada's control plane holds templates and bindings; its pods run in the member clusters.
    return {
      name,
      region,
      templates,
      all,
      ...(karmada
        ? { bindings: make(RESOURCES.bindings, digestBinding), memberRegions: memberRegions ?? {} }
        : {
            pods: make(RESOURCES.pods, digestPod),
            replicaSets: make(RESOURCES.replicaSets, digestOwnerOnly),
            kueue: make(RESOURCES.kueue, digestKueue),
          }),
    } satisfies ClusterMirrors;
  }

  /** Starts every mirror and the flush timer. */
  start(): void {
    for (const c of this.clusters) for (const r of c.all) r.start();
    this.timer = setInterval(() => {
      if (!this.dirty || this.flushing) return;
      this.flushing = this.flush()
        .then(() => undefined)
        .catch((err: unknown) => {
          this.stats.writeErrors++;
          this.o.log(`writing workloads failed: ${err instanceof Error ? err.message : String(err)} (retrying)`);
          this.dirty = true;
        })
        .finally(() => {
          this.flushing = undefined;
        });
    }, this.o.config.flushSeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flushing;
    await Promise.all(this.clusters.flatMap((c) => c.all.map((r) => r.stop())));
  }

  /**
   * Resolves once every mirror has listed and the first rows are written (`meridian schedule --once`
   * plans from them). Checks every 50 ms; gives up after `timeoutMs`, naming the mirrors not listed.
   */
  async waitForSync(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.synced) {
      if (Date.now() > deadline) {
        const behind = this.clusters.flatMap((c) =>
          c.all.filter((r) => !r.synced).map((r) => `${c.name}/${r.kindName}`),
        );
        throw new Error(`observer: not listed after ${timeoutMs / 1000} s: ${behind.join(', ')}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.flush();
  }

  /** Every mirror has listed once: the view is complete. */
  get synced(): boolean {
    return this.clusters.every((c) => c.all.every((r) => r.synced));
  }

  reflectorStats(): { cluster: string; resource: string; stats: ReflectorStats; absent: boolean }[] {
    return this.clusters.flatMap((c) =>
      c.all.map((r) => ({ cluster: c.name, resource: r.kindName, stats: r.stats, absent: r.absent })),
    );
  }

  /** Lists every resource again now (the periodic resync, on demand). */
  resync(): void {
    for (const c of this.clusters) for (const r of c.all) r.resync();
  }

  /** The rows the clusters stand for now (without writing them); only clusters that have listed. */
  current(ts = this.now(), onPod?: OnPod): { rows: WorkloadRow[]; problems: WorkloadProblem[] } {
    const problems: WorkloadProblem[] = [];
    return { rows: groupWorkloads(this.views(), ts, this.o.config.source, problems, onPod), problems };
  }

  /** What the clusters that have listed hold now. */
  private views(): ClusterView[] {
    return this.clusters.filter((c) => c.all.every((r) => r.synced)).map((c) => this.viewOf(c));
  }

  private viewOf(c: ClusterMirrors): ClusterView {
    return {
      name: c.name,
      region: c.region,
      pods: c.pods?.items ?? new Map(),
      replicaSets: c.replicaSets?.items ?? new Map(),
      templates: new Map([...c.templates].map(([k, r]) => [k, r.items])),
      kueue: c.kueue?.items ?? new Map(),
      ...(c.bindings ? { bindings: c.bindings.items, memberRegions: c.memberRegions ?? {} } : {}),
    };
  }

  /**
   * Writes the rows that changed, and a final `done` row for each workload that is gone. Returns the
   * rows written. A cluster that has not listed yet (unreachable since the start) does not hold the
   * others back, but while one has not, no workload is declared gone: it may be running there.
   */
  async flush(): Promise<WorkloadRow[]> {
    const listed = this.clusters.filter((c) => c.all.every((r) => r.synced)).length;
    if (listed === 0) return [];
    const complete = listed === this.clusters.length;
    this.dirty = !complete;
    const ts = this.now();
    await this.podRows.begin();
    // Each GPU pod's workload, as the grouping reads it (Karmada's control plane has no pods).
    const { rows, problems } = this.current(ts, (v, key, pod, kind, id) =>
      this.podRows.see(v.region, v.name, key, pod, kind, id, ts),
    );
    this.noteProblems(problems);
    if (!this.reconciledStore) await this.loadOpenRows();
    const out: WorkloadRow[] = [];
    const seen = new Set<string>();
    for (const r of rows) {
      seen.add(r.workload_id);
      const last = this.written.get(r.workload_id);
      if (!last) out.push(r);
      else {
        let lastKey = this.writtenKeys.get(r.workload_id);
        if (lastKey === undefined) this.writtenKeys.set(r.workload_id, (lastKey = rowKey(last)));
        if (lastKey !== rowKey(r)) out.push(r);
      }
    }
    if (complete)
      for (const [id, last] of this.written)
        if (!seen.has(id) && last.state !== 'done' && last.state !== 'failed') out.push({ ...last, ts, state: 'done' });
    this.stats.workloads = rows.length;
    if (out.length > 0) {
      await this.o.store.insert('workloads', out);
      this.stats.rowsWritten += out.length;
      this.stats.flushes++;
    }
    for (const r of out) {
      this.writtenKeys.delete(r.workload_id);
      if (r.state === 'done' && !seen.has(r.workload_id)) this.written.delete(r.workload_id);
      else this.written.set(r.workload_id, r);
    }
    const listedRegions = new Set(
      this.clusters.filter((c) => c.pods && c.all.every((r) => r.synced)).map((c) => c.region),
    );
    await this.podRows.end(listedRegions, complete, ts);
    return out;
  }

  /** Open rows an earlier run left in the store: a workload no cluster has any more gets its `done`. */
  private async loadOpenRows(): Promise<void> {
    const open = await this.o.store.query<Record<string, unknown>>(
      `SELECT workload_id, kind, comm_class, gpus, region, checkpoint_bytes, state, priority, pinned,
              coupled_with, replica_gpus, gpu_model, latency_budget_ms
       FROM workloads FINAL WHERE source = {source:String} AND state NOT IN ('done', 'failed')`,
      { source: this.o.config.source },
    );
    for (const r of open) {
      const id = String(r.workload_id);
      if (this.written.has(id)) continue;
      this.written.set(id, {
        ts: 0,
        source: this.o.config.source,
        workload_id: id,
        kind: String(r.kind) as WorkloadRow['kind'],
        comm_class: String(r.comm_class) as WorkloadRow['comm_class'],
        gpus: Number(r.gpus),
        region: String(r.region),
        checkpoint_bytes: Number(r.checkpoint_bytes),
        state: String(r.state) as WorkloadRow['state'],
        priority: Number(r.priority),
        pinned: Number(r.pinned),
        coupled_with: Array.isArray(r.coupled_with) ? r.coupled_with.map(String) : [],
        replica_gpus: Number(r.replica_gpus),
        gpu_model: String(r.gpu_model ?? ''),
        last_checkpoint_ts: null,
        latency_budget_ms: Number(r.latency_budget_ms),
      });
    }
    this.reconciledStore = true;
  }

  /** Counts and logs each malformed annotation once (until it is fixed and breaks again). */
  private noteProblems(problems: readonly WorkloadProblem[]): void {
    const now = new Set<string>();
    for (const p of problems) {
      const k = `${p.object}|${p.key}|${p.value}`;
      now.add(k);
      if (this.problems.has(k)) continue;
      this.problems.set(k, p);
      this.stats.annotationErrors++;
      this.o.log(`${p.object}: annotation ${p.key}="${p.value.slice(0, 80)}": ${p.message}; using the default`);
    }
    for (const k of this.problems.keys()) if (!now.has(k)) this.problems.delete(k);
  }
}
