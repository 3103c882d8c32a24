/**
 * Replays the Alibaba openb GPU pod trace (sim/traces/alibaba-openb/openb_pod_list_default.csv, see sim/traces/SOURCES.md).
 *
 * Mapping rules (documented in sim/README.md):
 * - Pods with num_gpu = 0 are CPU-only and are skipped.
 * - qos LS (latency-sensitive) → an inference service with num_gpu replicas.
 * - Other pods with num_gpu ≥ 2 → a data-parallel training gang; with 1 GPU → a batch job.
 * - gpu_milli < 1000 (GPU sharing) scales the pod's utilisation and memory share.
 * - Region: FNV-1a hash of the pod name, modulo the fleet's GPU count, lands in a region's slice of
 *   the GPU range, so regions receive pods in proportion to their size and the rule is stable.
 * - Times: simulated start = (creation_time − offset) ÷ time_scale; end = start +
 *   (deletion_time − creation_time) ÷ time_scale. Pods created before the offset are skipped.
 */
import { readFileSync } from 'node:fs';
import { hashString } from './rng.js';
import type { TraceSpec } from './scenario.js';
import type { WorkloadSpec } from './workloads.js';

export interface TracePod {
  readonly name: string;
  readonly numGpu: number;
  readonly gpuMilli: number;
  readonly qos: string;
  readonly creationS: number;
  readonly deletionS: number;
}

const COLUMNS = ['name', 'num_gpu', 'gpu_milli', 'qos', 'creation_time', 'deletion_time'] as const;

export function readTrace(file: string): TracePod[] {
  const text = readFileSync(file, 'utf8');
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const header = (lines[0] ?? '').split(',');
  const col: Record<string, number> = {};
  for (const c of COLUMNS) {
    const i = header.indexOf(c);
    if (i < 0) throw new Error(`trace ${file}: header lacks the column "${c}"`);
    col[c] = i;
  }
  const pods: TracePod[] = [];
  for (let n = 1; n < lines.length; n++) {
    const f = (lines[n] as string).split(',');
    if (f.length !== header.length)
      throw new Error(`trace ${file}: line ${n + 1} has ${f.length} fields, the header has ${header.length}`);
    const num = (c: (typeof COLUMNS)[number]): number => {
      const v = Number(f[col[c] as number]);
      if (!Number.isFinite(v))
        throw new Error(`trace ${file}: line ${n + 1}: ${c} is not a number ("${f[col[c] as number]}")`);
      return v;
    };
    pods.push({
      name: f[col.name as number] as string,
      numGpu: num('num_gpu'),
      gpuMilli: num('gpu_milli'),
      qos: f[col.qos as number] as string,
      creationS: num('creation_time'),
      deletionS: num('deletion_time'),
    });
  }
  return pods;
}

/** The region a pod lands in: its name's hash within the fleet's GPU range (see the module comment). */
export function traceRegion(podName: string, regionGpuCounts: readonly number[]): number {
  const total = regionGpuCounts.reduce((s, n) => s + n, 0);
  let x = hashString(podName) % Math.max(1, total);
  for (let i = 0; i < regionGpuCounts.length; i++) {
    const n = regionGpuCounts[i] as number;
    if (x < n) return i;
    x -= n;
  }
  return 0;
}

export function traceWorkloads(
  pods: readonly TracePod[],
  spec: TraceSpec,
  regionGpuCounts: readonly number[],
): WorkloadSpec[] {
  const out: WorkloadSpec[] = [];
  for (const p of pods) {
    if (p.numGpu <= 0 || p.creationS < spec.offset || p.deletionS <= p.creationS) continue;
    const share = p.numGpu === 1 ? Math.min(1, Math.max(0.05, p.gpuMilli / 1000)) : 1;
    const kind = p.qos === 'LS' ? 'inference' : p.numGpu >= 2 ? 'training' : 'batch';
    out.push({
      id: p.name,
      kind,
      comm: kind === 'inference' ? 'inference' : kind === 'training' ? 'data_parallel' : 'independent',
      gpus: p.numGpu,
      region: traceRegion(p.name, regionGpuCounts),
      checkpointBytes: p.numGpu * (kind === 'training' ? 20 : kind === 'inference' ? 10 : 2) * 2 ** 30,
      memFrac: 0.9 * share,
      utilLevel: (kind === 'batch' ? 85 : 95) * share,
      arrivalS: (p.creationS - spec.offset) / spec.time_scale,
      durationS: (p.deletionS - p.creationS) / spec.time_scale,
      fixedEnd: true,
      peakRpsPerReplica: 40,
      sloMs: 200,
    });
    if (spec.limit && out.length >= spec.limit) break;
  }
  return out.sort((a, b) => a.arrivalS - b.arrivalS || (a.id < b.id ? -1 : 1));
}
