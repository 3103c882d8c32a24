/**
 * A loopback Kubernetes API server for the observer and executor tests (no cluster exists on this
 * machine). It answers the way kube-apiserver does, for the requests Meridian makes:
 *
 * - LIST `GET /api/v1/pods?limit=N&continue=T` (and `/apis/<group>/<version>/<plural>`): a `<Kind>List`
 *   with `metadata.resourceVersion`, paged with `continue` tokens;
 * - WATCH `…?watch=true&resourceVersion=R&allowWatchBookmarks=true`: the events after R as JSON lines
 *   (`{"type":"ADDED","object":{…}}`), then every new one while the connection stays open; a
 *   `BOOKMARK` event (an object carrying only `metadata.resourceVersion`) when the test calls
 *   `bookmark()`; and, for a version older than the compaction point or when the test calls
 *   `expire()`, an `ERROR` event whose object is a 410 `Status` ("too old resource version"), after
 *   which the server ends the stream;
 * - a 404 `Status` for a resource whose CRD is not installed;
 * - Deployment `scale` (GET, merge PATCH) and `status`, with a minimal Deployment controller: the pods
 *   follow `spec.replicas`, each created Running on a node, as watch events;
 * - Karmada PropagationPolicy GET/merge PATCH, with a minimal Karmada scheduler: the workload's
 *   ResourceBinding follows the policy's static weights.
 *
 * Clusters are path prefixes on one server (`/a`, `/b`, `/karmada`), each with its own objects and
 * resourceVersion sequence. Every request must carry the bearer token.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

export const TOKEN = 'loopback-token';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: {
      apiVersion: string;
      kind: string;
      name: string;
      uid: string;
      controller?: boolean;
      blockOwnerDeletion?: boolean;
    }[];
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

interface WatchEvent {
  rv: number;
  plural: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: K8sObject;
}

interface OpenWatch {
  plural: string;
  bookmarks: boolean;
  res: ServerResponse;
}

const PLURAL_OF: Record<string, string> = {
  Pod: 'pods',
  ReplicaSet: 'replicasets',
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  Job: 'jobs',
  JobSet: 'jobsets',
  LeaderWorkerSet: 'leaderworkersets',
  PyTorchJob: 'pytorchjobs',
  MPIJob: 'mpijobs',
  Workload: 'workloads',
  ResourceBinding: 'resourcebindings',
  PropagationPolicy: 'propagationpolicies',
};
/** Resources served without a CRD. */
const BUILTIN = new Set(['pods', 'replicasets', 'deployments', 'statefulsets', 'jobs']);

