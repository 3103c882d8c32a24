/**
 * End to end, on two loopback clusters (regions "a" and "b", one kubeconfig context each) and the
 * embedded store: a Job created in cluster "a" appears as a `workloads` row; region "a" runs hot in
 * the store; a scheduler pass plans a move; the Kubernetes executor scales the Deployment up in "b"
 * and down in "a"; the clusters' pods follow; the observer's row shows the new region; and the GPU
 * rows of the new pod (the collector's attribution reading a real gRPC PodResources server on a unix
 * socket, as the kubelet on b-node-0 would answer) join to the same workload, with the GPU samples of
 * the period, through the observer's record of the pod (pod_workloads).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyTopology, observerConfigSchema, parseTopology, WorkloadObserver } from '@meridian/fabric';
import { createExecutor, createScheduler, parseConfig } from '@meridian/scheduler';
import { AttributionSource, SourceErrorCounters } from '@meridian/collector';
import { openStore, type GpuAssignmentRow, type SampleRow, type Store } from '@meridian/store';
import { startFakeKubelet } from '../../collector/test/attribution/kubelet-server.js';
import { until } from '../../collector/test/until.js';
import { gpuPodSpec, LoopbackApi, pod, type K8sObject } from './support/kube-api.js';

const MIN = 60_000;
const dir = mkdtempSync(join(tmpdir(), 'meridian-observe-e2e-'));
const api = new LoopbackApi();
const a = api.cluster('a');
const b = api.cluster('b');
let store: Store;
let observer: WorkloadObserver;
const log: string[] = [];

const TOPOLOGY = `
regions:
  - { name: a, lat: 52.52, lon: 13.40, hosts: [{ count: 2, gpus_per_host: 8, gpu: { model: H100, memory_gb: 80, tdp_w: 700 } }] }
  - { name: b, lat: 48.86, lon: 2.35, hosts: [{ count: 2, gpus_per_host: 8, gpu: { model: H100, memory_gb: 80, tdp_w: 700 } }] }
links:
  - { from: a, to: b, route_km: 1100, capacity_gbps: 400 }
`;

async function row(id: string): Promise<Record<string, unknown> | undefined> {
  const [r] = await store.query<Record<string, unknown>>(
    `SELECT workload_id, kind, comm_class, gpus, region, state, pinned, replica_gpus FROM workloads FINAL WHERE workload_id = {id:String}`,
    { id },
  );
  return r;
}

function deployment(replicas: number): K8sObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'llm', namespace: 'serve', labels: { app: 'llm' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'llm' } },
      strategy: { type: 'RollingUpdate' },
      template: { metadata: { labels: { app: 'llm' } }, spec: gpuPodSpec(8) },
    },
    status: {},
  };
}

/** GPU samples of the last five minutes: region "a" at 98 % utilization, "b" at 10 %; links healthy. */
async function hotRegionA(now: number): Promise<void> {
  const gpu: SampleRow[] = [];
  const link: SampleRow[] = [];
  for (let m = 5; m >= 0; m--) {
    const ts = now - m * MIN - 1000;
    for (const r of ['a', 'b'])
      for (let g = 0; g < 16; g++)
        gpu.push({
          ts,
          source: 'k8s-e2e',
          region: r,
          host: `${r}-node-${g >> 3}`,
          gpu_uuid: `GPU-${r}-${g}`,
          model: 'H100',
          util_gpu: r === 'a' ? 98 : 10,
          power_draw: 400,
          power_limit: 700,
          temp_gpu: 60,
          throttled: 0,
          xid_count: 0,
          ecc_dbe_volatile: 0,
        });
    for (const [x, y] of [
      ['a', 'b'],
      ['b', 'a'],
    ] as const)
      link.push({
        ts,
        source: 'k8s-e2e',
        link_id: `${x}->${y}`,
        region_from: x,
        region_to: y,
        host: `${x}-node-0`,
        lane: 0,
        rtt_avg: 11.2,
        loss_pct: 0,
        jitter: 0.05,
        throughput: 5e9,
        capacity: 50e9,
      });
  }
  expect((await store.writer('gpu').write(gpu)).rejected).toEqual([]);
  expect((await store.writer('link').write(link)).rejected).toEqual([]);
  await applyTopology(store, parseTopology(TOPOLOGY), now - 60 * MIN);
}

