/**
 * The Kubernetes executor, through @kubernetes/client-node. Two ways to move work between regions:
 *  - karmada: one Karmada control plane; the workload's PropagationPolicy (same name as the
 *    workload) gets new static weights per member cluster (replicaScheduling Divided/Weighted).
 *  - deployments: one cluster per region (a kubeconfig context each); the workload's Deployment is
 *    scaled up in the destination first, and down in the source only once the destination reports
 *    the new replicas ready (make-before-break): the service never serves from fewer replicas.
 * Every write is a JSON merge patch (application/merge-patch+json).
 *
 * Placement (karmada mode, with `placementPolicy`): the static weights of one PropagationPolicy or
 * ClusterPropagationPolicy, the one that governs NEW workloads, are set to the placement weights.
 */
import { cmp } from '../order.js';
import { AppsV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Executor, Move, MoveOutcome, PlaceOutcome } from './executor.js';

export interface KubernetesExecutorOptions {
  readonly mode: 'karmada' | 'deployments';
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  /** deployments: region → context name; default: the region's name. */
  readonly contexts?: Readonly<Record<string, string>>;
  /** karmada: region → member cluster name; default: the region's name. */
  readonly clusters?: Readonly<Record<string, string>>;
  /** How long a move is expected to take (reported to the loop's verify step). */
  readonly expectedDurationMs?: number;
  /**
   * deployments: how long the destination's new replicas may take to become ready (default 300 s).
   * Past it the destination is scaled back and the source left as it was: nothing moved.
   */
  readonly readyTimeoutMs?: number;
  /** deployments: how often the destination's ready replicas are read while waiting (default 2 s). */
  readonly readyPollMs?: number;
  /**
   * karmada: the policy whose static weights the placement weights set (config `placement.policy`).
   * Without it the executor does not place.
   */
  readonly placementPolicy?: PlacementPolicyRef;
}

export interface PlacementPolicyRef {
  readonly kind: 'PropagationPolicy' | 'ClusterPropagationPolicy';
  /** PropagationPolicy only. */
  readonly namespace?: string;
  readonly name: string;
}

interface StaticWeight {
  targetCluster: { clusterNames: string[] };
  weight: number;
}

interface PropagationPolicy {
  spec?: {
    placement?: {
      replicaScheduling?: {
        weightPreference?: { staticWeightList?: StaticWeight[] };
      };
    };
  };
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * Karmada's static weights, one entry per cluster in a stable order. They are integers of at least
 * 1: a weight that rounds to 0 leaves its cluster out.
 */
function toStaticWeightList(byCluster: ReadonlyMap<string, number>): StaticWeight[] {
  return [...byCluster]
    .map(([c, w]) => [c, Math.round(w)] as const)
    .filter(([, w]) => w >= 1)
    .sort(([a], [b]) => cmp(a, b))
    .map(([c, weight]) => ({ targetCluster: { clusterNames: [c] }, weight }));
}

/** The merge patch that divides a policy's replicas by static weights. */
function weightedPlacementPatch(weightPreference: { staticWeightList: StaticWeight[]; dynamicWeight?: null }) {
  return {
    spec: {
      placement: {
        replicaScheduling: {
          replicaSchedulingType: 'Divided',
          replicaDivisionPreference: 'Weighted',
          weightPreference,
        },
      },
    },
  };
}

/**
 * The placement policy's patch: its static weights, and `activationPreference: Lazy` (Karmada
 * 1.9 and later). Without it Karmada re-divides, at every weight change, the replicas of every
 * workload the policy already placed: steering meant for new work would move running work each
 * pass, outside the planner's cost, cooldown and rate limits. Lazy defers a change for an existing
 * workload until its own template changes; new workloads get the weights at once.
 */
function lazyPlacementPatch(staticWeightList: StaticWeight[]) {
  const patch = weightedPlacementPatch({ staticWeightList, dynamicWeight: null });
  return { spec: { activationPreference: 'Lazy', ...patch.spec } };
}

function errorText(err: unknown): string {
  const e = err as { code?: number; body?: unknown; message?: string };
  const body = typeof e.body === 'string' ? e.body : e.body ? JSON.stringify(e.body) : '';
  const status = e.code ? `HTTP ${e.code}` : '';
  let msg = body;
  try {
    msg = (JSON.parse(body) as { message?: string }).message ?? body;
  } catch {
    /* not JSON: keep the text */
  }
  return [status, msg || e.message || String(err)].filter(Boolean).join(': ').slice(0, 300);
}

export class KubernetesExecutor implements Executor {
  readonly name: string;
  /** Present only in karmada mode with a placement policy: the loop steers only executors that have it. */
  readonly place?: (weights: ReadonlyMap<string, number>) => Promise<PlaceOutcome>;
  /** The staticWeightList last written, as JSON: the same list is not written again every pass. */
  private lastPlacement: string | null = null;

