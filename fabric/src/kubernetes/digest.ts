/**
 * The few fields of each Kubernetes object the observer needs, taken once when the object arrives.
 * Field names follow the Kubernetes API reference (core/v1 Pod, apps/v1, batch/v1) and the CRDs of
 * JobSet, LeaderWorkerSet, Kubeflow's training operator, Kueue and Karmada.
 */
import type { KubeObject } from './reflector.js';

/** Node labels that name the GPU model (NVIDIA GPU Feature Discovery), in order of preference. */
export const GPU_MODEL_LABELS = ['nvidia.com/gpu.product', 'cloud.google.com/gke-accelerator'];
const GPU_RESOURCE = 'nvidia.com/gpu';
const MIG_RESOURCE = /^nvidia\.com\/mig-/;

export interface Owner {
  readonly kind: string;
  readonly name: string;
  /** `namespace/name` of the owner, the mirrors' key: made once here, not at every flush's grouping. */
  readonly key: string;
}

/** What any workload object carries: identity, owner, Meridian's annotations. */
export interface ObjectDigest {
  readonly namespace: string;
  readonly name: string;
  readonly owner?: Owner;
  /** Only the `meridian.dev/*` annotations. */
  readonly annotations?: Readonly<Record<string, string>>;
  readonly created: number;
}

