/**
 * Karmada, end to end on a loopback control plane: a Deployment template and its ResourceBinding
 * become a row in the member cluster's region; the Kubernetes executor (karmada mode) re-weighs the
 * PropagationPolicy; Karmada's scheduler (simulated: the binding follows the policy's static weights)
 * moves the replicas; the observer's row shows the new region.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { observerConfigSchema, WorkloadObserver } from '@meridian/fabric';
import { createExecutor, parseConfig } from '@meridian/scheduler';
import type { WorkloadRow } from '@meridian/store';
import { until } from '../../collector/test/until.js';
import { gpuPodSpec, LoopbackApi, type K8sObject } from './support/kube-api.js';

const dir = mkdtempSync(join(tmpdir(), 'meridian-karmada-'));
const api = new LoopbackApi();
const karmada = api.cluster('karmada');
const rows: WorkloadRow[] = [];
let observer: WorkloadObserver;

/** Karmada's scheduler, in one step: the binding's replicas follow the policy's static weights. */
karmada.crds.add('resourcebindings');
karmada.onPolicy = (policy) => {
  const list = (
    policy.spec as {
      placement: {
        replicaScheduling: {
          weightPreference: { staticWeightList: { targetCluster: { clusterNames: string[] }; weight: number }[] };
        };
      };
    }
  ).placement.replicaScheduling.weightPreference.staticWeightList;
  const rb = structuredClone(karmada.get('ResourceBinding', 'serve', 'api-deployment')!);
  rb.spec = { ...rb.spec, clusters: list.map((w) => ({ name: w.targetCluster.clusterNames[0], replicas: w.weight })) };
  karmada.put(rb);
};

beforeAll(async () => {
  await api.start();
  karmada.put({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api', namespace: 'serve', annotations: { 'meridian.dev/comm-class': 'inference' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'api' } },
      template: { metadata: { labels: { app: 'api' } }, spec: gpuPodSpec(4) },
    },
    status: { replicas: 2, readyReplicas: 2 },
  });
  const rb: K8sObject = {
    apiVersion: 'work.karmada.io/v1alpha2',
    kind: 'ResourceBinding',
    metadata: {
      name: 'api-deployment',
      namespace: 'serve',
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'api', uid: 'uid-api', controller: true }],
    },
    spec: {
      resource: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'serve', name: 'api' },
      replicas: 2,
      clusters: [{ name: 'member-eu', replicas: 2 }],
    },
  };
  karmada.put(rb);
  karmada.put({
    apiVersion: 'policy.karmada.io/v1alpha1',
    kind: 'PropagationPolicy',
    metadata: { name: 'api', namespace: 'serve' },
    spec: {
      resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' }],
      placement: {
        clusterAffinity: { clusterNames: ['member-eu', 'member-us'] },
        replicaScheduling: {
          replicaSchedulingType: 'Divided',
          replicaDivisionPreference: 'Weighted',
          weightPreference: { staticWeightList: [{ targetCluster: { clusterNames: ['member-eu'] }, weight: 2 }] },
        },
      },
    },
  });
  observer = await WorkloadObserver.create({
    config: observerConfigSchema.parse({
      karmada: { context: 'karmada', clusters: { 'member-eu': 'eu', 'member-us': 'us' } },
      flushSeconds: 0.05,
    }),
    store: {
      insert: async (_t, r) => {
        rows.push(...(r as readonly WorkloadRow[]));
      },
      query: async () => [],
    },
    kubeConfig: api.kubeConfig(),
    log: () => undefined,
  });
  observer.start();
});
afterAll(async () => {
  await observer.stop();
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Karmada end to end', () => {
  it('the executor re-weighs the PropagationPolicy and the row follows the binding to the new region', async () => {
    await until(() => rows.some((r) => r.workload_id === 'serve/api'), 'the row');
    expect(rows.at(-1)).toMatchObject({ region: 'eu', gpus: 8, state: 'running', kind: 'inference', replica_gpus: 4 });

    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, api.kubeConfig().exportConfig(), { mode: 0o600 });
    const executor = await createExecutor(
      parseConfig({
        executor: {
          kind: 'kubernetes',
          mode: 'karmada',
          kubeconfig,
          namespace: 'default',
          clusters: { eu: 'member-eu', us: 'member-us' },
        },
      }),
    );
    const outcome = await executor.execute({
      moveId: 'm1',
      workloadId: 'serve/api',
      from: 'eu',
      to: 'us',
      gpus: 8,
      checkpointBytes: 0,
      reason: 'test',
    });
    expect(outcome.status).toBe('started');
    expect(karmada.requests).toContain(
      'PATCH /apis/policy.karmada.io/v1alpha1/namespaces/serve/propagationpolicies/api',
    );
    await until(() => rows.at(-1)?.region === 'us', 'the row in us');
    expect(rows.at(-1)).toMatchObject({ workload_id: 'serve/api', gpus: 8, state: 'running' });
  });
});
