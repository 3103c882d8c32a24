/**
 * The assignment MILP (see problem.ts) solved by HiGHS compiled to WebAssembly (npm `highs`). The
 * runtime loads once, asynchronously; each solve then runs synchronously inside the pass.
 */
import highsModule, { type Highs } from 'highs';
import {
  balanceAllocation,
  coefficient,
  imbalanceOf,
  usefulOptions,
  type Assignment,
  type Problem,
  type Solution,
} from './problem.js';

type Loader = () => Promise<Highs>;
// highs ships CommonJS types but an ESM entry: TypeScript sees the namespace, Node the function.
const loadHighs = ((highsModule as unknown as { default?: Loader }).default ?? highsModule) as unknown as Loader;

let runtime: Promise<Highs> | undefined;

/** Loads the HiGHS WebAssembly runtime once per process. */
export function loadSolver(): Promise<Highs> {
  if (!runtime) runtime = loadHighs();
  return runtime;
}

export interface MilpOptions {
  readonly timeLimitSeconds: number;
  /** Solve the LP relaxation instead: an upper bound on the best achievable objective. */
  readonly relax?: boolean;
}

interface Column {
  readonly c: number;
  readonly o: number;
}

/** Counts the x variables the model would have, without building it. */
export function milpSize(p: Problem): number {
  let n = 0;
  for (const c of p.candidates) n += usefulOptions(p, c).length;
  return n;
}

export function solveMilp(highs: Highs, p: Problem, opts: MilpOptions): Solution {
  const cols: Column[] = [];
  p.candidates.forEach((c, ci) => {
    for (const oi of usefulOptions(p, c)) cols.push({ c: ci, o: oi });
  });
  if (cols.length === 0) return { method: 'milp', status: 'empty', objective: 0, assignments: [], variables: 0 };

  const regions = [...new Set(cols.map((x) => p.candidates[x.c]?.options[x.o]?.region as string))].sort();
  const sources = [...p.excess.entries()]
    .filter(([, e]) => e > 0)
    .map(([s]) => s)
    .sort();
  const C = p.candidates.length;
  const destRow = new Map(regions.map((r, i) => [r, C + i]));
  const reliefRow = new Map(sources.map((s, i) => [s, C + regions.length + i]));
  // Imbalance: a column dev[r] and two rows per balance region (dev ≥ ±(alloc − share·GPUs)).
  const balanced = [...(p.balance?.regions ?? new Map<string, { total: number; allocated: number }>())].sort(
    ([a], [b]) => (a < b ? -1 : a > b ? 1 : 0),
  );
  const devBase = C + regions.length + sources.length;
  const devRow = new Map(balanced.map(([r], i) => [r, devBase + 2 * i]));
  const numRows = devBase + 2 * balanced.length;
  const devCols = balanced.length;
  const numCols = cols.length + sources.length + devCols;

  const colCost = new Float64Array(numCols);
  const colLower = new Float64Array(numCols);
  const colUpper = new Float64Array(numCols);
  const integrality = new Int32Array(numCols);
  const starts: number[] = [0];
  const indices: number[] = [];
  const values: number[] = [];

  cols.forEach((col, j) => {
    const cand = p.candidates[col.c];
    const opt = cand?.options[col.o];
    if (!cand || !opt) throw new Error('internal: column without candidate');
    colCost[j] = coefficient(cand, opt, p.margin);
    colUpper[j] = cand.units;
    integrality[j] = opts.relax ? 0 : 1;
    const entries: [number, number][] = [
      [col.c, 1],
      [destRow.get(opt.region) as number, cand.unitGpus],
    ];
    const rr = reliefRow.get(cand.source);
    if (rr !== undefined) entries.push([rr, -cand.unitGpus]);
    // Rows say dev − Δ ≥ alloc₀ − share·GPUs and dev + Δ ≥ share·GPUs − alloc₀, Δ = GPUs in − out.
    for (const [region, sign] of [
      [cand.source, 1],
      [opt.region, -1],
    ] as const) {
      const dr = devRow.get(region);
      if (dr === undefined) continue;
      entries.push([dr, sign * cand.unitGpus], [dr + 1, -sign * cand.unitGpus]);
    }
    // HiGHS wants the row indices of a column in ascending order.
    entries.sort((a, b) => a[0] - b[0]);
    for (const [row, v] of entries) {
      indices.push(row);
      values.push(v);
    }
    starts.push(indices.length);
  });
  sources.forEach((s, i) => {
    const j = cols.length + i;
    colCost[j] = p.overloadValue;
    colUpper[j] = p.excess.get(s) ?? 0;
    indices.push(C + regions.length + i);
    values.push(1);
    starts.push(indices.length);
  });

  balanced.forEach((_, i) => {
    const j = cols.length + sources.length + i;
    colCost[j] = -(p.balance?.value ?? 0);
    colUpper[j] = highs.infinity;
    indices.push(devBase + 2 * i, devBase + 2 * i + 1);
    values.push(1, 1);
    starts.push(indices.length);
  });

  const rowLower = new Float64Array(numRows).fill(-highs.infinity);
  const rowUpper = new Float64Array(numRows);
  p.candidates.forEach((c, i) => (rowUpper[i] = c.units));
  regions.forEach((r, i) => (rowUpper[C + i] = p.headroom.get(r) ?? 0));
  // relief rows: relief − Σ out ≤ 0 (already zero-filled)
  balanced.forEach(([, v], i) => {
    const over = v.allocated - (p.balance?.share ?? 0) * v.total;
    rowLower[devBase + 2 * i] = over;
    rowUpper[devBase + 2 * i] = highs.infinity;
    rowLower[devBase + 2 * i + 1] = -over;
    rowUpper[devBase + 2 * i + 1] = highs.infinity;
  });

  const model = highs.createModel({
    numCols,
    numRows,
    sense: highs.constants.objectiveSense.maximize,
    // μ·D₀: no move scores 0, so the MIP gap is relative to what the plan gains.
    offset: devCols > 0 ? (p.balance?.value ?? 0) * imbalanceOf(p, balanceAllocation(p, [])) : 0,
    colCost,
    colLower,
    colUpper,
    rowLower,
    rowUpper,
    matrix: { format: 'csc', numRows, numCols, starts, indices, values },
    integrality,
  });
  try {
    model.options.set({ output_flag: false, time_limit: opts.timeLimitSeconds, mip_rel_gap: 1e-4 });
    model.run();
    const status = model.getModelStatus();
    const k = highs.constants.modelStatus;
    const statusName = Object.entries(k).find(([, v]) => v === status)?.[0] ?? String(status);
    if (status !== k.optimal) {
      return { method: 'milp', status: statusName, objective: Number.NaN, assignments: [], variables: cols.length };
    }
    const x = model.getSolution().colValue;
    const assignments: Assignment[] = [];
    cols.forEach((col, j) => {
      const v = x[j] ?? 0;
      const units = opts.relax ? v : Math.round(v);
      if (units > 1e-9) assignments.push({ candidate: col.c, option: col.o, units });
    });
    return {
      method: 'milp',
      status: statusName,
      objective: model.getObjectiveValue(),
      assignments,
      variables: cols.length,
    };
  } finally {
    model.dispose();
  }
}