function status(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

let uidSeq = 0;

export class FakeCluster {
  rv = 100;
  /** Events older than this version are compacted: a watch from before it gets 410. */
  compactedRv = 0;
  readonly objects = new Map<string, Map<string, K8sObject>>();
  readonly history: WatchEvent[] = [];
  readonly watches = new Set<OpenWatch>();
  /** CRDs installed (plural names); built-in resources are always there. */
  readonly crds = new Set<string>();
  /** Requests seen, `METHOD path?query`. */
  readonly requests: string[] = [];
  /** Every request answered 503 (an API server that is down). */
  unavailable = false;
  /** Fail the next N watch requests with this HTTP status (a flaky API server). */
  failWatches: { count: number; code: number } = { count: 0, code: 500 };
  /** Karmada: member clusters' names in binding order. */
  constructor(readonly name: string) {}

  private bucket(plural: string): Map<string, K8sObject> {
    let m = this.objects.get(plural);
    if (!m) this.objects.set(plural, (m = new Map()));
    return m;
  }

  private emit(plural: string, type: WatchEvent['type'], object: K8sObject): void {
    const e = { rv: this.rv, plural, type, object: structuredClone(object) };
    this.history.push(e);
    for (const w of this.watches)
      if (w.plural === plural) w.res.write(`${JSON.stringify({ type, object: e.object })}\n`);
  }

  /** Creates or replaces an object (ADDED or MODIFIED), stamping uid, resourceVersion and creation time. */
  put(obj: K8sObject): K8sObject {
    const plural = PLURAL_OF[obj.kind];
    if (!plural) throw new Error(`loopback API: unknown kind ${obj.kind}`);
    const key = `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
    const had = this.bucket(plural).get(key);
    this.rv++;
    const o = structuredClone(obj);
    o.metadata.uid = had?.metadata.uid ?? o.metadata.uid ?? `uid-${++uidSeq}`;
    o.metadata.resourceVersion = String(this.rv);
    o.metadata.creationTimestamp = had?.metadata.creationTimestamp ?? '2026-12-01T00:00:00Z';
    this.bucket(plural).set(key, o);
    this.emit(plural, had ? 'MODIFIED' : 'ADDED', o);
    return o;
  }

  delete(kind: string, namespace: string, name: string, opts: { silently?: boolean } = {}): void {
    const plural = PLURAL_OF[kind] ?? '';
    const key = `${namespace}/${name}`;
    const had = this.bucket(plural).get(key);
    if (!had) return;
    this.bucket(plural).delete(key);
    this.rv++;
    // silently: the event is lost (as if it fell into a disconnect), so only a relist finds it.
    if (!opts.silently)
      this.emit(plural, 'DELETED', { ...had, metadata: { ...had.metadata, resourceVersion: String(this.rv) } });
  }

  get(kind: string, namespace: string, name: string): K8sObject | undefined {
    return this.bucket(PLURAL_OF[kind] ?? '').get(`${namespace}/${name}`);
  }

  /** Sends a BOOKMARK to every open watch that asked for them. */
  bookmark(): void {
    this.rv++;
    for (const w of this.watches)
      if (w.bookmarks) {
        const kind = Object.entries(PLURAL_OF).find(([, p]) => p === w.plural)?.[0] ?? '';
        w.res.write(
          `${JSON.stringify({ type: 'BOOKMARK', object: { kind, apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) } } })}\n`,
        );
      }
  }

  /** Compacts history up to now and ends every open watch with 410 Gone, as etcd compaction does. */
  expire(): void {
    this.compactedRv = this.rv;
    for (const w of this.watches) {
      w.res.end(`${JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', 'too old resource version') })}\n`);
    }
    this.watches.clear();
  }

  /** Ends every open watch cleanly (the server's watch timeout). */
  closeWatches(): void {
    for (const w of this.watches) w.res.end();
    this.watches.clear();
  }

  handle(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams, body: unknown): void {
    const send = (code: number, obj: unknown) =>
      void res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(obj));
    const m =
      /^\/(?:api\/v1|apis\/([^/]+)\/([^/]+))\/(?:namespaces\/([^/]+)\/)?([a-z]+)(?:\/([^/]+))?(?:\/(scale|status))?$/.exec(
        path,
      );
    if (!m) return send(404, status(404, 'NotFound', `the server could not find the requested resource`));
    const [, , , ns, plural = '', name, sub] = m;
    if (!BUILTIN.has(plural) && !this.crds.has(plural) && plural !== 'propagationpolicies')
      return send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    if (name) return this.handleOne(req, send, plural, ns ?? '', name, sub, body);
    if (query.get('watch') === 'true') return this.handleWatch(res, plural, query);
    const all = [...this.bucket(plural).values()].filter((o) => !ns || o.metadata.namespace === ns);
    const limit = Number(query.get('limit') ?? '0') || all.length;
    const from = Number(query.get('continue') ?? '0');
    const items = all.slice(from, from + limit);
    const next = from + limit < all.length ? String(from + limit) : undefined;
    const kind = Object.entries(PLURAL_OF).find(([, p]) => p === plural)?.[0] ?? '';
    send(200, {
      kind: `${kind}List`,
      apiVersion: 'v1',
      metadata: {
        resourceVersion: String(this.rv),
        ...(next ? { continue: next, remainingItemCount: all.length - from - limit } : {}),
      },
      items,
    });
  }

  private handleWatch(res: ServerResponse, plural: string, query: URLSearchParams): void {
    if (this.failWatches.count > 0) {
      this.failWatches.count--;
      res.writeHead(this.failWatches.code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(status(this.failWatches.code, 'InternalError', 'etcdserver: leader changed')));
      return;
    }
    const from = Number(query.get('resourceVersion') ?? '0');
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    // kube-apiserver answers a watch at once; Node would hold the headers until the first event.
    res.flushHeaders();
    if (from < this.compactedRv) {
      res.end(
        `${JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', `too old resource version: ${from} (${this.compactedRv})`) })}\n`,
      );
      return;
    }
    for (const e of this.history)
      if (e.plural === plural && e.rv > from) res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
    const w = { plural, bookmarks: query.get('allowWatchBookmarks') === 'true', res };
    this.watches.add(w);
    res.on('close', () => this.watches.delete(w));
  }

  private handleOne(
    req: IncomingMessage,
    send: (code: number, obj: unknown) => void,
    plural: string,
    ns: string,
    name: string,
    sub: string | undefined,
    body: unknown,
  ): void {
    const obj = this.bucket(plural).get(`${ns}/${name}`);
    if (!obj) return send(404, status(404, 'NotFound', `${plural} "${name}" not found`));
    if (req.method === 'PATCH' && req.headers['content-type'] !== 'application/merge-patch+json')
      return send(415, status(415, 'UnsupportedMediaType', 'unsupported patch type'));
    if (plural === 'deployments' && sub === 'scale') {
      if (req.method === 'PATCH') {
        const r = (body as { spec?: { replicas?: unknown } })?.spec?.replicas;
        if (typeof r !== 'number' || r < 0 || !Number.isInteger(r))
          return send(422, status(422, 'Invalid', 'spec.replicas: Invalid value'));
        this.scaleDeployment(ns, name, r);
      }
      const d = this.bucket(plural).get(`${ns}/${name}`)!;
      const replicas = (d.spec?.replicas as number | undefined) ?? 1;
      return send(200, {
        kind: 'Scale',
        apiVersion: 'autoscaling/v1',
        metadata: { name, namespace: ns, resourceVersion: d.metadata.resourceVersion },
        spec: { replicas },
        status: { replicas, selector: `app=${name}` },
      });
    }
    if (req.method === 'PATCH') {
      const next = mergePatch(obj, body) as K8sObject;
      this.put(next);
      if (plural === 'propagationpolicies') this.onPolicy?.(next);
      return send(200, this.bucket(plural).get(`${ns}/${name}`));
    }
    send(200, obj);
  }

  /** Karmada mode: called after a PropagationPolicy is patched. */
  onPolicy?: (policy: K8sObject) => void;

  /** The Deployment controller, in one step: the pods follow spec.replicas, all Running and ready. */
  scaleDeployment(ns: string, name: string, replicas: number): void {
    const d = structuredClone(this.get('Deployment', ns, name)!);
    d.spec = { ...d.spec, replicas };
    d.status = { replicas, readyReplicas: replicas, availableReplicas: replicas, observedGeneration: 1 };
    const dep = this.put(d);
    const rsName = `${name}-6d4cf56db6`;
    if (!this.get('ReplicaSet', ns, rsName)) this.put(replicaSet(dep, rsName));
    const pods = [...this.bucket('pods').values()].filter((p) => p.metadata.ownerReferences?.[0]?.name === rsName);
    for (let i = pods.length; i < replicas; i++) {
      const template = (d.spec.template as { spec: Record<string, unknown> }).spec;
      this.put(
        pod(
          `${rsName}-${this.name}${i}x`,
          ns,
          { kind: 'ReplicaSet', name: rsName },
          template,
          `${this.name}-node-${i}`,
        ),
      );
    }
    for (const p of pods.slice(replicas)) this.delete('Pod', ns, p.metadata.name);
  }
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export function replicaSet(owner: K8sObject, name: string): K8sObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: owner.metadata.namespace ?? 'default',
      labels: { app: owner.metadata.name, 'pod-template-hash': '6d4cf56db6' },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: owner.kind,
          name: owner.metadata.name,
          uid: owner.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: { replicas: owner.spec?.replicas ?? 1, selector: { matchLabels: { app: owner.metadata.name } } },
    status: { replicas: owner.spec?.replicas ?? 1 },
  };
}