beforeAll(async () => {
  await api.start();
  store = await openStore({ data: join(dir, 'store') });
  await store.migrate();
  observer = await WorkloadObserver.create({
    config: observerConfigSchema.parse({ clusters: [{ region: 'a' }, { region: 'b' }], flushSeconds: 0.05 }),
    store,
    kubeConfig: api.kubeConfig(),
    log: (l) => log.push(l),
  });
  observer.start();
});

afterAll(async () => {
  await observer?.stop();
  await api.stop();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Kubernetes workloads end to end', () => {
  it('a Job created in cluster "a" appears as a workloads row', async () => {
    a.put({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'train', namespace: 'ml', annotations: { 'meridian.dev/pinned': 'true' } },
      spec: { parallelism: 1, completions: 1, template: { spec: gpuPodSpec(8, { restartPolicy: 'Never' }) } },
      status: { active: 1, startTime: '2026-12-01T00:00:00Z' },
    });
    a.put(
      pod('train-x7k2p', 'ml', { kind: 'Job', name: 'train' }, gpuPodSpec(8, { restartPolicy: 'Never' }), 'a-node-0'),
    );
    await until(async () => (await row('ml/train'))?.state === 'running', 'the Job row');
    expect(await row('ml/train')).toMatchObject({
      kind: 'batch',
      comm_class: 'independent',
      gpus: 8,
      region: 'a',
      pinned: 1,
    });
  });

  it('a pass moves the Deployment off hot region "a"; the clusters follow and the row shows region "b"', async () => {
    a.put(deployment(1));
    a.scaleDeployment('serve', 'llm', 1);
    b.put(deployment(0));
    b.scaleDeployment('serve', 'llm', 0);
    await until(async () => (await row('serve/llm'))?.region === 'a', 'the Deployment row in a');
    expect(await row('serve/llm')).toMatchObject({ kind: 'inference', gpus: 8, state: 'running', replica_gpus: 8 });

    const now = Date.now();
    await hotRegionA(now);
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, api.kubeConfig().exportConfig(), { mode: 0o600 });
    const config = parseConfig({
      load: { low: 0.6, high: 0.85, persistSeconds: 0 },
      balance: { persistSeconds: 0 },
      migration: { overheadGpuSeconds: 0 },
      keepFreeGpus: 0,
      // One 8-GPU move in a 32-GPU fabric: the default budget (10 %) would hold it.
      limits: { disruptionBudget: 0.5 },
      store: { source: '' },
      executor: { kind: 'kubernetes', mode: 'deployments', kubeconfig, namespace: 'default' },
    });
    const scheduler = await createScheduler({
      config,
      store,
      executor: await createExecutor(config),
      useSolver: false,
    });
    const pass = await scheduler.runPass();
    const moved = pass.executed.map((e) => [
      e.planned.move.workloadId,
      e.planned.move.from,
      e.planned.move.to,
      e.outcome.status,
    ]);
    expect(moved).toEqual([['serve/llm', 'a', 'b', 'started']]);
    // Make-before-break: up in b first, then down in a; every write a merge patch on the scale subresource.
    expect(b.get('Deployment', 'serve', 'llm')?.spec?.replicas).toBe(1);
    expect(a.get('Deployment', 'serve', 'llm')?.spec?.replicas).toBe(0);
    await until(async () => (await row('serve/llm'))?.region === 'b', 'the row in region b');
    expect(await row('serve/llm')).toMatchObject({ gpus: 8, state: 'running' });
    expect(await row('ml/train')).toMatchObject({ region: 'a', state: 'running' });
  });

  it("the new pod's GPU rows join to the moved workload, with the GPU samples of the period", async () => {
    // The pod the Deployment controller made in "b", as the observer sees it.
    const [newPod] = [...(b.objects.get('pods')?.values() ?? [])].filter((p) => p.metadata.namespace === 'serve');
    if (!newPod) throw new Error('no serve pod in cluster b');
    const podName = newPod.metadata.name;
    await until(
      async () =>
        (await store.query(`SELECT 1 FROM pod_workloads FINAL WHERE pod = {p:String} AND region = 'b'`, { p: podName }))
          .length === 1,
      "the observer's record of the new pod",
    );
    // The kubelet on b-node-0 hands the pod its 8 GPUs (GPU-b-0 … GPU-b-7: that node's, as sampled above).
    const kubelet = await startFakeKubelet(join(dir, 'kubelet.sock'));
    const gpus = Array.from({ length: 8 }, (_, g) => `GPU-b-${g}`);
    kubelet.list = {
      pod_resources: [
        {
          name: podName,
          namespace: 'serve',
          containers: [{ name: 'main', devices: [{ resource_name: 'nvidia.com/gpu', device_ids: gpus }] }],
        },
      ],
    };
    kubelet.allocatable = { devices: [{ resource_name: 'nvidia.com/gpu', device_ids: gpus }] };
    const emitted: GpuAssignmentRow[] = [];
    const start = Date.now();
    const source = new AttributionSource({
      mode: 'kubernetes',
      socket: join(dir, 'kubelet.sock'),
      intervalMs: 3_600_000,
    });
    try {
      await attributeAndJoin(source);
    } finally {
      await source.stop();
      await kubelet.close();
    }

    async function attributeAndJoin(source: AttributionSource): Promise<void> {
      await source.start({
        region: 'b',
        host: 'b-node-0',
        emit: (target, rows) => {
          if (target === 'gpu_assignments') emitted.push(...(rows as readonly GpuAssignmentRow[]));
        },
        errors: new SourceErrorCounters(),
        now: () => start,
      });
      expect(source.stats.path).toBe('kubernetes');
      expect(emitted.map((r) => r.gpu_uuid).sort()).toEqual(gpus);
      // The collector alone could only guess from the pod's name, which is not the workload's.
      expect(new Set(emitted.map((r) => r.workload_id))).not.toContain('serve/llm');
      await store.insert('gpu_assignments', emitted);

      // A minute of b-node-0's samples while the pod holds its GPUs.
      const samples: SampleRow[] = [];
      for (let s = 5_000; s < 60_000; s += 10_000)
        for (const uuid of gpus)
          samples.push({
            ts: start + s,
            source: 'k8s-e2e',
            region: 'b',
            host: 'b-node-0',
            gpu_uuid: uuid,
            util_gpu: 90,
          });
      expect((await store.writer('gpu').write(samples)).rejected).toEqual([]);

      // Each sample → the interval holding its instant → the observer's pod record (else the guess).
      const joined = await store.query<{ workload_id: string; samples: string; gpus: string }>(
        `SELECT if(p.workload_id != '', p.workload_id, h.workload_id) AS workload_id, count() AS samples,
              uniqExact(h.gpu_uuid) AS gpus
         FROM (SELECT s.ts AS ts, a.region AS region, a.namespace AS namespace, a.pod AS pod,
                      a.gpu_uuid AS gpu_uuid, a.workload_id AS workload_id
                 FROM gpu_samples AS s
                 ASOF JOIN (SELECT * FROM gpu_assignments FINAL) AS a
                   ON s.host = a.host AND s.gpu_uuid = a.gpu_uuid AND s.mig_instance = a.mig_instance AND s.ts >= a.ts
                WHERE s.host = 'b-node-0' AND s.ts >= {from:DateTime64(3)} AND s.ts < a.ts_end AND a.orchestrator != '') AS h
         ASOF LEFT JOIN (SELECT * FROM pod_workloads FINAL) AS p
           ON h.region = p.region AND h.namespace = p.namespace AND h.pod = p.pod AND h.ts >= p.ts
        GROUP BY workload_id`,
        { from: new Date(start).toISOString().replace('T', ' ').replace('Z', '') },
      );
      expect(joined.map((j) => [j.workload_id, Number(j.samples), Number(j.gpus)])).toEqual([
        ['serve/llm', samples.length, 8],
      ]);
      expect(await row('serve/llm')).toMatchObject({ region: 'b', state: 'running' });
    }
  });

  it('a workload that disappears gets a final done row', async () => {
    a.delete('Pod', 'ml', 'train-x7k2p');
    a.delete('Job', 'ml', 'train');
    await until(async () => (await row('ml/train'))?.state === 'done', 'the done row');
    // Its pod's record is closed too: readers join GPU intervals to it only up to its end.
    await until(
      async () =>
        (
          await store.query(
            `SELECT 1 FROM pod_workloads FINAL WHERE pod = 'train-x7k2p' AND pod_workloads.ts_end < toDateTime64('2100-01-01 00:00:00', 3, 'UTC')`,
          )
        ).length === 1,
      "the pod's closed record",
    );
    expect(observer.stats.annotationErrors).toBe(0);
    expect(log.filter((l) => !l.includes('retrying'))).toEqual([]);
  });
});
