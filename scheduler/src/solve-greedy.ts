/**
 * The heuristic used where the MILP would be too big: take (workload, destination) pairs best gain
 * per GPU first, each as far as headroom and remaining overload make it pay. Its distance from the
 * LP relaxation's bound is measured in bench/src/scheduler.ts.
 */
import { coefficient, objectiveOf, usefulOptions, type Assignment, type Problem, type Solution } from './problem.js';

interface Pair {
  readonly c: number;
  readonly o: number;
  readonly perGpu: number;
}

export function solveGreedy(p: Problem): Solution {
  const pairs: Pair[] = [];
  let variables = 0;
  p.candidates.forEach((cand, ci) => {
    const relief = (p.excess.get(cand.source) ?? 0) > 0 ? p.overloadValue : 0;
    for (const oi of usefulOptions(p, cand)) {
      variables++;
      const opt = cand.options[oi];
      if (!opt) continue;
      pairs.push({ c: ci, o: oi, perGpu: coefficient(cand, opt, p.margin) / cand.unitGpus + relief });
    }
  });
  // Deterministic: ties broken by candidate then option index.
  pairs.sort((a, b) => b.perGpu - a.perGpu || a.c - b.c || a.o - b.o);

  const headroom = new Map(p.headroom);
  const excess = new Map(p.excess);
  const unitsLeft = p.candidates.map((c) => c.units);
  const assignments: Assignment[] = [];
  for (const pair of pairs) {
    const cand = p.candidates[pair.c];
    const opt = cand?.options[pair.o];
    if (!cand || !opt) continue;
    const left = unitsLeft[pair.c] ?? 0;
    if (left === 0) continue;
    const fit = Math.min(left, Math.floor((headroom.get(opt.region) ?? 0) / cand.unitGpus));
    if (fit <= 0) continue;
    const coef = coefficient(cand, opt, p.margin);
    const ex = excess.get(cand.source) ?? 0;
    // Units beyond what relieves the source only pay if the move is worth it on its own.
    const k = coef > 0 ? fit : Math.min(fit, Math.ceil(ex / cand.unitGpus));
    if (k <= 0) continue;
    const gain = k * coef + p.overloadValue * Math.min(ex, k * cand.unitGpus);
    if (gain <= 0) continue;
    assignments.push({ candidate: pair.c, option: pair.o, units: k });
    unitsLeft[pair.c] = left - k;
    headroom.set(opt.region, (headroom.get(opt.region) ?? 0) - k * cand.unitGpus);
    excess.set(cand.source, Math.max(0, ex - k * cand.unitGpus));
  }
  return { method: 'greedy', status: 'heuristic', objective: objectiveOf(p, assignments), assignments, variables };
}
