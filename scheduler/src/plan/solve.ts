/**
 * Solves the assignment problem: the MILP (HiGHS) where it is small enough, its LP relaxation first,
 * else the greedy heuristic; the solution says which method ran and why.
 */
import type { Highs } from 'highs';
import type { SchedulerConfig } from '../config.js';
import type { Problem, Solution } from './problem.js';
import { solveGreedy } from './solve-greedy.js';
import { milpSize, solveMilp } from './solve-milp.js';

/** A heuristic plan this close to the LP bound (share of the bound) is taken without the MILP. */
export const CERTIFIED_GAP = 1e-3;

export function solve(p: Problem, cfg: SchedulerConfig, highs: Highs | undefined): Solution {
  if (p.candidates.length === 0)
    return { method: 'none', status: 'no candidates', objective: 0, assignments: [], variables: 0 };
  const useMilp =
    highs !== undefined && cfg.solver !== 'greedy' && (cfg.solver === 'milp' || milpSize(p) <= cfg.milpMaxVariables);
  if (useMilp) {
    // The LP relaxation is solved first: on this transportation-like structure its optimum is
    // often integral already, which is then the MILP optimum too, at a fraction of the time.
    const lp = solveMilp(highs, p, { timeLimitSeconds: cfg.milpTimeLimitSeconds, relax: true });
    if (lp.status === 'optimal' && lp.assignments.every((a) => Math.abs(a.units - Math.round(a.units)) < 1e-6)) {
      return {
        ...lp,
        status: 'optimal',
        assignments: lp.assignments.map((a) => ({ ...a, units: Math.round(a.units) })).filter((a) => a.units > 0),
      };
    }
    // The LP bound certifies a heuristic plan: one within CERTIFIED_GAP of it is as good as the MILP
    // would prove, at a fraction of the time (the priced imbalance makes fractional optima common).
    if (lp.status === 'optimal') {
      const g = solveGreedy(p);
      if (g.objective >= lp.objective - CERTIFIED_GAP * Math.abs(lp.objective))
        return { ...g, status: 'greedy within 0.1 % of the LP bound' };
    }
    const s = solveMilp(highs, p, { timeLimitSeconds: cfg.milpTimeLimitSeconds });
    if (s.status === 'optimal' || s.status === 'empty') return s;
    // A MILP that did not prove optimality in time falls back to the heuristic, and says so.
    const g = solveGreedy(p);
    return { ...g, status: `greedy after milp ${s.status}` };
  }
  return solveGreedy(p);
}
