/**
 * Pods to workloads, as a user thinks of them: a pod belongs to the object at the top of its owner
 * chain (Pod → ReplicaSet → Deployment; Pod → Job → JobSet; Pod → StatefulSet → LeaderWorkerSet;
 * Pod → PyTorchJob/MPIJob). Each workload becomes one `workloads` row; a workload with the same
 * namespace/name in several clusters (one Deployment per region) is one row, in the region that runs
 * most of its GPUs. Only workloads that ask for GPUs are rows.
 */
import type { WorkloadRow } from '@meridian/store';
import { DEFAULT_CHECKPOINT_BYTES_PER_GPU, readAnnotations, type AnnotationProblem } from './annotations.js';
import type { BindingDigest, KueueDigest, ObjectDigest, PodDigest, TemplateDigest } from './digest.js';

/** Kinds that are workloads in their own right (top of an owner chain). */
export const TOP_KINDS = [
  'Deployment',
  'StatefulSet',
  'Job',
  'JobSet',
  'LeaderWorkerSet',
  'PyTorchJob',
  'MPIJob',
] as const;
export type TopKind = (typeof TOP_KINDS)[number];

const ROW_KIND: Readonly<Record<TopKind | 'Pod', WorkloadRow['kind']>> = {
  Deployment: 'inference',
  StatefulSet: 'inference',
  LeaderWorkerSet: 'inference',
  Job: 'batch',
  JobSet: 'training',
  PyTorchJob: 'training',
  MPIJob: 'training',
  Pod: 'batch',
};
const DEFAULT_COMM: Readonly<Record<WorkloadRow['kind'], WorkloadRow['comm_class']>> = {
  inference: 'inference',
  training: 'data_parallel',
  batch: 'independent',
};

/** What one cluster's mirrors hold, by namespace/name. */
export interface ClusterView {
  readonly name: string;
  /** The region of the cluster (one kubeconfig context per region). */
  readonly region: string;
  readonly pods: ReadonlyMap<string, PodDigest>;
  readonly replicaSets: ReadonlyMap<string, ObjectDigest>;
  /** Top-kind objects (and StatefulSets/Jobs that an LWS or JobSet owns). */
  readonly templates: ReadonlyMap<TopKind, ReadonlyMap<string, TemplateDigest>>;
  readonly kueue: ReadonlyMap<string, KueueDigest>;
  /** Karmada's control plane: bindings, and member cluster → region. */
  readonly bindings?: ReadonlyMap<string, BindingDigest>;
  readonly memberRegions?: Readonly<Record<string, string>>;
}

export interface WorkloadProblem extends AnnotationProblem {
  /** `Kind namespace/name` in cluster `c`. */
  readonly object: string;
}

interface Acc {
  kind: TopKind | 'Pod';
  id: string;
  namespace: string;
  /** GPUs by region, of pods that are scheduled and not finished. */
  active: Map<string, number>;
  runningPods: number;
  pendingGpus: number;
  priority: number;
  gpuModel: string;
  template?: TemplateDigest;
  templateRegion: string;
  kueue?: KueueDigest;
  /** Karmada: replicas by region from the ResourceBinding. */
  bound?: Map<string, number>;
}

const nsKey = (ns: string, name: string) => `${ns}/${name}`;

const isTop = (k: string): k is TopKind => (TOP_KINDS as readonly string[]).includes(k);

/** The top of a pod's owner chain in one cluster; a pod no workload owns is its own. */
function topOf(pod: PodDigest, v: ClusterView): { kind: TopKind | 'Pod'; name: string; key?: string } {
  let cur = pod.owner;
  let top: { kind: TopKind; name: string; key: string } | undefined;
  // Climb while the chain goes through kinds we know: Job → JobSet, StatefulSet → LWS, RS → Deployment.
  for (let hop = 0; hop < 4 && cur; hop++) {
    const kind = cur.kind;
    if (isTop(kind)) top = { kind, name: cur.name, key: cur.key };
    else if (kind !== 'ReplicaSet') break;
    cur = (isTop(kind) ? v.templates.get(kind)?.get(cur.key) : v.replicaSets.get(cur.key))?.owner;
  }
  return top ?? { kind: 'Pod', name: pod.name };
}

/**
 * Called for each GPU pod that counts toward a workload (scheduled or not, not finished), with the
 * mirror's key of the pod and the workload id its owner chain leads to (pod_workloads).
 */
export type OnPod = (view: ClusterView, key: string, pod: PodDigest, kind: TopKind | 'Pod', workloadId: string) => void;

function acc(map: Map<string, Acc>, kind: TopKind | 'Pod', namespace: string, name: string, key?: string): Acc {
  const id = key ?? nsKey(namespace, name);
  let a = map.get(id);
  if (!a) {
    a = {
      kind,
      id,
      namespace,
      active: new Map(),
      runningPods: 0,
      pendingGpus: 0,
      priority: 0,
      gpuModel: '',
      templateRegion: '',
    };
    map.set(id, a);
  }
  return a;
}

