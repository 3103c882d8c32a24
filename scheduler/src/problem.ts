/**
 * The assignment problem the planner hands to a solver. Values are in GPU-seconds over the planning
 * horizon, so benefits (work gained) and costs (work lost to a migration) are comparable.
 *
 *   maximise   Σ x[c,o]·coef[c,o] + λ·Σ relief[s]
 *   subject to Σ_o x[c,o] ≤ units[c]                       each candidate moves at most its units
 *              Σ x[c,o]·unitGpus[c] ≤ headroom[r]           per destination (top of its load band)
 *              relief[s] ≤ Σ_{c in s} x[c,o]·unitGpus[c]    relief only from work that leaves s
 *              0 ≤ relief[s] ≤ excess[s]                    per hot source, down to its target
 *              x integer; a gang has units = 1 (moves whole), an inference set one unit per replica
 *   coef[c,o] = unitGpus·(value[o] − value[source]) − margin·cost[c,o]
 */
import type { WorkloadObservation } from './observation.js';

export interface DestOption {
  readonly region: string;
  /** GPU-seconds one GPU of this workload is worth at the destination over the horizon. */
  readonly valuePerGpu: number;
  /** GPU-seconds lost by moving one unit: (transfer + restart + lost work) × unit GPUs. */
  readonly costPerUnit: number;
  readonly transferSeconds: number;
  readonly restartSeconds: number;
  readonly lostWorkSeconds: number;
}

export interface Candidate {
  readonly workload: WorkloadObservation;
  readonly source: string;
  readonly units: number;
  readonly unitGpus: number;
  readonly sourceValuePerGpu: number;
  /** Why this workload is being considered at all. */
  readonly trigger: string;
  /** Evacuation from a failed region: exempt from cooldown, priority and the disruption budget. */
  readonly evacuate: boolean;
  readonly options: readonly DestOption[];
}

export interface Problem {
  readonly candidates: readonly Candidate[];
  /** GPUs each destination may still take. */
  readonly headroom: ReadonlyMap<string, number>;
  /** GPUs each hot source is above its target. */
  readonly excess: ReadonlyMap<string, number>;
  /** λ: GPU-seconds gained per GPU of overload relieved. */
  readonly overloadValue: number;
  readonly margin: number;
}

export interface Assignment {
  readonly candidate: number;
  readonly option: number;
  readonly units: number;
}

export interface Solution {
  readonly method: 'milp' | 'greedy' | 'none';
  readonly status: string;
  readonly objective: number;
  readonly assignments: readonly Assignment[];
  /** Variables in the model (for the auto solver switch and the bench). */
  readonly variables: number;
}

export function coefficient(c: Candidate, o: DestOption, margin: number): number {
  // A small priority term makes low-priority work move first among equals (descheduler's order).
  const priorityTieBreak = 1e-3 * c.unitGpus * Math.max(0, c.workload.priority);
  return c.unitGpus * (o.valuePerGpu - c.sourceValuePerGpu) - margin * o.costPerUnit - priorityTieBreak;
}

/** Drops options that can never pay off even with full overload relief, to keep the model small. */
export function usefulOptions(p: Problem, c: Candidate): number[] {
  const relief = (p.excess.get(c.source) ?? 0) > 0 ? p.overloadValue * c.unitGpus : 0;
  const out: number[] = [];
  c.options.forEach((o, i) => {
    if ((p.headroom.get(o.region) ?? 0) >= c.unitGpus && coefficient(c, o, p.margin) + relief > 0) out.push(i);
  });
  return out;
}

/** The objective of a set of assignments, counted the way the MILP counts it. */
export function objectiveOf(p: Problem, assignments: readonly Assignment[]): number {
  let total = 0;
  const out = new Map<string, number>();
  for (const a of assignments) {
    const c = p.candidates[a.candidate] as Candidate;
    const o = c.options[a.option] as DestOption;
    total += a.units * coefficient(c, o, p.margin);
    out.set(c.source, (out.get(c.source) ?? 0) + a.units * c.unitGpus);
  }
  for (const [s, e] of p.excess) total += p.overloadValue * Math.min(e, out.get(s) ?? 0);
  return total;
}
