/**
 * Attribution on a Kubernetes node, end to end: a real gRPC server on a unix socket plays the
 * kubelet's PodResources answers (a training pod on two GPUs that ends mid-run, an inference pod on
 * MIG instances named both ways, a time-sliced replica, a CPU-only pod), the component pushes
 * intervals through the real pipeline and store sink into the embedded store, and every GPU sample
 * written beside them joins to the pod that held its GPU at that instant.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttributionSource, createPipeline, createStoreSink, SourceErrorCounters } from '@meridian/collector';
import type { ListPodResourcesResponse, SourceContext } from '@meridian/collector';
import { openStore, type Store } from '@meridian/store';
import { startFakeKubelet, type FakeKubelet } from './kubelet-server.js';

const root = mkdtempSync(join(tmpdir(), 'meridian-attrib-k8s-'));
const socket = join(root, 'kubelet.sock');
let kubelet: FakeKubelet;
let store: Store;

const A = 'GPU-0f1e2d3c-0000-4000-8000-00000000000a';
const B = 'GPU-0f1e2d3c-0000-4000-8000-00000000000b';
const C = 'GPU-0f1e2d3c-0000-4000-8000-00000000000c';
const D = 'GPU-0f1e2d3c-0000-4000-8000-00000000000d';
const MIG_NEW = 'MIG-7b3f1c2a-9d4e-5f60-8a71-b2c3d4e5f607';

/** What the kubelet answers while the training pod runs (shapes as `kubectl get --raw` shows them). */
const RUNNING: ListPodResourcesResponse = {
  pod_resources: [
    {
      name: 'llama-pretrain-worker-0',
      namespace: 'ml-train',
      containers: [{ name: 'trainer', devices: [{ resource_name: 'nvidia.com/gpu', device_ids: [A, B] }] }],
    },
    {
      name: 'triton-7d9f8b6c5d-x2x4q',
      namespace: 'serving',
      containers: [
        {
          name: 'triton',
          devices: [
            { resource_name: 'nvidia.com/mig-1g.10gb', device_ids: [`MIG-${C}/1/0`] },
            { resource_name: 'nvidia.com/mig-3g.40gb', device_ids: [MIG_NEW] },
          ],
        },
      ],
    },
    {
      name: 'notebook-5c6d7',
      namespace: 'research',
      containers: [{ name: 'jupyter', devices: [{ resource_name: 'nvidia.com/gpu', device_ids: [`${D}::3`] }] }],
    },
    { name: 'coredns-abcde', namespace: 'kube-system', containers: [{ name: 'coredns', devices: [] }] },
  ],
};

function ctxAt(clock: { t: number }, push: SourceContext['emit'], errors = new SourceErrorCounters()): SourceContext {
  return { region: 'eu-west', host: 'gpu-node-3', emit: push, errors, now: () => clock.t, log: () => undefined };
}

