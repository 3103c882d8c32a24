/**
 * `meridian observe --config F` and the scheduler's `observer:` key: bad configs name the key (exit
 * 2), and the command watches a loopback cluster, writes its workloads, and stops cleanly on SIGTERM.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadObserveFile, ObserveConfigError } from '@meridian/fabric';
import { ConfigError, parseConfig } from '@meridian/scheduler';
import { openStore } from '@meridian/store';
import { until } from '../../collector/test/until.js';
import { gpuPodSpec, LoopbackApi, pod } from './support/kube-api.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../cli/bin/meridian.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'meridian-observe-cli-'));
const api = new LoopbackApi();
const eu = api.cluster('eu');

beforeAll(() => api.start());
afterAll(async () => {
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text, { mode: 0o600 });
  return f;
}

describe('observer config', () => {
  it('names the bad key in the observe file and in the scheduler config', () => {
    const f = file('bad.yaml', 'observer:\n  clusters:\n    - { region: EU West }\n  flushSeconds: 0\n');
    expect(() => loadObserveFile(f)).toThrow(ObserveConfigError);
    expect(() => loadObserveFile(f)).toThrow(
      `${f}: observer.clusters[0].region: lower-case letters, digits, - and _ only (max 63); ${f}: observer.flushSeconds: Too small: expected number to be >0`,
    );
    expect(() => loadObserveFile(file('none.yaml', 'observer: {}\n'))).toThrow(
      /observer\.clusters: name at least one cluster/,
    );
    expect(() => parseConfig({ observer: { clusters: [{ region: 'eu', contxt: 'x' }] } })).toThrow(ConfigError);
    expect(() => parseConfig({ observer: { clusters: [{ region: 'eu', contxt: 'x' }] } })).toThrow(
      'config: key "observer.clusters.0": Unrecognized key: "contxt" (contxt)',
    );
    expect(parseConfig({ observer: { clusters: [{ region: 'eu' }] } }).observer?.resyncSeconds).toBe(300);
  });

  it('meridian observe: exit 2 naming the key; then a real run writes the cluster’s workloads and stops on SIGTERM', async () => {
    const bad = file('bad2.yaml', 'observer:\n  clusters: [{ region: eu }]\n  pageSize: 3\n');
    const err = await run(process.execPath, [cli, 'observe', '--config', bad]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(err).toMatchObject({ code: 2 });
    expect((err as { stderr: string }).stderr).toContain(
      `${bad}: observer.pageSize: Too small: expected number to be >=10`,
    );

    eu.put(pod('solo', 'ml', undefined, gpuPodSpec(2), 'eu-node-1'));
    const kubeconfig = file('kubeconfig', api.kubeConfig().exportConfig());
    const data = join(dir, 'store');
    const cfg = file(
      'observe.yaml',
      `observer:\n  kubeconfig: ${kubeconfig}\n  clusters: [{ region: eu }]\n  flushSeconds: 0.1\nstore:\n  data: ${data}\n`,
    );
    const child = spawn(process.execPath, [cli, 'observe', '--config', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await until(() => eu.watches.size >= 5, 'the observer watching', 60_000);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/meridian observe: stopped; \d+ row\(s\) written/);
    const store = await openStore({ data });
    try {
      const rows = await store.query<{ workload_id: string; gpus: number; region: string; state: string }>(
        'SELECT workload_id, gpus, region, state FROM workloads FINAL',
      );
      expect(rows).toEqual([{ workload_id: 'ml/solo', gpus: 2, region: 'eu', state: 'running' }]);
    } finally {
      await store.close();
    }
  });

  it('meridian observe runs the Slurm observer from a slurm: section; a cluster that does not answer is reported stale', async () => {
    const data = join(dir, 'store-slurm');
    // A slurm.conf that does not exist: every read of that cluster fails, as a stopped slurmctld's would.
    const cfg = file(
      'observe-slurm.yaml',
      `slurm:\n  clusters: [{ region: eu-east, name: east, conf: ${join(dir, 'absent', 'slurm.conf')} }]\n  intervalSeconds: 1\n  timeoutSeconds: 2\nstore:\n  data: ${data}\n`,
    );
    expect(() => loadObserveFile(file('neither.yaml', 'store: {}\n'))).toThrow(
      /name the clusters to watch: observer \(Kubernetes\/Karmada\), slurm, or both/,
    );
    const child = spawn(process.execPath, [cli, 'observe', '--config', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await until(() => /slurm cluster east \(region eu-east\) is stale/.test(stderr), 'the stale report', 60_000);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toContain('1 Slurm cluster(s)');
    const store = await openStore({ data });
    try {
      const up = await store.query<{ region: string; value: number }>(
        "SELECT region, value FROM extra_metrics WHERE name = 'orchestrator_up' ORDER BY ts DESC LIMIT 1",
      );
      expect(up).toEqual([{ region: 'eu-east', value: 0 }]);
    } finally {
      await store.close();
    }
  });
});
