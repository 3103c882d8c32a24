/**
 * The Kubernetes executor against a real HTTP server on 127.0.0.1 that checks each request the way
 * the Kubernetes API server would: path, method, bearer token, patch content type, body shape.
 * (No cluster exists on this machine; the server holds the objects in memory.)
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesExecutor } from '../src/act/executor-kubernetes.js';
import { createExecutor } from '../src/act/factory.js';
import { parseConfig } from '../src/config.js';
import type { Move } from '../src/act/executor.js';

const TOKEN = 'k8s-test-token';
let server: Server;
let url: string;
const requests: { method: string; path: string; contentType: string | undefined; body: unknown; server: string }[] = [];

/** Objects by "server/path". Two "clusters" are two paths prefixes on one server (/eu, /us). */
const scales = new Map<string, number>();
/**
 * Ready replicas, as the Deployment status reports them. Each status read brings one more replica
 * up to the scale asked for (pods starting), except in Deployments listed in `stuck`.
 */
const ready = new Map<string, number>();
const stuck = new Set<string>();
let policy: Record<string, unknown>;
/**
 * Placement policies by API path (namespaced and cluster-scoped), patched with the merge-patch rules
 * of RFC 7386 as the API server applies them: objects merge, arrays and scalars replace, null deletes.
 */
const placementPolicies = new Map<string, Record<string, unknown>>();

function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((res) => {
    let s = '';
    req.on('data', (c: Buffer) => (s += c.toString('utf8')));
    req.on('end', () => res(s));
  });
}

