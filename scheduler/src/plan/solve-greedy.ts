/**
 * The heuristic used where the MILP would be too big: take (workload, destination) pairs best gain
 * per GPU first, each as far as headroom and remaining overload make it pay. Its distance from the
 * LP relaxation's bound is measured in bench/src/scheduler.ts.
 */
import {
  balanceAllocation,
  balanceBound,
  coefficient,
  objectiveOf,
  shiftAllocation,
  imbalanceOf,
  usefulOptions,
  type Assignment,
  type Problem,
  type Solution,
} from './problem.js';

interface Pair {
  readonly c: number;
  readonly o: number;
  readonly perGpu: number;
}

export function solveGreedy(p: Problem): Solution {
  if (p.balance) return solveGreedyBalanced(p);
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

/**
 * With imbalance priced, a move's worth depends on the moves made before it (once a region reaches
 * the fleet's share, more work leaving it removes nothing). Lazy greedy: pairs wait in a heap keyed
 * by gain per GPU, optimistic at first; the top pair is re-priced exactly against the moves taken so
 * far, taken if it still leads, and put back with its exact key if not.
 */
function solveGreedyBalanced(p: Problem): Solution {
  const heap = new PairHeap();
  let variables = 0;
  p.candidates.forEach((cand, ci) => {
    const relief = (p.excess.get(cand.source) ?? 0) > 0 ? p.overloadValue : 0;
    for (const oi of usefulOptions(p, cand)) {
      variables++;
      const opt = cand.options[oi] as (typeof cand.options)[number];
      const perGpu =
        Math.max(0, coefficient(cand, opt, p.margin)) / cand.unitGpus + relief + balanceBound(p, cand) / cand.unitGpus;
      heap.push({ c: ci, o: oi, perGpu, version: -1 });
    }
  });

  const headroom = new Map(p.headroom);
  const excess = new Map(p.excess);
  const unitsLeft = p.candidates.map((c) => c.units);
  const assignments: Assignment[] = [];
  const balanceValue = p.balance?.value ?? 0;
  let alloc = balanceAllocation(p, []);
  let imbalance = imbalanceOf(p, alloc);
  // Bumped at every pick: a key computed at the current version is exact.
  let version = 0;

  /** The best count of units for a pair now, and its gain; null when nothing pays. */
  const price = (c: number, o: number): { k: number; gain: number; imbalance: number } | null => {
    const cand = p.candidates[c];
    const opt = cand?.options[o];
    if (!cand || !opt) return null;
    const fit = Math.min(unitsLeft[c] ?? 0, Math.floor((headroom.get(opt.region) ?? 0) / cand.unitGpus));
    const coef = coefficient(cand, opt, p.margin);
    const ex = excess.get(cand.source) ?? 0;
    let best: { k: number; gain: number; imbalance: number } | null = null;
    for (let k = 1; k <= fit; k++) {
      const gpus = k * cand.unitGpus;
      const after = imbalanceOf(p, shiftAllocation(alloc, [{ from: cand.source, to: opt.region, gpus }]));
      const gain = k * coef + p.overloadValue * Math.min(ex, gpus) + balanceValue * (imbalance - after);
      if (gain > 0 && (!best || gain > best.gain)) best = { k, gain, imbalance: after };
    }
    return best;
  };

  for (let top = heap.pop(); top; top = heap.pop()) {
    const cand = p.candidates[top.c];
    const opt = cand?.options[top.o];
    if (!cand || !opt || (unitsLeft[top.c] ?? 0) === 0) continue;
    const priced = price(top.c, top.o);
    if (!priced) continue;
    const perGpu = priced.gain / (priced.k * cand.unitGpus);
    const next = heap.peek();
    if (top.version !== version && next && perGpu < next.perGpu) {
      heap.push({ ...top, perGpu, version });
      continue;
    }
    const gpus = priced.k * cand.unitGpus;
    assignments.push({ candidate: top.c, option: top.o, units: priced.k });
    unitsLeft[top.c] = (unitsLeft[top.c] ?? 0) - priced.k;
    headroom.set(opt.region, (headroom.get(opt.region) ?? 0) - gpus);
    excess.set(cand.source, Math.max(0, (excess.get(cand.source) ?? 0) - gpus));
    alloc = shiftAllocation(alloc, [{ from: cand.source, to: opt.region, gpus }]);
    imbalance = priced.imbalance;
    version++;
  }
  return { method: 'greedy', status: 'heuristic', objective: objectiveOf(p, assignments), assignments, variables };
}

interface HeapPair extends Pair {
  /** The pick count at which perGpu was priced exactly; −1: an optimistic first key. */
  readonly version: number;
}

/** A max-heap on gain per GPU; ties go to the lower candidate, then option, index (deterministic). */
class PairHeap {
  private readonly items: HeapPair[] = [];
  private static before(a: HeapPair, b: HeapPair): boolean {
    return a.perGpu > b.perGpu || (a.perGpu === b.perGpu && (a.c < b.c || (a.c === b.c && a.o < b.o)));
  }
  push(x: HeapPair): void {
    const it = this.items;
    it.push(x);
    for (let i = it.length - 1; i > 0;) {
      const up = (i - 1) >> 1;
      if (!PairHeap.before(it[i] as HeapPair, it[up] as HeapPair)) break;
      [it[i], it[up]] = [it[up] as HeapPair, it[i] as HeapPair];
      i = up;
    }
  }
  peek(): HeapPair | undefined {
    return this.items[0];
  }
  pop(): HeapPair | undefined {
    const it = this.items;
    const top = it[0];
    const last = it.pop();
    if (it.length > 0 && last) {
      it[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < it.length && PairHeap.before(it[l] as HeapPair, it[m] as HeapPair)) m = l;
        if (r < it.length && PairHeap.before(it[r] as HeapPair, it[m] as HeapPair)) m = r;
        if (m === i) break;
        [it[i], it[m]] = [it[m] as HeapPair, it[i] as HeapPair];
        i = m;
      }
    }
    return top;
  }
}
