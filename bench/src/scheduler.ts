/**
 * bench/scheduler: decision latency of one scheduler pass (assess + plan) for 1k, 10k and 100k GPUs,
 * beside a yardstick measured in the same run (a JSON round trip of the same Observation: the cost
 * of merely copying the pass's inputs once). Also the heuristic's gap to the LP relaxation bound.
 * Targets (issue 5): ≤ 50 ms for 10k GPUs / 2k workloads / 8 regions; ≤ 1 s for 100k GPUs.
 *
 *   npm run bench:scheduler [-- --runs 9] [-- --quality [--seeds 5] [--per-seed] [--minutes 90] [--scenarios a,b] [--start ISO]
 *                                          [--trace [--quick]] [--target]]
 * The fabrics are synthetic (see scheduler-fabric.ts); --quality runs the twin comparison in
 * scheduler-quality.ts.
 */
import { parseArgs } from 'node:util';
import {
  assess,
  emptyMemory,
  loadSolver,
  milpSize,
  parseConfig,
  plan,
  solveGreedy,
  solveMilp,
  type Problem,
} from '@meridian/scheduler';
import { syntheticObservation, type FabricSize } from './scheduler-fabric.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '9' },
    quality: { type: 'boolean', default: false },
    minutes: { type: 'string', default: '90' },
    // e.g. --scenarios trace --minutes 220 replays the Alibaba openb trace (≈3.6 simulated hours).
    scenarios: { type: 'string' },
    // The twin's clock at t=0 for --quality (inference demand is diurnal, so SLO minutes depend on it).
    start: { type: 'string' },
    // e.g. --policies none,meridian: a subset of the quality rows (all by default).
    policies: { type: 'string' },
    // --seeds N: each quality scenario on its own seed and the next N − 1, every policy on the same ones.
    seeds: { type: 'string', default: '5' },
    // --per-seed: each run's row as it finishes, before the table of means.
    'per-seed': { type: 'boolean', default: false },
    // --quality-only skips the latency and gap tables (the quality tables do not depend on them).
    'quality-only': { type: 'boolean', default: false },
    // --trace: add the trace-with-fault scenarios (default and large fabric) and check the target.
    trace: { type: 'boolean', default: false },
    // --quick (with --trace): the trace cases in about 10 minutes on 2 cores.
    quick: { type: 'boolean', default: false },
    // --target: print the target check (issue 18) for whatever ran.
    target: { type: 'boolean', default: false },
  },
});
const RUNS = Number(args.runs);

