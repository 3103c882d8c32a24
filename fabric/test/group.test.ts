/**
 * Pods to workload rows: owner chains, GPUs (whole and MIG), state, GPU model, priority, Kueue,
 * Karmada bindings, and Meridian's annotations with their defaults and errors. The objects are
 * written as the API returns them (see support/kube-api.ts) and digested as the observer does.
 */
import { describe, expect, it } from 'vitest';
import {
  groupWorkloads,
  parseQuantity,
  readAnnotations,
  type ClusterView,
  type WorkloadProblem,
} from '@meridian/fabric';
import {
  digestBinding,
  digestComposite,
  digestDeployment,
  digestJob,
  digestKueue,
  digestOwnerOnly,
  digestPod,
  type TemplateDigest,
} from '../src/kubernetes/digest.js';
import type { TopKind } from '../src/kubernetes/group.js';
import { gpuPodSpec, pod, replicaSet, type K8sObject } from './support/kube-api.js';

const key = (o: K8sObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

function view(region: string, objs: K8sObject[], extra: Partial<ClusterView> = {}): ClusterView {
  const templates = new Map<TopKind, Map<string, TemplateDigest>>();
  const put = (k: TopKind, d: TemplateDigest, o: K8sObject) => {
    if (!templates.has(k)) templates.set(k, new Map());
    templates.get(k)!.set(key(o), d);
  };
  const pods = new Map();
  const rs = new Map();
  const kueue = new Map();
  const bindings = new Map();
  for (const o of objs) {
    if (o.kind === 'Pod') pods.set(key(o), digestPod(o)!);
    else if (o.kind === 'ReplicaSet') rs.set(key(o), digestOwnerOnly(o));
    else if (o.kind === 'Deployment' || o.kind === 'StatefulSet') put(o.kind, digestDeployment(o), o);
    else if (o.kind === 'Job') put('Job', digestJob(o), o);
    else if (o.kind === 'Workload') kueue.set(key(o), digestKueue(o));
    else if (o.kind === 'ResourceBinding') bindings.set(key(o), digestBinding(o));
    else put(o.kind as TopKind, digestComposite(o), o);
  }
  return {
    name: region,
    region,
    pods,
    replicaSets: rs,
    templates,
    kueue,
    ...(bindings.size ? { bindings } : {}),
    ...extra,
  };
}

function deployment(
  name: string,
  replicas: number,
  gpus: number,
  ann: Record<string, string> = {},
  podExtra = {},
): K8sObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'serve', uid: `uid-${name}`, annotations: ann },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: gpuPodSpec(gpus, podExtra) },
    },
    status: { replicas, readyReplicas: replicas },
  };
}

function job(
  name: string,
  parallelism: number,
  gpus: number,
  opts: { ann?: Record<string, string>; status?: Record<string, unknown>; suspend?: boolean; owner?: string } = {},
): K8sObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: 'ml',
      uid: `uid-${name}`,
      ...(opts.ann ? { annotations: opts.ann } : {}),
      ...(opts.owner
        ? {
            ownerReferences: [
              { apiVersion: 'jobset.x-k8s.io/v1alpha2', kind: 'JobSet', name: opts.owner, uid: 'u', controller: true },
            ],
          }
        : {}),
    },
    spec: {
      parallelism,
      completions: parallelism,
      suspend: opts.suspend ?? false,
      template: { spec: gpuPodSpec(gpus, { restartPolicy: 'Never' }) },
    },
    status: opts.status ?? { active: parallelism },
  };
}

function rows(views: ClusterView[]) {
  const problems: WorkloadProblem[] = [];
  return { rows: groupWorkloads(views, 1_000, 'kubernetes', problems), problems };
}