function status(code: number, reason: string, message: string) {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code });
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const raw = await readBody(req);
    const [, prefix, ...rest] = (req.url ?? '').split('/');
    const path = `/${rest.join('/')}`.replace(/\?.*$/, '');
    const body = raw ? (JSON.parse(raw) as unknown) : undefined;
    requests.push({
      method: req.method ?? '',
      path,
      contentType: req.headers['content-type'],
      body,
      server: prefix ?? '',
    });
    const send = (code: number, obj: string) => res.writeHead(code, { 'content-type': 'application/json' }).end(obj);
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, status(401, 'Unauthorized', 'Unauthorized'));
    const statusM = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)\/status$/.exec(path);
    if (statusM) {
      const key = `${prefix}/${statusM[1]}/${statusM[2]}`;
      if (!scales.has(key)) return send(404, status(404, 'NotFound', `deployments.apps "${statusM[2]}" not found`));
      if (req.method !== 'GET') return send(405, status(405, 'MethodNotAllowed', 'method not allowed'));
      const want = scales.get(key) ?? 0;
      const had = ready.get(key) ?? want;
      const now = stuck.has(key) ? had : had < want ? had + 1 : want;
      ready.set(key, now);
      return send(
        200,
        JSON.stringify({
          kind: 'Deployment',
          apiVersion: 'apps/v1',
          metadata: { name: statusM[2], namespace: statusM[1] },
          spec: { replicas: want },
          status: { replicas: want, readyReplicas: now },
        }),
      );
    }
    const scaleM = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)\/scale$/.exec(path);
    if (scaleM) {
      const key = `${prefix}/${scaleM[1]}/${scaleM[2]}`;
      if (!scales.has(key)) return send(404, status(404, 'NotFound', `deployments.apps "${scaleM[2]}" not found`));
      if (req.method === 'PATCH') {
        if (req.headers['content-type'] !== 'application/merge-patch+json')
          return send(
            415,
            status(
              415,
              'UnsupportedMediaType',
              `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
            ),
          );
        const r = (body as { spec?: { replicas?: unknown } })?.spec?.replicas;
        if (typeof r !== 'number' || r < 0 || !Number.isInteger(r))
          return send(422, status(422, 'Invalid', 'spec.replicas: Invalid value'));
        scales.set(key, r);
      } else if (req.method !== 'GET') return send(405, status(405, 'MethodNotAllowed', 'method not allowed'));
      return send(
        200,
        JSON.stringify({
          kind: 'Scale',
          apiVersion: 'autoscaling/v1',
          metadata: { name: scaleM[2], namespace: scaleM[1] },
          spec: { replicas: scales.get(key) },
          status: { replicas: scales.get(key) },
        }),
      );
    }
    const placeM =
      /^\/apis\/policy\.karmada\.io\/v1alpha1\/(?:namespaces\/[^/]+\/propagationpolicies|clusterpropagationpolicies)\/([^/]+)$/.exec(
        path,
      );
    if (placeM && placeM[1] !== 'llm-serve') {
      const key = `${prefix}${path}`;
      const have = placementPolicies.get(key);
      if (!have)
        return send(404, status(404, 'NotFound', `propagationpolicies.policy.karmada.io "${placeM[1]}" not found`));
      if (req.method === 'PATCH') {
        if (req.headers['content-type'] !== 'application/merge-patch+json')
          return send(415, status(415, 'UnsupportedMediaType', 'unsupported patch type'));
        const next = applyMergePatch(have, body) as Record<string, unknown>;
        // Karmada's validation: weights of at least 1, and static or dynamic weights, not both.
        const wp = (next.spec as { placement?: { replicaScheduling?: { weightPreference?: Record<string, unknown> } } })
          .placement?.replicaScheduling?.weightPreference;
        const list = wp?.staticWeightList as { weight?: unknown }[] | undefined;
        if (wp?.dynamicWeight !== undefined && list !== undefined)
          return send(422, status(422, 'Invalid', 'staticWeightList and dynamicWeight can not co-exist'));
        if (list?.some((w) => typeof w.weight !== 'number' || w.weight < 1))
          return send(422, status(422, 'Invalid', 'staticWeightList.weight: must be at least 1'));
        // The CRD's enum for activationPreference (Karmada 1.9+): "Lazy" or absent.
        const activation = (next.spec as { activationPreference?: unknown }).activationPreference;
        if (activation !== undefined && activation !== 'Lazy')
          return send(
            422,
            status(422, 'Invalid', `spec.activationPreference: Unsupported value: "${String(activation)}"`),
          );
        placementPolicies.set(key, next);
      }
      return send(200, JSON.stringify(placementPolicies.get(key)));
    }
    const ppM = /^\/apis\/policy\.karmada\.io\/v1alpha1\/namespaces\/([^/]+)\/propagationpolicies\/([^/]+)$/.exec(path);
    if (ppM) {
      if (ppM[2] !== 'llm-serve')
        return send(404, status(404, 'NotFound', `propagationpolicies.policy.karmada.io "${ppM[2]}" not found`));
      if (req.method === 'PATCH') {
        if (req.headers['content-type'] !== 'application/merge-patch+json')
          return send(415, status(415, 'UnsupportedMediaType', 'unsupported patch type'));
        const rs = (body as { spec?: { placement?: { replicaScheduling?: Record<string, unknown> } } }).spec?.placement
          ?.replicaScheduling;
        const list = (
          rs?.weightPreference as
            { staticWeightList?: { targetCluster?: { clusterNames?: unknown }; weight?: unknown }[] } | undefined
        )?.staticWeightList;
        if (
          !Array.isArray(list) ||
          list.some(
            (w) =>
              !Array.isArray(w.targetCluster?.clusterNames) || typeof w.weight !== 'number' || (w.weight as number) < 1,
          )
        ) {
          return send(
            422,
            status(422, 'Invalid', 'spec.placement.replicaScheduling.weightPreference.staticWeightList: Invalid value'),
          );
        }
        policy = {
          ...policy,
          spec: {
            ...(policy.spec as object),
            placement: { ...(policy.spec as { placement: object }).placement, replicaScheduling: rs },
          },
        };
      }
      return send(200, JSON.stringify(policy));
    }
    send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      { name: 'eu', server: `${url}/eu`, skipTLSVerify: true },
      { name: 'us', server: `${url}/us`, skipTLSVerify: true },
      { name: 'karmada', server: `${url}/karmada`, skipTLSVerify: true },
    ],
    users: [{ name: 'sched', token: TOKEN }],
    contexts: [
      { name: 'eu-west', cluster: 'eu', user: 'sched' },
      { name: 'us-east', cluster: 'us', user: 'sched' },
      { name: 'karmada', cluster: 'karmada', user: 'sched' },
    ],
    currentContext: 'karmada',
  });
  return kc;
}

const move = (over: Partial<Move>): Move => ({
  moveId: 'm1',
  workloadId: 'llm-serve',
  from: 'eu-west',
  to: 'us-east',
  gpus: 4,
  checkpointBytes: 0,
  reason: 'test',
  ...over,
});

describe('KubernetesExecutor', () => {
  it('deployments: scales up in the destination, waits for the replicas to be ready, then scales down the source', async () => {
    scales.set('eu/prod/llm-serve', 6);
    scales.set('us/prod/llm-serve', 2);
    ready.set('us/prod/llm-serve', 2);
    requests.length = 0;
    const ex = new KubernetesExecutor({
      mode: 'deployments',
      kubeConfig: kubeConfig(),
      namespace: 'prod',
      readyPollMs: 1,
    });
    const out = await ex.execute(move({ replicas: 4 }));
    expect(out).toEqual({ status: 'started', expectedDurationMs: 60_000 });
    expect(scales.get('us/prod/llm-serve')).toBe(6);
    expect(scales.get('eu/prod/llm-serve')).toBe(2);
    const patches = requests.filter((r) => r.method === 'PATCH');
    expect(patches.map((p) => [p.server, p.contentType, p.body])).toEqual([
      ['us', 'application/merge-patch+json', { spec: { replicas: 6 } }],
      ['eu', 'application/merge-patch+json', { spec: { replicas: 2 } }],
    ]);
    // Between the two patches: the destination's status, read until all 6 were ready (3, 4, 5, 6).
    const writes = requests.filter((r) => r.method === 'PATCH' || r.path.endsWith('/status'));
    expect(writes.map((r) => `${r.method} ${r.server}${r.path.endsWith('/status') ? ' status' : ''}`)).toEqual([
      'PATCH us',
      'GET us status',
      'GET us status',
      'GET us status',
      'GET us status',
      'PATCH eu',
    ]);
  });

  it('deployments: replicas that never become ready undo the surge and leave the source serving', async () => {
    scales.set('eu/prod/llm-serve', 6);
    scales.set('us/prod/llm-serve', 2);
    ready.set('us/prod/llm-serve', 2);
    stuck.add('us/prod/llm-serve');
    requests.length = 0;
    try {
      const ex = new KubernetesExecutor({
        mode: 'deployments',
        kubeConfig: kubeConfig(),
        namespace: 'prod',
        readyTimeoutMs: 20,
        readyPollMs: 5,
      });
      const out = await ex.execute(move({ replicas: 4 }));
      expect(out.status).toBe('failed');
      expect(out.status === 'failed' && out.error).toMatch(
        /Deployment llm-serve in us-east: 2 of 6 replicas ready after 0 s; scaled back to 2 there and left 6 in eu-west \(nothing moved\)/,
      );
      expect(scales.get('us/prod/llm-serve')).toBe(2);
      expect(scales.get('eu/prod/llm-serve')).toBe(6);
      const patches = requests.filter((r) => r.method === 'PATCH');
      expect(patches.map((p) => [p.server, p.body])).toEqual([
        ['us', { spec: { replicas: 6 } }],
        ['us', { spec: { replicas: 2 } }],
      ]);
    } finally {
      stuck.delete('us/prod/llm-serve');
    }
  });

  it('deployments: a whole move shifts every replica; a missing Deployment fails with the API message', async () => {
    scales.set('eu/prod/llm-serve', 3);
    scales.set('us/prod/llm-serve', 0);
    ready.set('us/prod/llm-serve', 0);
    const ex = new KubernetesExecutor({
      mode: 'deployments',
      kubeConfig: kubeConfig(),
      namespace: 'prod',
      readyPollMs: 1,
    });
    expect((await ex.execute(move({}))).status).toBe('started');
    expect(scales.get('us/prod/llm-serve')).toBe(3);
    expect(scales.get('eu/prod/llm-serve')).toBe(0);
    const missing = await ex.execute(move({ workloadId: 'nope' }));
    expect(missing.status).toBe('failed');
    expect(missing.status === 'failed' && missing.error).toMatch(/404.*deployments.apps "nope" not found/);
  });

  it('karmada: shifts static weights on the PropagationPolicy', async () => {
    policy = {
      apiVersion: 'policy.karmada.io/v1alpha1',
      kind: 'PropagationPolicy',
      metadata: { name: 'llm-serve', namespace: 'prod' },
      spec: {
        resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'llm-serve' }],
        placement: {
          clusterAffinity: { clusterNames: ['member-eu', 'member-us'] },
          replicaScheduling: {
            replicaSchedulingType: 'Divided',
            replicaDivisionPreference: 'Weighted',
            weightPreference: {
              staticWeightList: [
                { targetCluster: { clusterNames: ['member-eu'] }, weight: 6 },
                { targetCluster: { clusterNames: ['member-us'] }, weight: 2 },
              ],
            },
          },
        },
      },
    };
    requests.length = 0;
    const ex = new KubernetesExecutor({
      mode: 'karmada',
      kubeConfig: kubeConfig(),
      namespace: 'prod',
      clusters: { 'eu-west': 'member-eu', 'us-east': 'member-us' },
    });
    expect((await ex.execute(move({ replicas: 2 }))).status).toBe('started');
    const patch = requests.find((r) => r.method === 'PATCH');
    expect(patch?.path).toBe('/apis/policy.karmada.io/v1alpha1/namespaces/prod/propagationpolicies/llm-serve');
    expect(patch?.contentType).toBe('application/merge-patch+json');
    const rs = (
      policy.spec as { placement: { replicaScheduling: { weightPreference: { staticWeightList: unknown } } } }
    ).placement.replicaScheduling;
    expect(rs.weightPreference.staticWeightList).toEqual([
      { targetCluster: { clusterNames: ['member-eu'] }, weight: 4 },
      { targetCluster: { clusterNames: ['member-us'] }, weight: 4 },
    ]);
    // The rest of the policy is untouched by a merge patch, and a move is not lazy: it applies now.
    expect((policy.spec as { activationPreference?: unknown }).activationPreference).toBeUndefined();
    expect((policy.spec as { placement: { clusterAffinity: unknown } }).placement.clusterAffinity).toEqual({
      clusterNames: ['member-eu', 'member-us'],
    });
    // A whole move empties the source (a zero weight is dropped: Karmada refuses weight < 1).
    expect((await ex.execute(move({}))).status).toBe('started');
    const after = (
      policy.spec as { placement: { replicaScheduling: { weightPreference: { staticWeightList: unknown } } } }
    ).placement.replicaScheduling;
    expect(after.weightPreference.staticWeightList).toEqual([
      { targetCluster: { clusterNames: ['member-us'] }, weight: 8 },
    ]);
  });

  it('karmada: placement weights become the static weights of the policy for new work (config placement.policy)', async () => {
    const key = 'karmada/apis/policy.karmada.io/v1alpha1/namespaces/prod/propagationpolicies/new-work';
    placementPolicies.set(key, {
      apiVersion: 'policy.karmada.io/v1alpha1',
      kind: 'PropagationPolicy',
      metadata: { name: 'new-work', namespace: 'prod' },
      spec: {
        resourceSelectors: [{ apiVersion: 'batch/v1', kind: 'Job', labelSelector: { matchLabels: { queue: 'new' } } }],
        placement: {
          clusterAffinity: { clusterNames: ['member-eu', 'member-us', 'ap-south'] },
          replicaScheduling: {
            replicaSchedulingType: 'Divided',
            replicaDivisionPreference: 'Weighted',
            weightPreference: { dynamicWeight: 'AvailableReplicas' },
          },
        },
      },
    });
    // Through the config and the factory, as `meridian schedule` builds it.
    const kubeconfig = join(mkdtempSync(join(tmpdir(), 'meridian-kc-')), 'config');
    writeFileSync(kubeconfig, kubeConfig().exportConfig());
    const ex = await createExecutor(
      parseConfig({
        executor: {
          kind: 'kubernetes',
          mode: 'karmada',
          kubeconfig,
          namespace: 'prod',
          clusters: { 'eu-west': 'member-eu', 'us-east': 'member-us' },
        },
        placement: { policy: { kind: 'PropagationPolicy', name: 'new-work' } },
      }),
    );
    expect(ex.place).toBeDefined();
    requests.length = 0;
    // ap-south's 0.4 rounds to 0: Karmada takes weights of at least 1, so it is left out.
    const weights = new Map([
      ['us-east', 24],
      ['eu-west', 8],
      ['ap-south', 0.4],
    ]);
    expect(await ex.place?.(weights)).toBe('set');
    expect(requests.map((r) => [r.method, r.server, r.path, r.contentType])).toEqual([
      [
        'PATCH',
        'karmada',
        '/apis/policy.karmada.io/v1alpha1/namespaces/prod/propagationpolicies/new-work',
        'application/merge-patch+json',
      ],
    ]);
    expect(requests[0]?.body).toEqual({
      spec: {
        // Lazy: the weights apply to new work; Karmada does not re-divide what the policy already placed.
        activationPreference: 'Lazy',
        placement: {
          replicaScheduling: {
            replicaSchedulingType: 'Divided',
            replicaDivisionPreference: 'Weighted',
            weightPreference: {
              staticWeightList: [
                { targetCluster: { clusterNames: ['member-eu'] }, weight: 8 },
                { targetCluster: { clusterNames: ['member-us'] }, weight: 24 },
              ],
              dynamicWeight: null,
            },
          },
        },
      },
    });
    // Merged by the API server: dynamic weights gone, the selectors and affinity kept, the policy lazy.
    const spec = placementPolicies.get(key)?.spec as {
      activationPreference: unknown;
      resourceSelectors: unknown[];
      placement: { clusterAffinity: unknown; replicaScheduling: { weightPreference: unknown } };
    };
    expect(spec.placement.replicaScheduling.weightPreference).toEqual({
      staticWeightList: [
        { targetCluster: { clusterNames: ['member-eu'] }, weight: 8 },
        { targetCluster: { clusterNames: ['member-us'] }, weight: 24 },
      ],
    });
    expect(spec.placement.clusterAffinity).toEqual({ clusterNames: ['member-eu', 'member-us', 'ap-south'] });
    expect(spec.resourceSelectors).toHaveLength(1);
    expect(spec.activationPreference).toBe('Lazy');
    // The same weights again write nothing; new ones write again.
    requests.length = 0;
    expect(
      await ex.place?.(
        new Map([
          ['eu-west', 8],
          ['us-east', 24],
        ]),
      ),
    ).toBe('unchanged');
    expect(requests).toHaveLength(0);
    expect(await ex.place?.(new Map([['eu-west', 30]]))).toBe('set');
    expect(
      (requests[0]?.body as { spec: { placement: { replicaScheduling: unknown } } }).spec.placement.replicaScheduling,
    ).toMatchObject({
      weightPreference: { staticWeightList: [{ targetCluster: { clusterNames: ['member-eu'] }, weight: 30 }] },
    });
    // No region can take work: nothing is written (with an empty list Karmada divides by equal weights).
    requests.length = 0;
    await expect(ex.place?.(new Map())).rejects.toThrow(
      /no region can take new work now; PropagationPolicy prod\/new-work keeps its last weights/,
    );
    expect(requests).toHaveLength(0);
  });

  it('karmada: a ClusterPropagationPolicy is patched at its cluster-scoped path; a missing one is named', async () => {
    const key = 'karmada/apis/policy.karmada.io/v1alpha1/clusterpropagationpolicies/gpu-new';
    placementPolicies.set(key, {
      kind: 'ClusterPropagationPolicy',
      metadata: { name: 'gpu-new' },
      spec: { placement: { replicaScheduling: { replicaSchedulingType: 'Divided' } } },
    });
    requests.length = 0;
    const ex = new KubernetesExecutor({
      mode: 'karmada',
      kubeConfig: kubeConfig(),
      namespace: 'prod',
      placementPolicy: { kind: 'ClusterPropagationPolicy', name: 'gpu-new' },
    });
    expect(await ex.place?.(new Map([['eu-west', 3]]))).toBe('set');
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'PATCH /apis/policy.karmada.io/v1alpha1/clusterpropagationpolicies/gpu-new',
    ]);
    expect(placementPolicies.get(key)?.spec).toEqual({
      activationPreference: 'Lazy',
      placement: {
        replicaScheduling: {
          replicaSchedulingType: 'Divided',
          replicaDivisionPreference: 'Weighted',
          weightPreference: { staticWeightList: [{ targetCluster: { clusterNames: ['eu-west'] }, weight: 3 }] },
        },
      },
    });
    const missing = new KubernetesExecutor({
      mode: 'karmada',
      kubeConfig: kubeConfig(),
      namespace: 'prod',
      placementPolicy: { kind: 'ClusterPropagationPolicy', name: 'absent' },
    });
    await expect(missing.place?.(new Map([['eu-west', 3]]))).rejects.toThrow(
      /ClusterPropagationPolicy absent: weights not set: HTTP 404.*"absent" not found/,
    );
    // Deployments mode has no policy to weigh, and without a policy karmada mode does not place.
    expect(
      () =>
        new KubernetesExecutor({
          mode: 'deployments',
          kubeConfig: kubeConfig(),
          namespace: 'prod',
          placementPolicy: { kind: 'ClusterPropagationPolicy', name: 'gpu-new' },
        }),
    ).toThrow(/placement\.policy needs executor\.mode karmada/);
    expect(
      new KubernetesExecutor({ mode: 'karmada', kubeConfig: kubeConfig(), namespace: 'prod' }).place,
    ).toBeUndefined();
  });

  it('fails clearly on a wrong token', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'k', server: `${url}/karmada`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'wrong' }],
      contexts: [{ name: 'k', cluster: 'k', user: 'u' }],
      currentContext: 'k',
    });
    const out = await new KubernetesExecutor({ mode: 'karmada', kubeConfig: kc, namespace: 'prod' }).execute(move({}));
    expect(out.status).toBe('failed');
    expect(out.status === 'failed' && out.error).toMatch(/401/);
  });
});
