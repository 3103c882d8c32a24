/**
 * Bad input on the kubelet path: no socket (not a Kubernetes node), a socket this user may not
 * open, a kubelet that refuses, one that answers bytes that are not a PodResources message, one
 * that lists a GPU pod without a name, and one that goes away. None of them stops the collector;
 * each says why, in the status and in the error counters, and keeps what it read last.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { AttributionSource, PERMISSION_HINT } from '@meridian/collector';
import type { GpuAssignmentRow } from '@meridian/store';
import { recorder } from '../sources/helpers.js';
import { startFakeKubelet } from './kubelet-server.js';

const root = mkdtempSync(join(tmpdir(), 'meridian-attrib-bad-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const GPU = 'GPU-5a6b7c8d-0000-4000-8000-000000000001';
const TRAINING = {
  pod_resources: [
    {
      name: 'train-0',
      namespace: 'ml',
      containers: [{ name: 'main', devices: [{ resource_name: 'nvidia.com/gpu', device_ids: [GPU] }] }],
    },
  ],
};

describe('the kubelet path on bad input', () => {
  it('without a socket: auto falls back to the processes, kubernetes mode says why once', async () => {
    const missing = join(root, 'absent', 'kubelet.sock');
    const auto = recorder();
    const a = new AttributionSource({ mode: 'auto', socket: missing, command: join(root, 'no-nvidia-smi') });
    await a.start(auto.ctx);
    expect(a.stats.path).toBe('processes');
    expect(a.stats.status).toContain(`${missing} does not exist`);
    await a.stop();

    const k8s = recorder();
    const k = new AttributionSource({ mode: 'kubernetes', socket: missing });
    await k.start(k8s.ctx);
    expect(k.state()).toBe('unavailable');
    expect(k8s.unavailable).toHaveLength(1);
    expect(k8s.unavailable[0]).toContain(`attribution: kubernetes: ${missing} does not exist`);
    await k.stop();
  });

  it('a socket path that is a plain file is named as such', async () => {
    const file = join(root, 'not-a-socket');
    mkdirSync(file);
    const rec = recorder();
    const k = new AttributionSource({ mode: 'kubernetes', socket: file });
    await k.start(rec.ctx);
    expect(rec.unavailable[0]).toContain(`${file} is not a socket`);
  });

  /** What the attribution says when started as an unprivileged user (the tests may run as root, whom no mode stops). */
  function statusAsNobody(socket: string): string {
    const script = `import('@meridian/collector').then(async ({ AttributionSource }) => {
      const s = new AttributionSource({ mode: 'kubernetes', socket: ${JSON.stringify(socket)} });
      let why = '';
      await s.start({ region: 'r', host: 'h', emit: () => {}, errors: { count() {} }, unavailable: (_n, r) => (why = r) });
      console.log(why);
    })`;
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: process.cwd(),
      encoding: 'utf8',
      timeout: 20_000,
      ...asNobody,
    });
    expect(r.stderr).toBe('');
    return r.stdout.trim();
  }

  it('a socket this user may not reach is named as permission denied, saying what to do', async () => {
    const dir = join(root, 'pod-resources');
    mkdirSync(dir);
    const socket = join(dir, 'kubelet.sock');
    const kubelet = await startFakeKubelet(socket);
    try {
      chmodSync(dir, 0o700);
      expect(statusAsNobody(socket)).toBe(`kubernetes: ${socket}: permission denied (${PERMISSION_HINT})`);
    } finally {
      await kubelet.close();
    }
  });

  it.runIf(process.getuid?.() === 0)(
    "the kubelet's own mode (a root-owned 0755 socket in a readable directory) is permission denied too",
    async () => {
      const dir = join(root, 'pod-resources-0755');
      mkdirSync(dir, { mode: 0o755 });
      const socket = join(dir, 'kubelet.sock');
      const kubelet = await startFakeKubelet(socket);
      try {
        chmodSync(dir, 0o755);
        chmodSync(socket, 0o755);
        // Run as root here, the socket is root's: nobody may read it, not connect to it.
        expect(statusAsNobody(socket)).toBe(`kubernetes: ${socket}: permission denied (${PERMISSION_HINT})`);
      } finally {
        await kubelet.close();
      }
    },
  );

  it('a kubelet that refuses, or answers garbage, is counted and the last reading is kept', async () => {
    const socket = join(root, 'refusing.sock');
    const kubelet = await startFakeKubelet(socket);
    try {
      kubelet.list = TRAINING;
      const rec = recorder();
      const s = new AttributionSource({ mode: 'kubernetes', socket, intervalMs: 3_600_000 });
      await s.start(rec.ctx);
      expect((rec.rows.gpu_assignments as GpuAssignmentRow[]).map((r) => r.pod)).toEqual(['train-0']);

      kubelet.fail = grpc.status.PERMISSION_DENIED;
      await s.refreshNow();
      expect(s.stats.failures).toBe(1);
      expect(s.stats.status).toContain('PERMISSION_DENIED');
      kubelet.fail = grpc.status.UNAVAILABLE;
      await s.refreshNow();
      expect(s.stats.status).toContain(`kubernetes: ${socket}: refused by the test kubelet`);
      // Nothing was closed: a kubelet restart does not end the pods' intervals.
      expect(rec.rows.gpu_assignments).toHaveLength(1);
      expect(rec.ctx.errors.snapshot()).toEqual(
        expect.arrayContaining([
          { source: 'attribution', field: 'pod_resources', reason: 'malformed', count: 1 },
          { source: 'attribution', field: 'kubelet', reason: 'timeout', count: 1 },
        ]),
      );
      await s.stop();
    } finally {
      await kubelet.close();
    }

    const badSocket = join(root, 'garbage.sock');
    const garbage = await startFakeKubelet(badSocket, { malformed: true });
    try {
      const rec = recorder();
      const s = new AttributionSource({ mode: 'kubernetes', socket: badSocket, intervalMs: 3_600_000 });
      await s.start(rec.ctx);
      expect(s.state()).toBe('running');
      expect(s.stats.failures).toBe(1);
      expect(s.stats.status).toMatch(/^kubernetes: .*(parsing|deserializ)/i);
      expect(rec.rows.gpu_assignments).toEqual([]);
      await s.stop();
    } finally {
      await garbage.close();
    }
  });

  it('a GPU pod without a name is skipped and named; the rest of the answer is used', async () => {
    const socket = join(root, 'nameless.sock');
    const kubelet = await startFakeKubelet(socket);
    try {
      kubelet.list = {
        pod_resources: [
          ...TRAINING.pod_resources,
          {
            name: '',
            namespace: 'ml',
            containers: [{ name: 'x', devices: [{ resource_name: 'nvidia.com/gpu', device_ids: ['GPU-x'] }] }],
          },
          {
            name: 'p',
            namespace: 'ml',
            containers: [{ name: 'y', devices: [{ resource_name: 'nvidia.com/gpu', device_ids: ['  '] }] }],
          },
        ],
      };
      const rec = recorder();
      const s = new AttributionSource({ mode: 'kubernetes', socket, intervalMs: 3_600_000 });
      await s.start(rec.ctx);
      expect((rec.rows.gpu_assignments as GpuAssignmentRow[]).map((r) => r.pod)).toEqual(['train-0']);
      expect(rec.logs.join('\n')).toContain('pod_resources[].name: empty for a pod that holds GPUs');
      expect(rec.logs.join('\n')).toContain('ml/p: containers[y].devices.device_ids: empty device id');
      expect(rec.ctx.errors.snapshot()).toEqual([
        { source: 'attribution', field: 'pod_resources', reason: 'malformed', count: 2 },
      ]);
      await s.stop();
    } finally {
      await kubelet.close();
    }
  });
});