/** A Pod as the API returns it: owner reference to its controller, scheduled and Running when `node` is given. */
export function pod(
  name: string,
  namespace: string,
  owner: { kind: string; name: string; apiVersion?: string } | undefined,
  spec: Record<string, unknown>,
  node?: string,
): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      labels: owner?.kind === 'Job' ? { 'job-name': owner.name, 'batch.kubernetes.io/job-name': owner.name } : {},
      ...(owner
        ? {
            ownerReferences: [
              {
                apiVersion: owner.apiVersion ?? (owner.kind === 'Job' ? 'batch/v1' : 'apps/v1'),
                kind: owner.kind,
                name: owner.name,
                uid: `uid-${owner.name}`,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          }
        : {}),
    },
    spec: {
      ...spec,
      ...(node ? { nodeName: node } : {}),
      restartPolicy: spec.restartPolicy ?? 'Always',
      schedulerName: 'default-scheduler',
    },
    status: node
      ? {
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-12-01T00:00:05Z' }],
          hostIP: '10.0.0.5',
          podIP: '10.244.1.7',
          startTime: '2026-12-01T00:00:01Z',
        }
      : { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] },
  };
}

/** A pod template spec asking for `gpus` of `resource` in one container. */
export function gpuPodSpec(
  gpus: number,
  extra: Record<string, unknown> = {},
  resource = 'nvidia.com/gpu',
): Record<string, unknown> {
  return {
    containers: [
      {
        name: 'main',
        image: 'nvcr.io/nvidia/pytorch:24.05-py3',
        resources: { limits: { [resource]: String(gpus), memory: '64Gi' }, requests: { cpu: '8', memory: '64Gi' } },
      },
    ],
    ...extra,
  };
}