const SIZES: (FabricSize & { target: number })[] = [
  { gpus: 1_000, workloads: 200, regions: 8, target: 50 },
  { gpus: 10_000, workloads: 2_000, regions: 8, target: 50 },
  { gpus: 100_000, workloads: 20_000, regions: 16, target: 1000 },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function latency(): Promise<void> {
  const highs = await loadSolver();
  const cfg = parseConfig({
    load: { persistSeconds: 0 },
    throttle: { persistSeconds: 0 },
    link: { persistSeconds: 0 },
    limits: { movesPerPass: 50, movesPerRegionPerPass: 20 },
  });
  const now = Date.UTC(2026, 10, 25);
  const load = (await import('node:os')).loadavg()[0] ?? 0;
  console.log(
    `scheduler decision latency (assess + plan), median of ${RUNS} runs; synthetic fabrics; load average ${load.toFixed(1)} on ${(await import('node:os')).cpus().length} cores`,
  );
  console.log(
    'size                          | wall ms | CPU ms (min) | solver     vars | moves | yardstick: JSON round-trip of the Observation, ms | target (wall)',
  );
  for (const size of SIZES) {
    const obs = syntheticObservation(size, now);
    const passMs: number[] = [];
    const passCpuMs: number[] = [];
    const yardMs: number[] = [];
    let last: ReturnType<typeof plan> | null = null;
    for (let i = 0; i < RUNS + 1; i++) {
      const mem = emptyMemory();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const a = assess(obs, cfg, mem);
      const r = plan(obs, a, cfg, mem, { highs });
      const t1 = performance.now();
      const c1 = process.cpuUsage(c0);
      JSON.parse(JSON.stringify(obs));
      const t2 = performance.now();
      if (i > 0) {
        passMs.push(t1 - t0);
        passCpuMs.push((c1.user + c1.system) / 1000);
        yardMs.push(t2 - t1);
      }
      last = r;
    }
    const p = last?.plan;
    const label = `${size.gpus.toLocaleString('en')} GPUs/${size.workloads.toLocaleString('en')} wl/${size.regions} reg`;
    const ok = median(passMs) <= size.target ? 'MET' : 'MISSED';
    console.log(
      `${label.padEnd(29)} | ${median(passMs).toFixed(1).padStart(7)} | ${median(passCpuMs).toFixed(1).padStart(6)} (${Math.min(
        ...passCpuMs,
      )
        .toFixed(1)
        .padStart(
          4,
        )}) | ${(p?.solver.method ?? '').padEnd(6)} ${String(p?.solver.variables ?? 0).padStart(8)} | ${String(p?.moves.length ?? 0).padStart(5)} | ${median(yardMs).toFixed(1).padStart(49)} | ≤ ${size.target} ms ${ok}`,
    );
  }
}

/** The heuristic's objective against the LP relaxation (an upper bound on any plan's objective). */
async function gap(): Promise<void> {
  const highs = await loadSolver();
  const now = Date.UTC(2026, 10, 25);
  console.log('\ngreedy heuristic vs MILP optimum vs LP relaxation bound (objective in GPU-seconds; higher is better)');
  console.log(
    'size                         | vars  | greedy obj   ms | MILP obj     ms | LP bound     ms | greedy gap to LP',
  );
  for (const size of SIZES) {
    const obs = syntheticObservation(size, now);
    const cfg = parseConfig({
      load: { persistSeconds: 0 },
      throttle: { persistSeconds: 0 },
      link: { persistSeconds: 0 },
      solver: 'greedy',
      milpTimeLimitSeconds: 20,
    });
    const mem = emptyMemory();
    const a = assess(obs, cfg, mem);
    // The exact problem a pass solves, captured before its own solve.
    let captured: Problem | undefined;
    plan(obs, a, cfg, mem, { onProblem: (x) => (captured = x) });
    const p = captured as Problem | undefined;
    if (!p) continue;
    const t0 = performance.now();
    const g = solveGreedy(p);
    const t1 = performance.now();
    const lp = solveMilp(highs, p, { timeLimitSeconds: 20, relax: true });
    const t2 = performance.now();
    const vars = milpSize(p);
    let milp = { objective: Number.NaN, status: 'skipped' };
    let milpMs = Number.NaN;
    if (vars <= 30_000) {
      const t3 = performance.now();
      milp = solveMilp(highs, p, { timeLimitSeconds: 20 });
      milpMs = performance.now() - t3;
    }
    const label = `${size.gpus.toLocaleString('en')} GPUs/${size.workloads.toLocaleString('en')} wl/${size.regions} reg`;
    const gapPct = lp.objective > 0 ? (100 * (lp.objective - g.objective)) / lp.objective : 0;
    console.log(
      `${label.padEnd(28)} | ${String(vars).padStart(5)} | ${g.objective.toFixed(0).padStart(10)} ${(t1 - t0).toFixed(1).padStart(5)} | ${(Number.isFinite(milp.objective) ? milp.objective.toFixed(0) : milp.status).padStart(10)} ${Number.isFinite(milpMs) ? milpMs.toFixed(0).padStart(5) : '    -'} | ${lp.objective.toFixed(0).padStart(10)} ${(t2 - t1).toFixed(0).padStart(5)} | ${gapPct.toFixed(2)} %`,
    );
  }
}

if (!args['quality-only']) {
  await latency();
  await gap();
}
if (args.quality || args['quality-only']) {
  const { quality, parsePolicies } = await import('./scheduler-quality.js');
  const startMs = args.start === undefined ? undefined : Date.parse(args.start);
  if (startMs !== undefined && !Number.isFinite(startMs))
    throw new Error(`--start "${args.start}" is not an ISO date-time: give e.g. 2026-12-05T12:00:00Z`);
  await quality({
    durationS: Number(args.minutes) * 60,
    seeds: Number(args.seeds),
    perSeed: args['per-seed'],
    ...(startMs !== undefined ? { startMs } : {}),
    ...(args.scenarios ? { scenarios: args.scenarios.split(',') } : {}),
    ...(args.policies ? { policies: parsePolicies(args.policies) } : {}),
    trace: args.trace,
    quick: args.quick,
    target: args.target,
  });
}