export interface PodDigest extends ObjectDigest {
  readonly phase: string;
  readonly gpus: number;
  readonly scheduled: boolean;
  readonly priority: number;
  readonly gpuModel: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface TemplateDigest extends ObjectDigest {
  /** GPUs one pod of the template asks for. */
  readonly gpusPerPod: number;
  /** Pods the object wants (replicas, parallelism, or the sum over its replica specs). */
  readonly pods: number;
  readonly priority: number;
  readonly priorityClass: string;
  readonly gpuModel: string;
  /** done: completed; failed: failed; suspended: waiting for admission (Kueue); '' otherwise. */
  readonly finished: '' | 'done' | 'failed' | 'suspended';
  /** Ready replicas as the object's status reports them (Deployments, StatefulSets, Karmada templates). */
  readonly ready: number;
}

export interface KueueDigest extends ObjectDigest {
  readonly admitted: boolean;
  readonly finished: boolean;
  readonly gpus: number;
  readonly priority: number;
}

export interface BindingDigest extends ObjectDigest {
  readonly resource: { readonly kind: string; readonly namespace: string; readonly name: string };
  readonly clusters: readonly { readonly name: string; readonly replicas: number }[];
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const int = (v: unknown): number => {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : 0;
};

function base(o: KubeObject): ObjectDigest {
  const m = o.metadata ?? {};
  const ctl = (m.ownerReferences ?? []).find((r) => r.controller) ?? m.ownerReferences?.[0];
  const ann: Record<string, string> = {};
  let any = false;
  for (const [k, v] of Object.entries(m.annotations ?? {}))
    if (k.startsWith('meridian.dev/')) {
      ann[k] = v;
      any = true;
    }
  // One literal of a fixed shape, absent fields undefined (no conditional spreads): objects built by
  // spreading grew the observer's old generation by ~2 MB/s at 1,000 pod events/s (bench:observer).
  return {
    namespace: m.namespace ?? '',
    name: m.name ?? '',
    owner: ctl ? { kind: ctl.kind, name: ctl.name, key: `${m.namespace ?? ''}/${ctl.name}` } : undefined,
    annotations: any ? ann : undefined,
    created: Date.parse(m.creationTimestamp ?? '') || 0,
  };
}

/** GPUs a quantity map asks for: `nvidia.com/gpu` plus every MIG slice (`nvidia.com/mig-1g.10gb`). */
export function gpuQuantity(resources: unknown): number {
  const r = obj(resources);
  // Extended resources must have requests equal to limits; either may be the one written.
  const q = { ...obj(r.requests), ...obj(r.limits) };
  let n = 0;
  for (const [k, v] of Object.entries(q)) if (k === GPU_RESOURCE || MIG_RESOURCE.test(k)) n += int(v);
  return n;
}

/** GPUs one pod of a pod spec asks for: its containers' sum, or its largest init container. */
function podSpecGpus(spec: Obj): number {
  const run = arr(spec.containers).reduce<number>((n, c) => n + gpuQuantity(obj(c).resources), 0);
  const init = arr(spec.initContainers).reduce<number>((n, c) => Math.max(n, gpuQuantity(obj(c).resources)), 0);
  return Math.max(run, init);
}

/** The GPU model a pod spec is pinned to: a node selector, or a required node-affinity term. */
export function podSpecGpuModel(spec: Obj): string {
  const sel = obj(spec.nodeSelector);
  for (const l of GPU_MODEL_LABELS) if (typeof sel[l] === 'string') return sel[l];
  const terms = arr(
    obj(obj(obj(spec.affinity).nodeAffinity).requiredDuringSchedulingIgnoredDuringExecution).nodeSelectorTerms,
  );
  for (const t of terms)
    for (const e of arr(obj(t).matchExpressions)) {
      const x = obj(e);
      const values = arr(x.values);
      if (GPU_MODEL_LABELS.includes(String(x.key)) && x.operator === 'In' && typeof values[0] === 'string')
        return values[0];
    }
  return '';
}

const WORKLOAD_LABELS = [
  'job-name',
  'jobset.sigs.k8s.io/jobset-name',
  'leaderworkerset.sigs.k8s.io/name',
  'training.kubeflow.org/job-name',
];

export function digestPod(o: KubeObject): PodDigest | undefined {
  const spec = obj(o.spec);
  const status = obj(o.status);
  const labels: Record<string, string> = {};
  for (const l of WORKLOAD_LABELS) {
    const v = o.metadata?.labels?.[l];
    if (v !== undefined) labels[l] = v;
  }
  const b = base(o);
  // A fixed-shape literal, like base's: the mirror holds 10,000s of these and updates them in place.
  return {
    namespace: b.namespace,
    name: b.name,
    owner: b.owner,
    annotations: b.annotations,
    created: b.created,
    phase: typeof status.phase === 'string' ? status.phase : 'Pending',
    gpus: podSpecGpus(spec),
    scheduled: typeof spec.nodeName === 'string' && spec.nodeName !== '',
    priority: int(spec.priority),
    gpuModel: podSpecGpuModel(spec),
    labels: Object.keys(labels).length ? labels : undefined,
  };
}

function conditionTrue(status: Obj, type: string): boolean {
  return arr(status.conditions).some((c) => obj(c).type === type && obj(c).status === 'True');
}

/** Pod template digest of an object whose `spec.template` is one pod template. */
function templateOf(o: KubeObject, pods: number, finished: TemplateDigest['finished'], ready: number): TemplateDigest {
  const podSpec = obj(obj(obj(o.spec).template).spec);
  return {
    ...base(o),
    gpusPerPod: podSpecGpus(podSpec),
    pods,
    priority: int(podSpec.priority),
    priorityClass: typeof podSpec.priorityClassName === 'string' ? podSpec.priorityClassName : '',
    gpuModel: podSpecGpuModel(podSpec),
    finished,
    ready,
  };
}

export function digestDeployment(o: KubeObject): TemplateDigest {
  const spec = obj(o.spec);
  const replicas = spec.replicas === undefined ? 1 : int(spec.replicas);
  return templateOf(o, replicas, '', int(obj(o.status).readyReplicas));
}

export function digestJob(o: KubeObject): TemplateDigest {
  const spec = obj(o.spec);
  const status = obj(o.status);
  const finished = conditionTrue(status, 'Complete')
    ? 'done'
    : conditionTrue(status, 'Failed')
      ? 'failed'
      : spec.suspend === true
        ? 'suspended'
        : '';
  const pods = spec.parallelism === undefined ? 1 : int(spec.parallelism);
  return templateOf(o, pods, finished, int(status.active));
}

/** Just the owner link (ReplicaSets: Pod → ReplicaSet → Deployment). */
export function digestOwnerOnly(o: KubeObject): ObjectDigest {
  return base(o);
}

/**
 * Objects made of several pod templates: JobSet (`spec.replicatedJobs[].template.spec` is a Job
 * spec), LeaderWorkerSet (`spec.leaderWorkerTemplate`), PyTorchJob/MPIJob (`spec.*ReplicaSpecs`).
 */
export function digestComposite(o: KubeObject): TemplateDigest {
  const spec = obj(o.spec);
  const status = obj(o.status);
  let pods = 0;
  let gpus = 0;
  let podSpec: Obj = {};
  const add = (n: number, ps: Obj) => {
    pods += n;
    gpus += n * podSpecGpus(ps);
    if (Object.keys(podSpec).length === 0) podSpec = ps;
  };
  for (const rj of arr(spec.replicatedJobs)) {
    const job = obj(obj(obj(rj).template).spec);
    const perJob = job.parallelism === undefined ? 1 : int(job.parallelism);
    add(int(obj(rj).replicas ?? 1) * perJob, obj(obj(job.template).spec));
  }
  const lwt = obj(spec.leaderWorkerTemplate);
  if (Object.keys(lwt).length) {
    const groups = spec.replicas === undefined ? 1 : int(spec.replicas);
    const size = lwt.size === undefined ? 1 : int(lwt.size);
    const worker = obj(obj(lwt.workerTemplate).spec);
    const leader = obj(obj(lwt.leaderTemplate).spec);
    add(groups, Object.keys(leader).length ? leader : worker);
    add(groups * (size - 1), worker);
  }
  for (const key of ['pytorchReplicaSpecs', 'mpiReplicaSpecs'])
    for (const rs of Object.values(obj(spec[key]))) {
      const r = obj(rs);
      add(r.replicas === undefined ? 1 : int(r.replicas), obj(obj(r.template).spec));
    }
  const finished =
    conditionTrue(status, 'Completed') || conditionTrue(status, 'Succeeded')
      ? 'done'
      : conditionTrue(status, 'Failed')
        ? 'failed'
        : spec.suspend === true || obj(spec.runPolicy).suspend === true
          ? 'suspended'
          : '';
  return {
    ...base(o),
    gpusPerPod: pods > 0 ? gpus / pods : 0,
    pods,
    priority: int(podSpec.priority),
    priorityClass: typeof podSpec.priorityClassName === 'string' ? podSpec.priorityClassName : '',
    gpuModel: podSpecGpuModel(podSpec),
    finished,
    ready: int(status.readyReplicas),
  };
}

/** Kueue `Workload`: admitted (quota reserved and admitted) or still queued; its pod sets' GPUs. */
export function digestKueue(o: KubeObject): KueueDigest {
  const spec = obj(o.spec);
  const status = obj(o.status);
  let gpus = 0;
  for (const ps of arr(spec.podSets)) {
    const p = obj(ps);
    gpus += int(p.count ?? 1) * podSpecGpus(obj(obj(p.template).spec));
  }
  return {
    ...base(o),
    admitted: conditionTrue(status, 'Admitted') || Object.keys(obj(status.admission)).length > 0,
    finished: conditionTrue(status, 'Finished'),
    gpus,
    priority: int(spec.priority),
  };
}

/** Karmada `ResourceBinding`: which template it binds, and the member clusters with their replicas. */
export function digestBinding(o: KubeObject): BindingDigest {
  const spec = obj(o.spec);
  const r = obj(spec.resource);
  return {
    ...base(o),
    resource: { kind: String(r.kind ?? ''), namespace: String(r.namespace ?? ''), name: String(r.name ?? '') },
    clusters: arr(spec.clusters).map((c) => ({ name: String(obj(c).name ?? ''), replicas: int(obj(c).replicas) })),
  };
}
