/**
 * Replays a GPU job trace (the layouts of trace-layouts.ts; the shipped ones in sim/traces, see
 * sim/traces/SOURCES.md) as the twin's workloads.
 *
 * Rules (documented in sim/README.md, "Trace replay"):
 * - Pods without GPUs are skipped. The layout says the kind (openb: qos LS → inference service with
 *   num_gpu replicas; other pods with ≥ 2 GPUs → data-parallel training; 1 GPU → batch).
 * - gpu_milli < 1000 (GPU sharing) scales a one-GPU pod's utilisation and memory share.
 * - Submitted region: a `region` column where the trace has one, else the FNV-1a hash of the pod
 *   name, modulo the fleet's GPU count, in a region's slice of the GPU range (regions receive pods in
 *   proportion to their size, stably). The twin places a pod there unless admission weights are set;
 *   then it draws the region from the weights with the pod's own seeded draw (placement.ts).
 * - Times: arrival = (creation − offset) ÷ time_scale; each job keeps its real duration
 *   (deletion − creation), so time_scale multiplies the load instead of shortening jobs. A pod
 *   created before the offset and still alive then starts at t = 0, as far along as it was.
 *   Layouts without time columns arrive in file order at `rate_per_hour` and run for a seeded
 *   duration in the scenario's `duration` range.
 * - Sampling: `sample` pods per trace pod, by a seeded hash of the name (see `copies`).
 */
import { hashString } from './rng.js';
import type { TraceSpec } from './scenario.js';
import { type TraceLayout, type TracePod } from './trace-layouts.js';
import type { WorkloadSpec } from './workloads.js';

export { detectLayout, readTrace, type TraceLayout, type TracePod } from './trace-layouts.js';

/** A job that outlives the trace (or the run): it never ends within any run the twin makes. */
const FOREVER_S = 1e9;

/**
 * A uniform draw in [0, 1) from a string: the twin's seeded per-pod draws (sampling, placement).
 * FNV-1a alone leaves its high bits nearly equal for names that differ in the last digits, so the
 * hash goes through murmur3's finaliser first.
 */
export function hashUniform(key: string): number {
  let h = hashString(key);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
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

/**
 * The names replayed for one trace pod: `sample` = 2.5 gives two copies and a third for half of
 * the pods; 0.25 keeps a quarter. Which pods, by a hash of the seed and the name, so a seed gives
 * the same sample every run and another seed another one.
 */
export function copies(name: string, sample: number, seed: number): string[] {
  const whole = Math.floor(sample);
  const n = whole + (hashUniform(`${seed}:sample:${name}`) < sample - whole ? 1 : 0);
  return Array.from({ length: n }, (_, j) => (j === 0 ? name : `${name}~${j}`));
}

export interface TracedWorkload {
  /** `region` is where the pod was submitted. */
  readonly spec: WorkloadSpec;
  /** The pod's own draw in [0, 1) for a region under admission weights (independent of other arrivals). */
  readonly draw: number;
}

export interface TraceFabric {
  readonly names: readonly string[];
  readonly gpuCounts: readonly number[];
}

/** When a pod arrives and how long it runs, in simulated seconds; null: not in the run. */
function timing(
  p: TracePod,
  index: number,
  spec: TraceSpec,
  layout: TraceLayout,
  seed: number,
): { arrivalS: number; durationS: number; doneS: number } | null {
  const untimed = p.creationS === null && (layout === 'openb-notime' || layout === 'columns');
  let arrivalS: number;
  if (untimed) {
    if (!spec.rate_per_hour)
      throw new Error(`trace layout "${layout}" has no time column: set workloads.trace.rate_per_hour`);
    arrivalS = (index * 3600) / spec.rate_per_hour;
  } else arrivalS = p.creationS === null ? 0 : (p.creationS - spec.offset) / spec.time_scale;
  let durationS: number;
  if (p.deletionS !== null && p.creationS !== null) durationS = p.deletionS - p.creationS;
  else if (p.deletionS !== null) durationS = Math.max(0, p.deletionS - spec.offset);
  else if (untimed) {
    if (!spec.duration)
      throw new Error(`trace layout "${layout}" has no end column: set workloads.trace.duration [min, max]`);
    const [lo, hi] = spec.duration;
    durationS = lo + (hi - lo) * hashUniform(`${seed}:duration:${p.name}`);
  } else durationS = FOREVER_S;
  if (durationS <= 0) return null;
  // Alive at the offset: starts at t = 0 with the part it has already run done.
  const doneS = arrivalS < 0 ? -arrivalS : 0;
  if (doneS >= durationS) return null;
  return { arrivalS: Math.max(0, arrivalS), durationS, doneS };
}

export function traceWorkloads(
  pods: readonly TracePod[],
  spec: TraceSpec,
  fabric: TraceFabric,
  seed: number,
  layout: TraceLayout,
): TracedWorkload[] {
  const out: TracedWorkload[] = [];
  let index = 0;
  for (const p of pods) {
    if (p.numGpu <= 0) continue;
    const t = timing(p, index++, spec, layout, seed);
    if (!t) continue;
    const share = p.numGpu === 1 ? Math.min(1, Math.max(0.05, p.gpuMilli / 1000)) : 1;
    const kind = p.kind;
    let named: number | undefined;
    if (p.region !== undefined) {
      named = fabric.names.indexOf(p.region);
      if (named < 0)
        throw new Error(
          `trace pod "${p.name}": region "${p.region}" is not a region of the scenario (${fabric.names.join(', ')})`,
        );
    }
    for (const id of copies(p.name, spec.sample, seed)) {
      out.push({
        spec: {
          id,
          kind,
          comm: kind === 'inference' ? 'inference' : kind === 'training' ? 'data_parallel' : 'independent',
          gpus: p.numGpu,
          region: named ?? traceRegion(id, fabric.gpuCounts),
          checkpointBytes: p.numGpu * (kind === 'training' ? 20 : kind === 'inference' ? 10 : 2) * 2 ** 30,
          memFrac: 0.9 * share,
          utilLevel: (kind === 'batch' ? 85 : 95) * share,
          arrivalS: t.arrivalS,
          durationS: t.durationS,
          ...(t.doneS > 0 ? { initialProgressS: t.doneS } : {}),
          fixedEnd: true,
          peakRpsPerReplica: 40,
          sloMs: 200,
        },
        draw: hashUniform(`${seed}:place:${id}`),
      });
    }
    if (spec.limit && out.length >= spec.limit) break;
  }
  return out.sort(
    (a, b) => a.spec.arrivalS - b.spec.arrivalS || (a.spec.id < b.spec.id ? -1 : a.spec.id > b.spec.id ? 1 : 0),
  );
}
