/**
 * Builders for test observations: a small simulated fabric (regions, links, workloads). The figures
 * are a simulation: this machine has no GPUs and no 2,000 km fiber.
 */
import { parseConfig, type ConfigInput, type SchedulerConfig } from '../src/config.js';
import type { Executor, Move, MoveOutcome } from '../src/act/executor.js';
import type {
  LinkObservation,
  Observation,
  RegionObservation,
  WorkloadObservation,
} from '../src/observe/observation.js';

/**
 * Midnight two days ago: raw tables keep 14 days (TTL), and the engine drops a part whose rows are all
 * older the moment it merges, so a fixed date would make these tests fail once it ages past that.
 */
export const T0 = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 2 * 86_400_000;
export const MIN = 60_000;

export function region(name: string, over: Partial<RegionObservation> = {}): RegionObservation {
  return {
    region: name,
    gpusTotal: 64,
    gpusAllocated: 32,
    utilGpu: 50,
    powerHeadroom: 0.3,
    thermalHeadroomC: 15,
    throttledShare: 0,
    xidRate: 0,
    eccRate: 0,
    gpuModels: ['H100'],
    gpuMemoryBytes: 80e9,
    lastSampleTs: T0,
    ...over,
  };
}

/** A healthy 1,000 km link (≈ 9.8 ms RTT floor), 100 Gb/s, 20 % used. */
export function link(from: string, to: string, over: Partial<LinkObservation> = {}): LinkObservation {
  return {
    from,
    to,
    rttMs: 10.5,
    floorMs: 9.8,
    lossPct: 0,
    jitterMs: 0.1,
    throughputBps: 2.5e9,
    capacityBps: 12.5e9,
    lastSampleTs: T0,
    ...over,
  };
}

export function workload(id: string, regionName: string, over: Partial<WorkloadObservation> = {}): WorkloadObservation {
  return {
    id,
    kind: 'training',
    commClass: 'independent',
    gpus: 8,
    region: regionName,
    checkpointBytes: 50e9,
    priority: 0,
    pinned: false,
    lastCheckpointTs: T0 - 5 * MIN,
    ...over,
  };
}

export function fullMesh(
  names: readonly string[],
  over: (a: string, b: string) => Partial<LinkObservation> = () => ({}),
): LinkObservation[] {
  const out: LinkObservation[] = [];
  for (const a of names) for (const b of names) if (a !== b) out.push(link(a, b, over(a, b)));
  return out;
}

/** Re-stamps every sample time in an observation to `ts` (a later pass over the same fabric). */
export function at(obs: Observation, ts: number, freshRegions = true): Observation {
  return {
    ts,
    regions: obs.regions.map((r) => ({
      ...r,
      lastSampleTs: freshRegions && r.lastSampleTs !== null ? ts : r.lastSampleTs,
    })),
    links: obs.links.map((l) => ({ ...l, lastSampleTs: l.lastSampleTs === null ? null : ts })),
    workloads: obs.workloads.map((w) => ({
      ...w,
      lastCheckpointTs: w.lastCheckpointTs === undefined ? undefined : ts - 5 * MIN,
    })),
  };
}

/**
 * Config for tests: no persistence wait unless a test asks for one. Each rule is tested on its own,
 * so the spread term, the per-move overhead and the free-GPU reserve are off unless a test turns
 * them on (their own tests do).
 */
export function testConfig(over: ConfigInput = {}): SchedulerConfig {
  return parseConfig({
    load: { low: 0.6, high: 0.85, persistSeconds: 0 },
    throttle: { low: 0.05, high: 0.2, persistSeconds: 0 },
    errors: { low: 0.01, high: 0.05, persistSeconds: 0 },
    link: { persistSeconds: 0 },
    record: { holdRepeatSeconds: 0 },
    balance: { low: 0.1, high: 0.2, persistSeconds: 0 },
    value: { balancePerGpu: 0 },
    migration: { overheadGpuSeconds: 0 },
    keepFreeGpus: 0,
    ...over,
  });
}

/** A simulated fabric that obeys moves at once (a stand-in for the twin). */
export class SimulatedFabric implements Executor {
  readonly name = 'test-fabric';
  readonly log: Move[] = [];
  constructor(
    public obs: Observation,
    private readonly failWith?: string,
  ) {}
  async execute(move: Move): Promise<MoveOutcome> {
    this.log.push(move);
    if (this.failWith) return { status: 'failed', error: this.failWith };
    const regions = this.obs.regions.map((r) =>
      r.region === move.from
        ? { ...r, gpusAllocated: r.gpusAllocated - move.gpus }
        : r.region === move.to
          ? { ...r, gpusAllocated: r.gpusAllocated + move.gpus }
          : r,
    );
    const workloads = this.obs.workloads.map((w) => (w.id === move.workloadId ? { ...w, region: move.to } : w));
    this.obs = { ...this.obs, regions, workloads };
    return { status: 'done' };
  }
}
