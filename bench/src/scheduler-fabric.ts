/**
 * Synthetic observations for the scheduler's latency bench (a simulation: no GPUs here). Regions of
 * equal size, two of them hot, one link degraded with pipeline jobs across it, one region stale.
 * Seeded, so every run plans the same problem.
 */
import { fiberRttFloorMs } from '@meridian/catalog';
import type { LinkObservation, Observation, RegionObservation, WorkloadObservation } from '@meridian/scheduler';
import { Rng } from '@meridian/sim';

export interface FabricSize {
  readonly gpus: number;
  readonly workloads: number;
  readonly regions: number;
}

export function syntheticObservation(size: FabricSize, now: number, seed = 1): Observation {
  const stream = new Rng(seed);
  const rand = () => stream.next();
  const names = Array.from({ length: size.regions }, (_, i) => `r${String(i).padStart(2, '0')}`);
  const perRegion = Math.floor(size.gpus / size.regions);
  const gpusPerJob = Math.max(1, Math.floor(size.gpus / size.workloads / 1.6));
  const workloads: WorkloadObservation[] = [];
  const allocated = new Map<string, number>(names.map((n) => [n, 0]));
  // Hot regions r00 and r01 are filled to 98 %; the others to 45–70 %.
  const fill = names.map((_, i) => (i < 2 ? 0.98 : 0.45 + 0.25 * rand()));
  let id = 0;
  for (let r = 0; r < names.length && id < size.workloads; r++) {
    const name = names[r] as string;
    const cap = Math.floor(perRegion * (fill[r] as number));
    while ((allocated.get(name) ?? 0) + gpusPerJob <= cap && id < size.workloads) {
      const x = rand();
      const commClass = x < 0.5 ? 'independent' : x < 0.75 ? 'data_parallel' : x < 0.9 ? 'inference' : 'pipeline';
      const wid = `w${String(id++).padStart(6, '0')}`;
      workloads.push({
        id: wid,
        kind: commClass === 'inference' ? 'inference' : 'training',
        commClass,
        gpus: gpusPerJob,
        region: name,
        checkpointBytes: Math.round((5 + 95 * rand()) * 1e9),
        priority: Math.floor(rand() * 10),
        pinned: rand() < 0.02,
        lastCheckpointTs: now - Math.round(rand() * 1800_000),
        ...(commClass === 'inference' && gpusPerJob > 1 ? { replicaGpus: 1 } : {}),
      });
      allocated.set(name, (allocated.get(name) ?? 0) + gpusPerJob);
    }
  }
  // Couple pipeline jobs in pairs across r02↔r03, whose link degrades.
  const p2 = workloads.filter((w) => w.commClass === 'pipeline' && w.region === names[2]);
  const p3 = workloads.filter((w) => w.commClass === 'pipeline' && w.region === names[3]);
  const coupled = new Map<string, string>();
  for (let i = 0; i < Math.min(p2.length, p3.length); i++) {
    coupled.set((p2[i] as WorkloadObservation).id, (p3[i] as WorkloadObservation).id);
    coupled.set((p3[i] as WorkloadObservation).id, (p2[i] as WorkloadObservation).id);
  }
  const ws = workloads.map((w) =>
    coupled.has(w.id) ? { ...w, coupledWith: [coupled.get(w.id) as string], latencyBudgetMs: 40 } : w,
  );
  const regions: RegionObservation[] = names.map((name, i) => ({
    region: name,
    gpusTotal: perRegion,
    gpusAllocated: allocated.get(name) ?? 0,
    utilGpu: i < 2 ? 96 : 40 + 30 * rand(),
    powerHeadroom: 0.2,
    thermalHeadroomC: 10,
    throttledShare: i === 1 ? 0.3 : 0,
    xidRate: 0,
    eccRate: 0,
    gpuModels: ['H100'],
    gpuMemoryBytes: 80e9,
    // The last region is stale: 5 minutes without data.
    lastSampleTs: i === names.length - 1 ? now - 300_000 : now - 5_000,
  }));
  const links: LinkObservation[] = [];
  for (let a = 0; a < names.length; a++) {
    for (let b = 0; b < names.length; b++) {
      if (a === b) continue;
      const km = 300 + 170 * Math.abs(a - b);
      const floor = fiberRttFloorMs(km);
      const degraded = (a === 2 && b === 3) || (a === 3 && b === 2);
      links.push({
        from: names[a] as string,
        to: names[b] as string,
        rttMs: floor * (degraded ? 2.4 : 1.1),
        floorMs: floor,
        lossPct: degraded ? 1.5 : 0.01,
        jitterMs: 0.2,
        throughputBps: 3e9,
        capacityBps: 12.5e9,
        lastSampleTs: now - 5_000,
      });
    }
  }
  return { ts: now, regions, links, workloads: ws };
}
