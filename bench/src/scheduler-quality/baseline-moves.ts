/**
 * The moves of the rebalancing baselines (LowNodeUtilization lifted to regions, greedy
 * least-loaded), computed from the same Observation Meridian's pass reads, so that only the
 * decision differs between the rows.
 */
import { type Move, type Observation, type RegionObservation } from '@meridian/scheduler';

const LOW = 0.6;
const HIGH = 0.85;

/** LowNodeUtilization lifted to regions (request-based usage, as the descheduler's default). */
export function lnuMoves(obs: Observation, moved: Map<string, number>, cooldownMs: number, now: number): Move[] {
  const share = (r: RegionObservation, extra = 0) => (r.gpusAllocated + extra) / Math.max(1, r.gpusTotal);
  const under = obs.regions.filter((r) => share(r) < LOW && r.gpusTotal > 0);
  const over = obs.regions.filter((r) => share(r) > HIGH).sort((a, b) => share(b) - share(a));
  if (under.length === 0 || over.length === 0) return [];
  const room = new Map(under.map((r) => [r.region, Math.floor(HIGH * r.gpusTotal) - r.gpusAllocated]));
  const out: Move[] = [];
  for (const src of over) {
    let alloc = src.gpusAllocated;
    const ws = obs.workloads
      .filter((w) => w.region === src.region && !w.pinned)
      .sort((a, b) => a.priority - b.priority || a.id.localeCompare(b.id));
    for (const w of ws) {
      if (alloc / src.gpusTotal <= HIGH) break;
      if (cooldownMs > 0 && now - (moved.get(w.id) ?? -Infinity) < cooldownMs) continue;
      // The kube-scheduler would place the evicted pod; here: the emptiest underutilized region that fits.
      const dest = [...room.entries()].filter(([, r]) => r >= w.gpus).sort((a, b) => b[1] - a[1])[0];
      if (!dest) break;
      room.set(dest[0], dest[1] - w.gpus);
      alloc -= w.gpus;
      out.push({
        moveId: `lnu-${now}-${w.id}`,
        workloadId: w.id,
        from: w.region,
        to: dest[0],
        gpus: w.gpus,
        checkpointBytes: w.checkpointBytes,
        reason: 'lnu',
      });
    }
  }
  return out;
}

export function greedyMoves(obs: Observation, now: number): Move[] {
  const alloc = new Map(obs.regions.map((r) => [r.region, r.gpusAllocated]));
  const total = new Map(obs.regions.map((r) => [r.region, Math.max(1, r.gpusTotal)]));
  const out: Move[] = [];
  const movedIds = new Set<string>();
  for (let i = 0; i < 4; i++) {
    const sorted = [...alloc.entries()].sort((a, b) => a[1] / (total.get(a[0]) ?? 1) - b[1] / (total.get(b[0]) ?? 1));
    const lo = sorted[0];
    const hi = sorted[sorted.length - 1];
    if (!lo || !hi || lo[0] === hi[0]) break;
    const gap = hi[1] / (total.get(hi[0]) ?? 1) - lo[1] / (total.get(lo[0]) ?? 1);
    if (gap < 0.1) break;
    const w = obs.workloads
      .filter((x) => x.region === hi[0] && !x.pinned && !movedIds.has(x.id))
      .sort((a, b) => a.gpus - b.gpus || a.id.localeCompare(b.id))[0];
    if (!w || lo[1] + w.gpus > (total.get(lo[0]) ?? 0)) break;
    movedIds.add(w.id);
    alloc.set(hi[0], hi[1] - w.gpus);
    alloc.set(lo[0], lo[1] + w.gpus);
    out.push({
      moveId: `greedy-${now}-${w.id}`,
      workloadId: w.id,
      from: hi[0],
      to: lo[0],
      gpus: w.gpus,
      checkpointBytes: w.checkpointBytes,
      reason: 'greedy',
    });
  }
  return out;
}
