/**
 * GPU holders resolve to the workload the observer read from the pod's owner chain, not to the
 * collector's guess from the pod's name (issue 13, store migration 0011), on the embedded engine:
 * - the workload observer watches a loopback cluster "a" with a JobSet (JobSet → Job → Pod) and a
 *   LeaderWorkerSet (LWS → StatefulSet → Pod) and writes their pods to pod_workloads;
 * - the collector's PodResources path (assignmentsFromList → AssignmentIntervals) writes the pods'
 *   GPUs to gpu_assignments with its name guesses (`ml/pretrain-workers`, `ml/vllm-0`);
 * - the Grafana plugin's holder queries and the GPU board's workload panels name `ml/pretrain` and
 *   `ml/vllm`; a pod the observer never saw keeps the guess.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AssignmentIntervals, assignmentsFromList, type ListPodResourcesResponse } from '@meridian/collector';
import {
  ALL,
  buildDashboards,
  expandMacros,
  panelQueries,
  variableQueries,
  type VariableValue,
} from '@meridian/dashboards';
import { observerConfigSchema, WorkloadObserver } from '@meridian/fabric';
import { openStore, type Store } from '@meridian/store';
import { until } from '../collector/test/until.js';
import { gpuPodSpec, LoopbackApi, pod, type K8sObject } from '../fabric/test/support/kube-api.js';

// The plugin's query module imports the data source client; only its SQL builders are used here.
vi.mock('@grafana/runtime', () => ({ getBackendSrv: () => ({}) }));

/**
 * The plugin's SQL builders. The plugin is bundled (its imports have no extensions), so it is not
 * part of this repository's Node type check: loaded at run time, typed by the two builders used.
 */
interface PluginSql {
  holdersSql(): string;
  workloadPlacementsSql(workloadId: string): string;
}
const PLUGIN_ASSIGNMENTS = fileURLToPath(new URL('../grafana-plugin/src/data/assignments.ts', import.meta.url));
let plugin: PluginSql;

const dir = mkdtempSync(join(tmpdir(), 'meridian-gpu-holders-'));
const api = new LoopbackApi();
const a = api.cluster('a');
let store: Store;
let observer: WorkloadObserver;
const log: string[] = [];
const NOW = Date.now();

const owner = (apiVersion: string, kind: string, name: string) => ({
  ownerReferences: [{ apiVersion, kind, name, uid: `uid-${name}`, controller: true, blockOwnerDeletion: true }],
});

/** A JobSet of one replicated Job, and an LWS whose group 0 has a leader and one worker StatefulSet. */
function objects(): K8sObject[] {
  const jobSpec = { parallelism: 1, completions: 1, template: { spec: gpuPodSpec(2, { restartPolicy: 'Never' }) } };
  return [
    {
      apiVersion: 'jobset.x-k8s.io/v1alpha2',
      kind: 'JobSet',
      metadata: { name: 'pretrain', namespace: 'ml' },
      spec: { replicatedJobs: [{ name: 'workers', replicas: 1, template: { spec: jobSpec } }] },
      status: {},
    },
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: 'pretrain-workers-0',
        namespace: 'ml',
        ...owner('jobset.x-k8s.io/v1alpha2', 'JobSet', 'pretrain'),
      },
      spec: jobSpec,
      status: { active: 1 },
    },
    {
      apiVersion: 'leaderworkerset.x-k8s.io/v1',
      kind: 'LeaderWorkerSet',
      metadata: { name: 'vllm', namespace: 'ml' },
      spec: {
        replicas: 1,
        leaderWorkerTemplate: {
          size: 2,
          leaderTemplate: { spec: gpuPodSpec(1) },
          workerTemplate: { spec: gpuPodSpec(1) },
        },
      },
      status: {},
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'vllm-0', namespace: 'ml', ...owner('leaderworkerset.x-k8s.io/v1', 'LeaderWorkerSet', 'vllm') },
      spec: { replicas: 1, template: { spec: gpuPodSpec(1) } },
      status: { readyReplicas: 1 },
    },
    pod('pretrain-workers-0-x7k2p', 'ml', { kind: 'Job', name: 'pretrain-workers-0' }, gpuPodSpec(2), 'a-node-0'),
    pod('vllm-0-1', 'ml', { kind: 'StatefulSet', name: 'vllm-0' }, gpuPodSpec(1), 'a-node-0'),
  ];
}

/** What the kubelet on a-node-0 answers: the two observed pods, and one the observer never saw. */
const LIST: ListPodResourcesResponse = {
  pod_resources: [
    ['pretrain-workers-0-x7k2p', 'main', ['GPU-aaaa-0', 'GPU-aaaa-1']],
    ['vllm-0-1', 'main', ['GPU-aaaa-2']],
    ['triton-7d9f8b6c5d-x2x4q', 'server', ['GPU-aaaa-3']],
  ].map(([name, container, ids]) => ({
    name: name as string,
    namespace: 'ml',
    containers: [
      { name: container as string, devices: [{ resource_name: 'nvidia.com/gpu', device_ids: ids as string[] }] },
    ],
  })),
};