function collect(views: readonly ClusterView[], onPod?: OnPod): Map<string, Acc> {
  const out = new Map<string, Acc>();
  for (const v of views) {
    for (const [key, pod] of v.pods) {
      if (pod.gpus <= 0 || pod.phase === 'Succeeded' || pod.phase === 'Failed') continue;
      const top = topOf(pod, v);
      const a = acc(out, top.kind, pod.namespace, top.name, top.kind === 'Pod' ? key : top.key);
      onPod?.(v, key, pod, top.kind, a.id);
      if (pod.scheduled) a.active.set(v.region, (a.active.get(v.region) ?? 0) + pod.gpus);
      else a.pendingGpus += pod.gpus;
      if (pod.phase === 'Running') a.runningPods++;
      a.priority = Math.max(a.priority, pod.priority);
      if (!a.gpuModel) a.gpuModel = pod.gpuModel;
    }
    for (const [kind, objs] of v.templates)
      for (const t of objs.values()) {
        // Owned by another top kind (a JobSet's Jobs, an LWS's StatefulSets): counted under the owner.
        if (t.owner && isTop(t.owner.kind)) continue;
        const id = nsKey(t.namespace, t.name);
        const wanted = t.pods * t.gpusPerPod;
        if (!out.has(id) && (wanted <= 0 || t.pods === 0)) continue;
        const a = acc(out, kind, t.namespace, t.name);
        // The same object in several clusters: the one that wants most speaks for it.
        if (!a.template || t.pods * t.gpusPerPod > a.template.pods * a.template.gpusPerPod) {
          a.template = t;
          a.templateRegion = v.region;
        }
        a.priority = Math.max(a.priority, t.priority);
        if (!a.gpuModel) a.gpuModel = t.gpuModel;
        const b = v.bindings?.get(`${t.namespace}/${t.name}-${kind.toLowerCase()}`);
        if (b) {
          a.bound = new Map();
          for (const c of b.clusters) {
            const region = v.memberRegions?.[c.name] ?? c.name;
            a.bound.set(region, (a.bound.get(region) ?? 0) + c.replicas);
          }
        }
      }
    for (const k of v.kueue.values()) {
      const owner = k.owner;
      if (!owner) continue;
      const a = out.get(owner.key);
      if (a) a.kueue = k;
    }
  }
  return out;
}

function largest(m: ReadonlyMap<string, number>): [string, number] | undefined {
  let best: [string, number] | undefined;
  for (const e of m) if (!best || e[1] > best[1] || (e[1] === best[1] && e[0] < best[0])) best = e;
  return best;
}

function stateOf(a: Acc, activeGpus: number): WorkloadRow['state'] {
  const t = a.template;
  if (t?.finished === 'done') return 'done';
  if (t?.finished === 'failed') return 'failed';
  if (a.kueue?.finished) return 'done';
  if (a.kueue && !a.kueue.admitted) return 'queued';
  if (t?.finished === 'suspended') return 'queued';
  if (a.bound) return [...a.bound.values()].some((r) => r > 0) ? 'running' : 'queued';
  return activeGpus > 0 ? 'running' : 'queued';
}

/**
 * The rows the clusters stand for now; malformed annotations go to `problems`; `onPod` hears each
 * GPU pod's workload on the way.
 */
export function groupWorkloads(
  views: readonly ClusterView[],
  ts: number,
  source: string,
  problems: WorkloadProblem[],
  onPod?: OnPod,
): WorkloadRow[] {
  const rows: WorkloadRow[] = [];
  for (const a of collect(views, onPod).values()) {
    const t = a.template;
    const perPod = t?.gpusPerPod ?? 0;
    let region: string;
    let gpus: number;
    const place = a.bound && perPod > 0 ? largest(a.bound) : largest(a.active);
    if (a.bound && perPod > 0) {
      gpus = Math.round([...a.bound.values()].reduce((n, r) => n + r, 0) * perPod);
      region = place?.[0] ?? a.templateRegion;
    } else {
      gpus = [...a.active.values()].reduce((n, g) => n + g, 0);
      region = place?.[0] ?? a.templateRegion;
    }
    const state = stateOf(a, gpus);
    if (state === 'queued' || gpus === 0)
      gpus = Math.max(gpus, a.kueue?.gpus ?? 0, t ? Math.round(t.pods * perPod) : 0, a.pendingGpus);
    if (!region) region = views[0]?.region ?? '';
    const kind = ROW_KIND[a.kind];
    const objProblems: AnnotationProblem[] = [];
    const ann = readAnnotations(t?.annotations, a.namespace, objProblems);
    for (const p of objProblems) problems.push({ ...p, object: `${a.kind} ${a.id}` });
    const replicaGpus = a.kind === 'Deployment' || a.kind === 'StatefulSet' ? Math.round(perPod) : 0;
    rows.push({
      ts,
      source,
      workload_id: a.id,
      kind,
      comm_class: ann.comm_class ?? DEFAULT_COMM[kind],
      gpus,
      region,
      checkpoint_bytes: ann.checkpoint_bytes ?? Math.round(gpus * DEFAULT_CHECKPOINT_BYTES_PER_GPU[kind]),
      state,
      priority: Math.max(a.priority, a.kueue?.priority ?? 0),
      pinned: ann.pinned ?? 0,
      coupled_with: ann.coupled_with ?? [],
      replica_gpus: replicaGpus,
      gpu_model: a.gpuModel,
      last_checkpoint_ts: ann.last_checkpoint_ts ?? null,
      latency_budget_ms: ann.latency_budget_ms ?? 0,
    });
  }
  return rows.sort((x, y) => (x.workload_id < y.workload_id ? -1 : x.workload_id > y.workload_id ? 1 : 0));
}
