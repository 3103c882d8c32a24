/**
 * The observer's write rules, with a store stand-in that records the rows: only changed rows are
 * written; a cluster that is down does not hold the others back, and nothing is declared gone until
 * it has listed; a malformed annotation is counted and logged once, naming the object and the key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { observerConfigSchema, WorkloadObserver } from '@meridian/fabric';
import { OPEN_END_MS, type PodWorkloadRow, type WorkloadRow } from '@meridian/store';
import { until } from '../../collector/test/until.js';
import { gpuPodSpec, LoopbackApi, pod } from './support/kube-api.js';

const api = new LoopbackApi();
const up = api.cluster('up');
const down = api.cluster('down');
const rows: WorkloadRow[] = [];
/** pod_workloads rows: each GPU pod's workload. */
const podRows: PodWorkloadRow[] = [];
const log: string[] = [];
let observer: WorkloadObserver;

beforeAll(async () => {
  await api.start();
  down.unavailable = true;
  observer = await WorkloadObserver.create({
    config: observerConfigSchema.parse({
      clusters: [{ region: 'up' }, { region: 'down' }],
      flushSeconds: 0.05,
      backoff: { baseSeconds: 0.02, maxSeconds: 0.1 },
    }),
    store: {
      insert: async (table, r) => {
        if (table === 'workloads') rows.push(...(r as readonly WorkloadRow[]));
        else podRows.push(...(r as readonly PodWorkloadRow[]));
      },
      query: async () => [],
    },
    kubeConfig: api.kubeConfig(),
    log: (l) => log.push(l),
  });
  observer.start();
});
afterAll(async () => {
  await observer.stop();
  await api.stop();
});

const of = (id: string) => rows.filter((r) => r.workload_id === id);

describe('WorkloadObserver', () => {
  it('writes what the reachable cluster runs while another is down, and logs which one fails', async () => {
    up.put({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'sweep', namespace: 'ml', annotations: { 'meridian.dev/latency-budget-ms': 'fast' } },
      spec: { parallelism: 1, template: { spec: gpuPodSpec(4, { restartPolicy: 'Never' }) } },
      status: { active: 1 },
    });
    up.put(pod('sweep-1', 'ml', { kind: 'Job', name: 'sweep' }, gpuPodSpec(4), 'up-node-1'));
    await until(() => of('ml/sweep').length > 0, 'the row of the reachable cluster');
    expect(of('ml/sweep')).toEqual([
      expect.objectContaining({ region: 'up', gpus: 4, state: 'running', latency_budget_ms: 0 }),
    ]);
    await until(
      () => log.some((l) => l.startsWith('cluster down: pods: GET /down/api/v1/pods') && l.includes('HTTP 503')),
      'the failure logged with cluster and resource',
    );
    // The malformed annotation: counted and logged once, naming the object and the key.
    const ann = log.filter((l) => l.includes('meridian.dev/latency-budget-ms'));
    expect(ann).toEqual([
      'Job ml/sweep: annotation meridian.dev/latency-budget-ms="fast": expected milliseconds above 0 (at most 1000000); using the default',
    ]);
    expect(observer.stats.annotationErrors).toBe(1);
    // The GPU pod's workload, for the GPU-holder queries (pod_workloads): open while the pod exists.
    expect(podRows.map((r) => [r.region, r.cluster, r.pod, r.kind, r.workload_id, r.ts_end])).toEqual([
      ['up', 'up', 'sweep-1', 'Job', 'ml/sweep', OPEN_END_MS],
    ]);
  });

  it('declares nothing gone while a cluster has not listed; once it has, a vanished workload gets its done row', async () => {
    up.delete('Pod', 'ml', 'sweep-1');
    up.delete('Job', 'ml', 'sweep');
    await until(() => observer.current().rows.length === 0, 'the mirror sees the deletion');
    // No done row yet: the workload might run in the cluster that is down. Its pod, though, is gone
    // from a cluster that has listed: its record is closed.
    expect(await observer.flush()).toEqual([]);
    expect(podRows.filter((r) => r.pod === 'sweep-1').map((r) => r.ts_end < OPEN_END_MS)).toEqual([false, true]);
    expect(of('ml/sweep').map((r) => r.state)).toEqual(['running']);
    down.unavailable = false;
    await until(() => of('ml/sweep').some((r) => r.state === 'done'), 'the done row');
    expect(of('ml/sweep').at(-1)).toMatchObject({ state: 'done', region: 'up', gpus: 4 });
    expect(observer.synced).toBe(true);
  });
});