  constructor(private readonly opts: KubernetesExecutorOptions) {
    this.name = `kubernetes-${opts.mode}`;
    const ref = opts.placementPolicy;
    if (ref) {
      if (opts.mode !== 'karmada')
        throw new Error(
          `placement.policy needs executor.mode karmada (got ${opts.mode}): deployments mode has no policy to weigh`,
        );
      this.place = (weights) => this.setPlacement(ref, weights);
    }
  }

  async execute(move: Move): Promise<MoveOutcome> {
    try {
      if (this.opts.mode === 'karmada') await this.reweigh(move);
      else await this.rescale(move);
      return { status: 'started', expectedDurationMs: this.opts.expectedDurationMs ?? 60_000 };
    } catch (err) {
      return { status: 'failed', error: errorText(err) };
    }
  }

  /**
   * The object a workload id names: the workload observer (@meridian/fabric) writes ids as
   * `namespace/name`; a plain name is in the configured namespace (the twin, webhooks, older rows).
   */
  private objectRef(workloadId: string): { namespace: string; name: string } {
    const slash = workloadId.indexOf('/');
    return slash > 0
      ? { namespace: workloadId.slice(0, slash), name: workloadId.slice(slash + 1) }
      : { namespace: this.opts.namespace, name: workloadId };
  }

  /** karmada: the member cluster a region is (config executor.clusters; by default its own name). */
  private clusterOf(region: string): string {
    return this.opts.clusters?.[region] ?? region;
  }

  private client<T extends AppsV1Api | CustomObjectsApi>(ctor: new (...a: never[]) => T, context?: string): T {
    const kc = new KubeConfig();
    kc.loadFromString(this.opts.kubeConfig.exportConfig());
    if (context) kc.setCurrentContext(context);
    return kc.makeApiClient(ctor as unknown as Parameters<KubeConfig['makeApiClient']>[0]) as unknown as T;
  }

  private async reweigh(move: Move): Promise<void> {
    const api = this.client(CustomObjectsApi);
    const ref = {
      group: 'policy.karmada.io',
      version: 'v1alpha1',
      ...this.objectRef(move.workloadId),
      plural: 'propagationpolicies',
    };
    const policy = (await api.getNamespacedCustomObject(ref)) as PropagationPolicy;
    const list = policy.spec?.placement?.replicaScheduling?.weightPreference?.staticWeightList ?? [];
    const weights = new Map<string, number>();
    for (const w of list)
      for (const c of w.targetCluster.clusterNames) weights.set(c, (weights.get(c) ?? 0) + w.weight);
    const from = this.clusterOf(move.from);
    const to = this.clusterOf(move.to);
    const have = weights.get(from) ?? 0;
    // Weights count replicas: a partial move shifts that many, a whole move shifts all of them.
    const shift = move.replicas !== undefined ? Math.min(move.replicas, have) : have;
    if (shift <= 0) throw new Error(`PropagationPolicy ${move.workloadId} has no weight on cluster ${from}`);
    weights.set(from, have - shift);
    weights.set(to, (weights.get(to) ?? 0) + shift);
    const body = weightedPlacementPatch({ staticWeightList: toStaticWeightList(weights) });
    await api.patchNamespacedCustomObject({ ...ref, body }, mergePatch);
  }