beforeAll(async () => {
  plugin = (await import(PLUGIN_ASSIGNMENTS)) as PluginSql;
  a.crds.add('jobsets');
  a.crds.add('leaderworkersets');
  for (const o of objects()) a.put(o);
  await api.start();
  store = await openStore({ data: join(dir, 'store') });
  await store.migrate();
  observer = await WorkloadObserver.create({
    config: observerConfigSchema.parse({ clusters: [{ region: 'a' }], flushSeconds: 0.05 }),
    store,
    kubeConfig: api.kubeConfig(),
    log: (l) => log.push(l),
  });
  observer.start();
  const read = assignmentsFromList(LIST);
  expect(read.problems).toEqual([]);
  const rows = new AssignmentIntervals({ source: 'collector', region: 'a', host: 'a-node-0' }).update(
    NOW - 60_000,
    read.assignments,
  );
  await store.insert('gpu_assignments', rows);
});

afterAll(async () => {
  await observer?.stop();
  await api.stop();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs SQL with Grafana's macros over the last hour, the workload variable as given. */
async function run(sql: string, workload: VariableValue = ALL): Promise<Record<string, unknown>[]> {
  const vars = { region: ALL, host: ALL, gpu: ALL, namespace: ALL, workload };
  const expanded = expandMacros(sql, { from: NOW - 3_600_000, to: NOW, intervalMs: 60_000, vars });
  return store.query<Record<string, unknown>>(expanded);
}

describe('GPU holders resolve through the observer’s pod records', () => {
  it('the observer records each GPU pod with the workload its owner chain leads to', async () => {
    await until(async () => (await run(`SELECT pod FROM pod_workloads FINAL`)).length === 2, 'two pod rows');
    const rows = await run(`SELECT region, cluster, pod, kind, workload_id FROM pod_workloads FINAL ORDER BY pod`);
    expect(rows).toEqual([
      { region: 'a', cluster: 'a', pod: 'pretrain-workers-0-x7k2p', kind: 'JobSet', workload_id: 'ml/pretrain' },
      { region: 'a', cluster: 'a', pod: 'vllm-0-1', kind: 'LeaderWorkerSet', workload_id: 'ml/vllm' },
    ]);
    // What the collector alone would have said, from the names.
    const guesses = await run(`SELECT pod, workload_id FROM gpu_assignments FINAL ORDER BY pod`);
    expect(guesses.map((r) => r.workload_id)).toEqual([
      'ml/pretrain-workers',
      'ml/pretrain-workers',
      'ml/triton',
      'ml/vllm-0',
    ]);
  });

  it("the plugin's GPU table holders name the observer's workloads, and the guess where it has none", async () => {
    const holders = await run(`${plugin.holdersSql()} ORDER BY gpu_uuid`);
    expect(holders.map((h) => [h.gpu_uuid, h.pod, h.workload_id])).toEqual([
      ['GPU-aaaa-0', 'pretrain-workers-0-x7k2p', 'ml/pretrain'],
      ['GPU-aaaa-1', 'pretrain-workers-0-x7k2p', 'ml/pretrain'],
      ['GPU-aaaa-2', 'vllm-0-1', 'ml/vllm'],
      ['GPU-aaaa-3', 'triton-7d9f8b6c5d-x2x4q', 'ml/triton'],
    ]);
    const placements = await run(plugin.workloadPlacementsSql('ml/pretrain'));
    expect(placements).toEqual([expect.objectContaining({ region: 'a', host: 'a-node-0', gpus: 2 })]);
    expect(await run(plugin.workloadPlacementsSql('ml/pretrain-workers'))).toEqual([]);
  });

  it("the GPU board's workload panels and variable use the observer's workload ids", async () => {
    const board = buildDashboards().find((d) => d.json.uid === 'meridian-gpu-health');
    if (!board) throw new Error('no GPU health board');
    const panel = (title: string) => {
      const q = panelQueries(board.json).find((p) => p.panelTitle === title);
      if (!q?.rawSql) throw new Error(`no panel "${title}"`);
      return q.rawSql;
    };
    const ran = await run(panel('Where the workloads ran'), ['ml/vllm']);
    expect(ran).toEqual([expect.objectContaining({ workload_id: 'ml/vllm', host: 'a-node-0', gpus: 1 })]);
    const who = await run(panel('Who held these GPUs'), ['ml/pretrain']);
    expect(who.map((r) => r.gpu_uuid).sort()).toEqual(['GPU-aaaa-0', 'GPU-aaaa-1']);
    const variable = variableQueries(board.json).find((v) => v.name === 'workload');
    const values = await run(variable?.sql ?? 'SELECT 1 WHERE 0');
    expect(values.map((v) => v.workload_id)).toEqual(['ml/pretrain', 'ml/triton', 'ml/vllm']);
    expect(log.filter((l) => !l.includes('retrying'))).toEqual([]);
  });
});