describe('groupWorkloads', () => {
  it('a Deployment: its ReplicaSet’s pods are one inference workload, with GPU model and priority', () => {
    const d = deployment(
      'llm',
      2,
      4,
      {},
      {
        priority: 1000,
        priorityClassName: 'serving',
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                {
                  matchExpressions: [
                    { key: 'nvidia.com/gpu.product', operator: 'In', values: ['NVIDIA-H100-80GB-HBM3'] },
                  ],
                },
              ],
            },
          },
        },
      },
    );
    const rs = replicaSet(d, 'llm-6d4cf56db6');
    const spec = (d.spec!.template as { spec: Record<string, unknown> }).spec;
    const p = [0, 1].map((i) =>
      pod(`llm-6d4cf56db6-${i}`, 'serve', { kind: 'ReplicaSet', name: 'llm-6d4cf56db6' }, spec, `n${i}`),
    );
    const { rows: r, problems } = rows([view('a', [d, rs, ...p])]);
    expect(problems).toEqual([]);
    expect(r).toEqual([
      expect.objectContaining({
        workload_id: 'serve/llm',
        kind: 'inference',
        comm_class: 'inference',
        gpus: 8,
        region: 'a',
        state: 'running',
        priority: 1000,
        pinned: 0,
        replica_gpus: 4,
        gpu_model: 'NVIDIA-H100-80GB-HBM3',
        checkpoint_bytes: 8 * 10e9,
        last_checkpoint_ts: null,
        latency_budget_ms: 0,
        coupled_with: [],
      }),
    ]);
  });

  it('MIG slices count as GPUs; a pod without GPUs is no workload', () => {
    const j = job('mig', 2, 1);
    const spec = gpuPodSpec(
      1,
      { nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB' } },
      'nvidia.com/mig-1g.10gb',
    );
    const p = [0, 1].map((i) => pod(`mig-${i}`, 'ml', { kind: 'Job', name: 'mig' }, spec, 'n1'));
    const cpu = pod('web-0', 'ml', undefined, { containers: [{ name: 'c', image: 'nginx' }] }, 'n1');
    const { rows: r } = rows([view('a', [j, ...p, cpu])]);
    expect(r.map((x) => [x.workload_id, x.gpus, x.kind, x.comm_class, x.gpu_model])).toEqual([
      ['ml/mig', 2, 'batch', 'independent', 'NVIDIA-A100-SXM4-80GB'],
    ]);
  });

  it("a JobSet's Jobs and pods are one training workload; a finished Job is done; a suspended one queued", () => {
    const js: K8sObject = {
      apiVersion: 'jobset.x-k8s.io/v1alpha2',
      kind: 'JobSet',
      metadata: { name: 'pretrain', namespace: 'ml', annotations: { 'meridian.dev/comm-class': 'pipeline' } },
      spec: {
        replicatedJobs: [
          { name: 'workers', replicas: 2, template: { spec: { parallelism: 2, template: { spec: gpuPodSpec(8) } } } },
        ],
      },
      status: {},
    };
    const jobs = [0, 1].map((i) => job(`pretrain-workers-${i}`, 2, 8, { owner: 'pretrain' }));
    const pods = jobs.flatMap((j, i) =>
      [0, 1].map((k) =>
        pod(`pretrain-workers-${i}-${k}`, 'ml', { kind: 'Job', name: j.metadata.name }, gpuPodSpec(8), `n${i}${k}`),
      ),
    );
    const done = job('eval', 1, 1, { status: { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] } });
    const suspended = job('later', 4, 2, { suspend: true, status: {} });
    const { rows: r } = rows([view('a', [js, ...jobs, ...pods, done, suspended])]);
    expect(r.map((x) => [x.workload_id, x.kind, x.comm_class, x.gpus, x.state])).toEqual([
      ['ml/eval', 'batch', 'independent', 1, 'done'],
      ['ml/later', 'batch', 'independent', 8, 'queued'],
      ['ml/pretrain', 'training', 'pipeline', 32, 'running'],
    ]);
  });

  it('a Kueue Workload that is not admitted keeps its Job queued, with the GPUs of its pod sets', () => {
    const j = job('train', 4, 8, { suspend: true, status: {} });
    const wl: K8sObject = {
      apiVersion: 'kueue.x-k8s.io/v1beta1',
      kind: 'Workload',
      metadata: {
        name: 'job-train-3f2a1',
        namespace: 'ml',
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'train', uid: 'uid-train', controller: true }],
      },
      spec: {
        queueName: 'gpu',
        priority: 50,
        podSets: [{ name: 'main', count: 4, template: { spec: gpuPodSpec(8) } }],
      },
      status: { conditions: [{ type: 'QuotaReserved', status: 'False', reason: 'Pending' }] },
    };
    const { rows: r } = rows([view('a', [j, wl])]);
    expect(r).toEqual([expect.objectContaining({ workload_id: 'ml/train', state: 'queued', gpus: 32, priority: 50 })]);
  });

  it('one Deployment in two regional clusters is one row, in the region running most of it', () => {
    const mk = (region: string, replicas: number) => {
      const d = deployment('chat', replicas, 2);
      const rs = replicaSet(d, 'chat-rs');
      const spec = (d.spec!.template as { spec: Record<string, unknown> }).spec;
      const p = Array.from({ length: replicas }, (_, i) =>
        pod(`chat-rs-${region}${i}`, 'serve', { kind: 'ReplicaSet', name: 'chat-rs' }, spec, `${region}-n${i}`),
      );
      return view(region, [d, rs, ...p]);
    };
    const { rows: r } = rows([mk('a', 1), mk('b', 3)]);
    expect(r).toEqual([expect.objectContaining({ workload_id: 'serve/chat', region: 'b', gpus: 8, state: 'running' })]);
  });

  it("Karmada: a template's ResourceBinding says where its replicas run (member cluster → region)", () => {
    const d = deployment('api', 4, 1);
    const rb: K8sObject = {
      apiVersion: 'work.karmada.io/v1alpha2',
      kind: 'ResourceBinding',
      metadata: { name: 'api-deployment', namespace: 'serve' },
      spec: {
        resource: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'serve', name: 'api' },
        replicas: 4,
        clusters: [
          { name: 'member-eu', replicas: 1 },
          { name: 'member-us', replicas: 3 },
        ],
      },
    };
    const { rows: r } = rows([view('', [d, rb], { memberRegions: { 'member-eu': 'eu', 'member-us': 'us' } })]);
    expect(r).toEqual([expect.objectContaining({ workload_id: 'serve/api', region: 'us', gpus: 4, state: 'running' })]);
  });

  it('annotations set the fields Kubernetes cannot infer; a malformed one is a problem naming the object and key, and the rest is used', () => {
    const ann = {
      'meridian.dev/pinned': 'true',
      'meridian.dev/checkpoint-bytes': '640Gi',
      'meridian.dev/last-checkpoint': '2026-12-01T10:00:00Z',
      'meridian.dev/latency-budget-ms': '25',
      'meridian.dev/coupled-with': 'stage-2, other/stage-3',
      'meridian.dev/comm-class': 'ring-allreduce',
    };
    const j = job('stage-1', 1, 8, { ann });
    const p = pod('stage-1-x', 'ml', { kind: 'Job', name: 'stage-1' }, gpuPodSpec(8), 'n');
    const { rows: r, problems } = rows([view('a', [j, p])]);
    expect(r[0]).toMatchObject({
      pinned: 1,
      checkpoint_bytes: 640 * 2 ** 30,
      last_checkpoint_ts: Date.parse('2026-12-01T10:00:00Z'),
      latency_budget_ms: 25,
      coupled_with: ['ml/stage-2', 'other/stage-3'],
      comm_class: 'independent',
    });
    expect(problems).toEqual([
      expect.objectContaining({ object: 'Job ml/stage-1', key: 'meridian.dev/comm-class', value: 'ring-allreduce' }),
    ]);
  });

  it('each annotation rejects a malformed value by key', () => {
    const bad = {
      'meridian.dev/pinned': 'yes',
      'meridian.dev/checkpoint-bytes': 'lots',
      'meridian.dev/last-checkpoint': 'yesterday',
      'meridian.dev/latency-budget-ms': '-3',
      'meridian.dev/coupled-with': 'Bad Name',
      'meridian.dev/pinnned': 'true',
    };
    const problems: { key: string }[] = [];
    expect(readAnnotations(bad, 'ml', problems as never)).toEqual({});
    expect(problems.map((p) => p.key)).toEqual(Object.keys(bad));
    expect(parseQuantity('1.5T')).toBe(1.5e12);
    expect(parseQuantity('12ki')).toBeUndefined();
  });
});
