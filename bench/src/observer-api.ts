/**
 * bench:observer's API server: one cluster of 10,000 GPU pods (1,250 Jobs of 8 one-GPU pods) served
 * as kube-apiserver serves them (paged PodList; a watch of JSON lines), and a stream of MODIFIED pod
 * events at a fixed rate, the same bytes to every watcher. Every other resource lists empty and
 * watches quietly; the CRDs are not installed (404), as on a plain cluster.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const TOKEN = 'bench-token';

/** A Pod as the API returns it (core/v1), about 2 KB of JSON. */
function podJson(i: number, rv: number, phase: 'Running' | 'Pending'): string {
  const job = `train-${Math.floor(i / 8)}`;
  const name = `${job}-${(i % 8).toString(36)}x7k2p`;
  return JSON.stringify({
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name,
      generateName: `${job}-`,
      namespace: `team-${Math.floor(i / 8) % 20}`,
      uid: `6f1c2a7e-0000-4000-8000-${i.toString().padStart(12, '0')}`,
      resourceVersion: String(rv),
      creationTimestamp: '2026-12-01T00:00:00Z',
      labels: {
        'batch.kubernetes.io/controller-uid': `c-${job}`,
        'batch.kubernetes.io/job-name': job,
        'controller-uid': `c-${job}`,
        'job-name': job,
      },
      annotations: { 'kubectl.kubernetes.io/default-container': 'main' },
      ownerReferences: [
        { apiVersion: 'batch/v1', kind: 'Job', name: job, uid: `c-${job}`, controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: {
      containers: [
        {
          name: 'main',
          image: 'nvcr.io/nvidia/pytorch:24.05-py3',
          command: ['torchrun', '--nproc-per-node=1', 'train.py'],
          env: [{ name: 'NCCL_DEBUG', value: 'WARN' }],
          resources: {
            limits: { 'nvidia.com/gpu': '1', memory: '64Gi' },
            requests: { cpu: '8', memory: '64Gi', 'nvidia.com/gpu': '1' },
          },
          volumeMounts: [
            { name: 'kube-api-access-x1', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
          ],
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          imagePullPolicy: 'IfNotPresent',
        },
      ],
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' },
      serviceAccountName: 'default',
      nodeName: `gpu-node-${Math.floor(i / 8)}`,
      schedulerName: 'default-scheduler',
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
    },
    status: {
      phase,
      conditions: [
        { type: 'Initialized', status: 'True', lastTransitionTime: '2026-12-01T00:00:01Z' },
        { type: 'Ready', status: phase === 'Running' ? 'True' : 'False', lastTransitionTime: '2026-12-01T00:00:05Z' },
        { type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-12-01T00:00:00Z' },
      ],
      hostIP: '10.0.0.5',
      podIP: `10.244.${i >> 8}.${i & 255}`,
      startTime: '2026-12-01T00:00:01Z',
      containerStatuses: [
        {
          name: 'main',
          ready: phase === 'Running',
          restartCount: 0,
          image: 'nvcr.io/nvidia/pytorch:24.05-py3',
          imageID: 'nvcr.io/nvidia/pytorch@sha256:0123456789abcdef',
          containerID: `containerd://${i.toString(16).padStart(64, '0')}`,
          started: phase === 'Running',
          state:
            phase === 'Running'
              ? { running: { startedAt: '2026-12-01T00:00:04Z' } }
              : { waiting: { reason: 'ContainerCreating' } },
        },
      ],
      qosClass: 'Burstable',
    },
  });
}

export class BenchApi {
  readonly pods: number;
  rv = 1000;
  /** Events sent to the pod watches (per watcher). */
  sent = 0;
  private server: Server | undefined;
  private readonly podWatches = new Set<ServerResponse>();
  private readonly quiet = new Set<ServerResponse>();
  url = '';

  constructor(pods: number) {
    this.pods = pods;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return res.writeHead(401).end();
      const url = new URL(req.url ?? '/', 'http://x');
      const json = { 'content-type': 'application/json' };
      const path = url.pathname;
      const known =
        /^\/(api\/v1\/pods|apis\/apps\/v1\/(deployments|replicasets|statefulsets)|apis\/batch\/v1\/jobs)$/.test(path);
      if (!known) return res.writeHead(404, json).end('{"kind":"Status","code":404,"reason":"NotFound"}');
      if (url.searchParams.get('watch') === 'true') {
        res.writeHead(200, json);
        res.flushHeaders();
        const set = path === '/api/v1/pods' ? this.podWatches : this.quiet;
        set.add(res);
        res.on('close', () => set.delete(res));
        return;
      }
      if (path !== '/api/v1/pods')
        return res
          .writeHead(200, json)
          .end(`{"kind":"List","apiVersion":"v1","metadata":{"resourceVersion":"${this.rv}"},"items":[]}`);
      const limit = Number(url.searchParams.get('limit') ?? this.pods) || this.pods;
      const from = Number(url.searchParams.get('continue') ?? '0');
      const to = Math.min(this.pods, from + limit);
      const items: string[] = [];
      for (let i = from; i < to; i++) items.push(podJson(i, 1000, 'Running'));
      const cont = to < this.pods ? `,"continue":"${to}"` : '';
      res
        .writeHead(200, json)
        .end(
          `{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"${this.rv}"${cont}},"items":[${items.join(',')}]}`,
        );
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Number of pod watchers connected now. */
  get watchers(): number {
    return this.podWatches.size;
  }

  /** Sends `n` MODIFIED events (round-robin over the pods, phase flipping) to every pod watcher. */
  emit(n: number): void {
    let chunk = '';
    for (let k = 0; k < n; k++) {
      this.rv++;
      const i = this.sent % this.pods;
      const phase = Math.floor(this.sent / this.pods) % 2 === 0 ? 'Pending' : 'Running';
      chunk += `{"type":"MODIFIED","object":${podJson(i, this.rv, phase)}}\n`;
      this.sent++;
    }
    for (const w of this.podWatches) w.write(chunk);
  }

  async stop(): Promise<void> {
    for (const w of [...this.podWatches, ...this.quiet]) w.end();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }
}
