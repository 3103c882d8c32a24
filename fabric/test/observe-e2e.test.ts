/**
 * End to end, on two loopback clusters (regions "a" and "b", one kubeconfig context each) and the
 * embedded store: a Job created in cluster "a" appears as a `workloads` row; region "a" runs hot in
 * the store; a scheduler pass plans a move; the Kubernetes executor scales the Deployment up in "b"
 * and down in "a"; the clusters' pods follow; the observer's row shows the new region.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyTopology, observerConfigSchema, parseTopology, WorkloadObserver } from '@meridian/fabric';
import { createExecutor, createScheduler, parseConfig } from '@meridian/scheduler';
import { openStore, type SampleRow, type Store } from '@meridian/store';
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

  it('a workload that disappears gets a final done row', async () => {
    a.delete('Pod', 'ml', 'train-x7k2p');
    a.delete('Job', 'ml', 'train');
    await until(async () => (await row('ml/train'))?.state === 'done', 'the done row');
    expect(observer.stats.annotationErrors).toBe(0);
    expect(log.filter((l) => !l.includes('retrying'))).toEqual([]);
  });
});