  /**
   * Sets the placement policy's static weights to `weights` (region → member cluster through
   * `clusters`), with one merge patch that also makes the policy lazy (see lazyPlacementPatch);
   * `dynamicWeight` is removed, as Karmada takes one or the other.
   * An empty set is not written: with no static weight Karmada divides by equal weights (weight 1 per
   * cluster), the opposite of "no region takes new work", so the policy keeps its last weights and the error
   * says so (Karmada itself places nothing on a cluster that is not ready).
   */
  private async setPlacement(ref: PlacementPolicyRef, weights: ReadonlyMap<string, number>): Promise<PlaceOutcome> {
    const label =
      ref.kind === 'PropagationPolicy'
        ? `PropagationPolicy ${ref.namespace ?? this.opts.namespace}/${ref.name}`
        : `ClusterPropagationPolicy ${ref.name}`;
    const byCluster = new Map<string, number>();
    for (const [region, w] of weights) {
      const c = this.clusterOf(region);
      byCluster.set(c, (byCluster.get(c) ?? 0) + w);
    }
    const staticWeightList = toStaticWeightList(byCluster);
    if (staticWeightList.length === 0)
      throw new Error(
        `no region can take new work now; ${label} keeps its last weights (Karmada divides by equal weights when the list is empty)`,
      );
    const key = JSON.stringify(staticWeightList);
    if (key === this.lastPlacement) return 'unchanged';
    const body = lazyPlacementPatch(staticWeightList);
    const api = this.client(CustomObjectsApi);
    const group = { group: 'policy.karmada.io', version: 'v1alpha1', name: ref.name, body };
    try {
      if (ref.kind === 'PropagationPolicy')
        await api.patchNamespacedCustomObject(
          { ...group, namespace: ref.namespace ?? this.opts.namespace, plural: 'propagationpolicies' },
          mergePatch,
        );
      else await api.patchClusterCustomObject({ ...group, plural: 'clusterpropagationpolicies' }, mergePatch);
    } catch (err) {
      throw new Error(`${label}: weights not set: ${errorText(err)}`, { cause: err });
    }
    this.lastPlacement = key;
    return 'set';
  }

  private async rescale(move: Move): Promise<void> {
    const ctx = (r: string) => this.opts.contexts?.[r] ?? r;
    const src = this.client(AppsV1Api, ctx(move.from));
    const dst = this.client(AppsV1Api, ctx(move.to));
    const ref = this.objectRef(move.workloadId);
    const srcScale = await src.readNamespacedDeploymentScale(ref);
    const have = srcScale.spec?.replicas ?? 0;
    const shift = move.replicas !== undefined ? Math.min(move.replicas, have) : have;
    if (shift <= 0) throw new Error(`Deployment ${move.workloadId} has no replicas in ${move.from}`);
    const dstScale = await dst.readNamespacedDeploymentScale(ref);
    const dstHad = dstScale.spec?.replicas ?? 0;
    const want = dstHad + shift;
    // Up in the destination first, and down in the source only once the new replicas are ready, so
    // the service never has fewer ready replicas than it had (the surge is `shift` replicas).
    await dst.patchNamespacedDeploymentScale({ ...ref, body: { spec: { replicas: want } } }, mergePatch);
    const timeoutMs = this.opts.readyTimeoutMs ?? 300_000;
    const pollMs = this.opts.readyPollMs ?? 2_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const d = await dst.readNamespacedDeploymentStatus(ref);
      const ready = d.status?.readyReplicas ?? 0;
      if (ready >= want) break;
      if (Date.now() >= deadline) {
        await dst.patchNamespacedDeploymentScale({ ...ref, body: { spec: { replicas: dstHad } } }, mergePatch);
        throw new Error(
          `Deployment ${move.workloadId} in ${move.to}: ${ready} of ${want} replicas ready after ${Math.round(timeoutMs / 1000)} s; ` +
            `scaled back to ${dstHad} there and left ${have} in ${move.from} (nothing moved). Check the destination's pods (capacity, image pull, readiness probe)`,
        );
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
    await src.patchNamespacedDeploymentScale({ ...ref, body: { spec: { replicas: have - shift } } }, mergePatch);
  }
}

/** Loads a kubeconfig from a file, or the usual default lookup (KUBECONFIG, ~/.kube/config, in-cluster). */
export function loadKubeConfig(file?: string): KubeConfig {
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  return kc;
}