export class LoopbackApi {
  readonly clusters = new Map<string, FakeCluster>();
  private server: Server | undefined;
  url = '';

  cluster(name: string): FakeCluster {
    let c = this.clusters.get(name);
    if (!c) this.clusters.set(name, (c = new FakeCluster(name)));
    return c;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        const [, prefix = '', ...rest] = url.pathname.split('/');
        const c = this.clusters.get(prefix);
        if (req.headers.authorization !== `Bearer ${TOKEN}`)
          return res
            .writeHead(401, { 'content-type': 'application/json' })
            .end(JSON.stringify(status(401, 'Unauthorized', 'Unauthorized')));
        if (!c) return res.writeHead(404).end();
        c.requests.push(`${req.method ?? ''} /${rest.join('/')}${url.search}`);
        if (c.unavailable)
          return res
            .writeHead(503, { 'content-type': 'application/json' })
            .end(
              JSON.stringify(status(503, 'ServiceUnavailable', 'the server is currently unable to handle the request')),
            );
        let body: unknown;
        try {
          body = raw ? (JSON.parse(raw) as unknown) : undefined;
        } catch {
          return res.writeHead(400).end();
        }
        c.handle(req, res, `/${rest.join('/')}`, url.searchParams, body);
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const c of this.clusters.values()) c.closeWatches();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }

  /** A kubeconfig with one context per cluster, named like it. */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    const names = [...this.clusters.keys()];
    kc.loadFromOptions({
      clusters: names.map((n) => ({ name: n, server: `${this.url}/${n}`, skipTLSVerify: true })),
      users: [{ name: 'meridian', token: TOKEN }],
      contexts: names.map((n) => ({ name: n, cluster: n, user: 'meridian' })),
      currentContext: names[0] ?? '',
    });
    return kc;
  }
}
