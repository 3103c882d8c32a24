/**
 * The assignment problem the planner hands to a solver. Values are in GPU-seconds over the planning
 * horizon, so benefits (work gained) and costs (work lost to a migration) are comparable.
 *
 *   maximise   Σ x[c,o]·coef[c,o] + λ·Σ relief[s] + μ·(D₀ − Σ_r dev[r])
 *   subject to Σ_o x[c,o] ≤ units[c]                       each candidate moves at most its units
 *              Σ x[c,o]·unitGpus[c] ≤ headroom[r]           per destination (top of its load band)
 *              relief[s] ≤ Σ_{c in s} x[c,o]·unitGpus[c]    relief only from work that leaves s
 *              0 ≤ relief[s] ≤ excess[s]                    per hot source, down to its target
 *              dev[r] ≥ ±(alloc[r](x) − share·GPUs[r])      per balance region r
 *              x integer; a gang has units = 1 (moves whole), an inference set one unit per replica
 *   coef[c,o] = unitGpus·(value[o] − value[source]) − margin·cost[c,o]
 *   alloc[r](x) = allocated[r] + GPUs moved in − GPUs moved out;  share = the fleet's allocated share
 * Σ dev is the imbalance: GPUs allocated away from the fleet's share, counted in the regions above
 * it and in those below (a GPU moved from one above to one below removes 2). D₀ is it before any
 * move, so making no move scores 0 and a solver's gap is a share of what the plan gains. μ prices it
 * (config value.balancePerGpu). Unlike max − min it is a sum over regions, so each move's part in
 * it is its own, and a greedy pass prices it exactly.
 */
import type { WorkloadObservation } from '../observe/observation.js';

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
  /**
   * Queued in a failed region (its GPUs already lost): resubmitting it elsewhere stops nothing that
   * runs and moves no bytes, so it pays only its restart and is held to no move limit, only to the
   * destination's headroom.
   */
  readonly stopped?: true;
  readonly options: readonly DestOption[];
  /**
   * Considered only because its region is hot by load (no throttling or errors) or imbalanced: the
   * plan moves such work only while the region still has overload left, or allocation above the
   * fleet's share by more than `balance.low`, once this pass's moves and those in flight land.
   */
  readonly shedOnly?: boolean;
}

export interface BalanceTerm {
  /** μ: GPU-seconds of objective per GPU of imbalance removed. */
  readonly value: number;
  /**
   * The regions imbalance is taken over: their GPUs (counted at the region's goodness: a throttled
   * region is worth less as room), and GPUs allocated once moves in flight land.
   */
  readonly regions: ReadonlyMap<string, { readonly total: number; readonly allocated: number }>;
  /** The fleet's allocated share over those regions, before this plan's moves. */
  readonly share: number;
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
  /** Absent: imbalance is not priced (the objective is as before). */
  readonly balance?: BalanceTerm;
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
  // mutation-check: cost vs benefit
  return c.unitGpus * (o.valuePerGpu - c.sourceValuePerGpu) - margin * o.costPerUnit - priorityTieBreak;
}

/** The most one unit can remove: its GPUs leave a region above the share and land in one below. */
export function balanceBound(p: Problem, c: Candidate): number {
  return p.balance ? 2 * p.balance.value * c.unitGpus : 0;
}

/** Drops options that can never pay off even with full overload relief and balance, to keep the model small. */
export function usefulOptions(p: Problem, c: Candidate): number[] {
  const relief = (p.excess.get(c.source) ?? 0) > 0 ? p.overloadValue * c.unitGpus : 0;
  const out: number[] = [];
  c.options.forEach((o, i) => {
    if ((p.headroom.get(o.region) ?? 0) >= c.unitGpus && coefficient(c, o, p.margin) + relief + balanceBound(p, c) > 0)
      out.push(i);
  });
  return out;
}

export interface Shift {
  readonly from: string;
  readonly to: string;
  readonly gpus: number;
}

/** An allocation with moves made; regions outside it (not priced) are ignored. */
export function shiftAllocation(alloc: ReadonlyMap<string, number>, moves: Iterable<Shift>): Map<string, number> {
  const after = new Map(alloc);
  for (const m of moves) {
    const f = after.get(m.from);
    if (f !== undefined) after.set(m.from, f - m.gpus);
    const t = after.get(m.to);
    if (t !== undefined) after.set(m.to, t + m.gpus);
  }
  return after;
}

/** Allocated GPUs per balance region once `moves` are made. */
export function balanceAllocation(p: Problem, moves: Iterable<Shift>): Map<string, number> {
  return shiftAllocation(new Map([...(p.balance?.regions ?? new Map())].map(([r, v]) => [r, v.allocated])), moves);
}

/** GPUs allocated away from the fleet's share, summed over the balance regions; 0 without any. */
export function imbalanceOf(p: Problem, alloc: ReadonlyMap<string, number>): number {
  let d = 0;
  for (const [r, v] of p.balance?.regions ?? new Map<string, { total: number }>())
    d += Math.abs((alloc.get(r) ?? 0) - (p.balance?.share ?? 0) * v.total);
  return d;
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
  if (p.balance) {
    const moves = assignments.map((a) => {
      const c = p.candidates[a.candidate] as Candidate;
      return { from: c.source, to: (c.options[a.option] as DestOption).region, gpus: a.units * c.unitGpus };
    });
    total += p.balance.value * (imbalanceOf(p, balanceAllocation(p, [])) - imbalanceOf(p, balanceAllocation(p, moves)));
  }
  return total;
}