beforeAll(async () => {
  kubelet = await startFakeKubelet(socket);
  store = await openStore({ data: join(root, 'data') });
  await store.migrate();
});
afterAll(async () => {
  await kubelet?.close();
  await store?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('attribution from the kubelet PodResources API', () => {
  it('writes intervals that every GPU sample of the period joins to, through a pod that ends mid-run', async () => {
    const sink = createStoreSink({ store });
    const pipeline = createPipeline({ sink, flushIntervalMs: 0, collectorId: 'gpu-node-3' });
    // Yesterday's midnight: the GPU samples go to a raw table with a 14-day TTL, which a fixed date would outlive.
    const t0 = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000;
    const clock = { t: t0 };
    kubelet.list = RUNNING;
    kubelet.allocatable = {
      devices: [
        { resource_name: 'nvidia.com/gpu', device_ids: [A, B, D, 'GPU-0f1e2d3c-0000-4000-8000-0000000000ee'] },
        { resource_name: 'nvidia.com/mig-1g.10gb', device_ids: [`MIG-${C}/1/0`] },
      ],
    };
    const migs = (uuid: string) => (uuid === MIG_NEW ? { gpu_uuid: C, mig_instance: '2/0' } : undefined);
    const source = new AttributionSource({ mode: 'kubernetes', socket, intervalMs: 3_600_000, migs });
    // The agent's wiring: a source's emit is the pipeline's push.
    await source.start(ctxAt(clock, (target, rows) => pipeline.push(target, rows as never)));
    expect(source.state()).toBe('running');
    expect(source.stats.path).toBe('kubernetes');

    // 60 s in: the training pod is gone (its Job finished); the kubelet no longer lists it.
    clock.t = t0 + 60_000;
    kubelet.list = { pod_resources: RUNNING.pod_resources.slice(1) };
    await source.refreshNow();
    // 90 s in: a new pod takes GPU A.
    clock.t = t0 + 90_000;
    kubelet.list = {
      pod_resources: [
        ...RUNNING.pod_resources.slice(1),
        {
          name: 'eval-job-7xq2z',
          namespace: 'ml-eval',
          containers: [{ name: 'eval', devices: [{ resource_name: 'nvidia.com/gpu', device_ids: [A] }] }],
        },
      ],
    };
    await source.refreshNow();
    // A refresh that changes nothing writes nothing.
    clock.t = t0 + 100_000;
    const before = source.stats.rows;
    await source.refreshNow();
    expect(source.stats.rows).toBe(before);

    // GPU samples every 10 s for 2 minutes, for the whole GPUs and the MIG instances.
    const samples = [];
    for (let s = 5_000; s < 120_000; s += 10_000) {
      for (const [gpu, mig] of [
        [A, ''],
        [B, ''],
        [C, '1/0'],
        [C, '2/0'],
        [D, ''],
      ] as const)
        samples.push({
          ts: t0 + s,
          source: 'nvidia-smi',
          region: 'eu-west',
          host: 'gpu-node-3',
          gpu_uuid: gpu,
          mig_instance: mig,
          util_gpu: 50,
        });
    }
    pipeline.push('gpu', samples);
    await pipeline.flush();
    await sink.drained();

    const joined = await store.query<{
      gpu_uuid: string;
      mig_instance: string;
      sec: number;
      pod: string;
      workload_id: string;
    }>(
      `SELECT s.gpu_uuid AS gpu_uuid, s.mig_instance AS mig_instance,
              intDiv(toUnixTimestamp64Milli(s.ts) - {t0:Int64}, 1000) AS sec,
              if(s.ts < a.ts_end AND a.orchestrator != '', concat(a.namespace, '/', a.pod), '') AS pod,
              if(s.ts < a.ts_end, a.workload_id, '') AS workload_id
         FROM gpu_samples AS s
         ASOF LEFT JOIN (SELECT * FROM gpu_assignments FINAL) AS a
           ON s.host = a.host AND s.gpu_uuid = a.gpu_uuid AND s.mig_instance = a.mig_instance AND s.ts >= a.ts
        WHERE s.host = 'gpu-node-3'
        ORDER BY gpu_uuid, mig_instance, sec`,
      { t0 },
    );
    const podAt = (gpu: string, mig: string, sec: number) =>
      joined.find((r) => r.gpu_uuid === gpu && r.mig_instance === mig && Number(r.sec) === sec)?.pod;
    expect(joined).toHaveLength(samples.length);
    // The training pod holds A and B until it ends at 60 s; A is idle until 90 s, then the eval pod's.
    for (const sec of [5, 15, 55]) expect(podAt(A, '', sec)).toBe('ml-train/llama-pretrain-worker-0');
    for (const sec of [65, 85]) expect(podAt(A, '', sec)).toBe('');
    for (const sec of [95, 115]) expect(podAt(A, '', sec)).toBe('ml-eval/eval-job-7xq2z');
    for (const sec of [5, 55]) expect(podAt(B, '', sec)).toBe('ml-train/llama-pretrain-worker-0');
    for (const sec of [65, 115]) expect(podAt(B, '', sec)).toBe('');
    // MIG instances, named the old way (MIG-GPU-…/GI/CI) and the R470+ way (through the inventory).
    for (const sec of [5, 115]) {
      expect(podAt(C, '1/0', sec)).toBe('serving/triton-7d9f8b6c5d-x2x4q');
      expect(podAt(C, '2/0', sec)).toBe('serving/triton-7d9f8b6c5d-x2x4q');
      // A time-sliced replica attributes the GPU it runs on.
      expect(podAt(D, '', sec)).toBe('research/notebook-5c6d7');
    }
    // Workload ids name the controller, as the workload observer does.
    expect(joined.find((r) => r.pod === 'serving/triton-7d9f8b6c5d-x2x4q')?.workload_id).toBe('serving/triton');
    expect(joined.find((r) => r.pod === 'ml-train/llama-pretrain-worker-0')?.workload_id).toBe(
      'ml-train/llama-pretrain-worker',
    );

    // The idle GPU the node has (from GetAllocatableResources) got an idle interval; the CPU-only pod none.
    const rows = await store.query<{ gpu_uuid: string; orchestrator: string; pod: string; open: number }>(
      `SELECT gpu_uuid, orchestrator, pod, ts_end > now64() AS open FROM gpu_assignments FINAL ORDER BY gpu_uuid, ts`,
    );
    expect(rows.filter((r) => r.orchestrator === '').map((r) => r.gpu_uuid)).toEqual([
      'GPU-0f1e2d3c-0000-4000-8000-0000000000ee',
    ]);
    expect(rows.some((r) => r.pod.startsWith('coredns'))).toBe(false);
    expect(rows.filter((r) => r.pod === 'llama-pretrain-worker-0').map((r) => Number(r.open))).toEqual([0, 0]);

    // Stopping ends every open interval.
    clock.t = t0 + 120_000;
    await source.stop();
    await pipeline.close();
    const open = await store.query<{ n: string }>(
      `SELECT count() AS n FROM gpu_assignments FINAL WHERE orchestrator != '' AND ts_end > now64()`,
    );
    expect(Number(open[0]?.n)).toBe(0);
  });
});
