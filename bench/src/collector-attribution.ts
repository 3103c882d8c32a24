/**
 * bench:collector --attribution: what GPU → workload attribution costs a collector. Starts, in a
 * process of its own (so its CPU is not the collector's), a simulated kubelet: a gRPC server on a
 * unix socket answering PodResources List with 8 pods, one per GPU, as a busy GPU node's kubelet
 * would. Also writes the compute-process list the simulated nvidia-smi prints for the process
 * path: 8 GPUs, each with a real process of this machine (so /proc/PID/cgroup is read for real).
 */
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AttributionFixture {
  socket: string;
  appsFile: string;
}

/** The kubelet's script: 8 pods of one training job, each holding one GPU. */
function kubeletScript(socket: string, gpus: number): string {
  return `
    import * as grpc from '@grpc/grpc-js';
    import { podResourcesService } from '@meridian/collector';
    const pods = Array.from({ length: ${gpus} }, (_, i) => ({
      name: 'llama-pretrain-worker-' + i, namespace: 'ml-train',
      containers: [{ name: 'trainer', devices: [{ resource_name: 'nvidia.com/gpu', device_ids: ['GPU-bench-' + i] }] }],
    }));
    const server = new grpc.Server();
    server.addService(podResourcesService().service, {
      List: (_c, cb) => cb(null, { pod_resources: pods }),
      GetAllocatableResources: (_c, cb) => cb(null, { devices: [{ resource_name: 'nvidia.com/gpu', device_ids: pods.map((_, i) => 'GPU-bench-' + i) }] }),
    });
    server.bindAsync('unix://${socket}', grpc.ServerCredentials.createInsecure(), (err) => {
      if (err) { console.error(err.message); process.exit(1); }
      console.log('KUBELET ready');
    });
    process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));`;
}

export function attributionFixture(
  dir: string,
  gpus: number,
  pids: readonly number[],
  spawnNode: (script: string) => ChildProcess,
): { fixture: AttributionFixture; kubelet: ChildProcess } {
  const socket = join(dir, 'kubelet.sock');
  const appsFile = join(dir, 'compute-apps.csv');
  writeFileSync(
    appsFile,
    Array.from({ length: gpus }, (_, i) => `GPU-bench-${i}, ${pids[i % pids.length]}`).join('\n') + '\n',
  );
  return { fixture: { socket, appsFile }, kubelet: spawnNode(kubeletScript(socket, gpus)) };
}

/** The collector.yaml lines for attribution: off, or on through one path. */
export function attributionConfig(mode: 'off' | 'processes' | 'kubernetes', fixture?: AttributionFixture): string[] {
  if (mode === 'off' || !fixture) return ['attribution: { enabled: false }'];
  return [`attribution: { enabled: true, mode: ${mode}, intervalMs: 10000, kubelet: { socket: "${fixture.socket}" } }`];
}
