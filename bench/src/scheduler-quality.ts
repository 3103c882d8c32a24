/**
 * bench/scheduler --quality: the rebalancer against baselines on the twin's scenarios (sim/), each
 * policy on its own twin, over several seeds (every policy sees the same seeds, so the same arrivals
 * at the same instants), compared in the same run:
 *   - none: no rebalancing after admission;
 *   - lnu: the descheduler's LowNodeUtilization lifted to regions (request-based usage, evict
 *     lowest priority first from regions above target into regions below threshold), without and
 *     with a 10-minute per-job cooldown (descheduler #626);
 *   - greedy: least-loaded, moving the smallest job from the fullest to the emptiest region;
 *   - meridian: the scheduler itself (MILP/greedy planner, all safety rules).
 * Observations are built from the twin's telemetry rows in memory (the same figures the store's
 * rollups would give, without the store), every 30 simulated seconds over a 5-minute window.
 *
 * The parts, by concern, under scheduler-quality/: row-window.ts (observations from the twin's rows),
 * policies.ts and baseline-moves.ts (the policies, the baselines' moves), run-policy.ts (one run),
 * runs.ts (scenario × seed × policy), compare.ts (wins, dominance), tables.ts (the Markdown tables).
 * This file is the entry bench/scheduler.ts and the tests import; it re-exports their names.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadScenario } from '@meridian/sim';
import { BASELINES, POLICIES, type Policy } from './scheduler-quality/policies.js';
import { qualityRuns, seedsFor, type QualityCase } from './scheduler-quality/runs.js';
import { qualityTable } from './scheduler-quality/tables.js';
import { targetTable, TRACE_FAULT_SCENARIOS } from './scheduler-quality/target.js';

export { parsePolicies, type Policy } from './scheduler-quality/policies.js';
export { type Result } from './scheduler-quality/run-policy.js';
export { qualityRuns, seedsFor, type QualityCase } from './scheduler-quality/runs.js';
export { dominance, dominates, wins, type Dominance } from './scheduler-quality/compare.js';
export { qualityTable } from './scheduler-quality/tables.js';
export {
  targetCheck,
  targetTable,
  TRACE_FAULT_GOAL,
  TRACE_FAULT_SCENARIOS,
  type TargetLine,
} from './scheduler-quality/target.js';

/** The Alibaba openb replay, where the shared trace is checked out beside the repository. */
function traceScenario(): string[] {
  const sc = loadScenario('trace');
  return existsSync(path.resolve(path.dirname(sc.file), sc.workloads.trace?.path ?? '')) ? ['trace'] : [];
}

const SCENARIOS = [
  'cooling-loss',
  'link-degradation',
  'host-failure',
  'region-failure',
  'arrival-surge',
  'diurnal-inference',
];

/** One set of runs: scenarios on the same seeds count, duration and policies. */
interface RunGroup {
  scenarios: string[];
  seeds: number;
  durationS: number;
  policies: Policy[];
}

/**
 * The runs to make. --trace adds the trace-with-fault scenarios to the synthetic ones; --quick fits
 * them in about 10 minutes on 2 cores: one seed each, and on the large fabric 30 simulated minutes
 * (the faults start at 60 s) and only the baselines and Meridian.
 */
function runGroups(opts: QualityOptions, durationS: number, seeds: number, policies: Policy[]): RunGroup[] {
  const synthetic = opts.scenarios ?? (opts.trace && opts.quick ? [] : SCENARIOS);
  const groups: RunGroup[] = synthetic.length ? [{ scenarios: synthetic, seeds, durationS, policies }] : [];
  if (!opts.trace) return groups;
  const small = TRACE_FAULT_SCENARIOS.filter((s) => !s.startsWith('trace-large'));
  const large = TRACE_FAULT_SCENARIOS.filter((s) => s.startsWith('trace-large'));
  if (!opts.quick) return [...groups, { scenarios: [...small, ...large], seeds, durationS, policies }];
  const lean = policies.filter((p) => p === 'meridian' || BASELINES.includes(p));
  return [
    ...groups,
    { scenarios: small, seeds: 1, durationS, policies },
    { scenarios: large, seeds: 1, durationS: Math.min(durationS, 1800), policies: lean },
  ];
}

export interface QualityOptions {
  scenarios?: string[];
  durationS?: number;
  policies?: Policy[];
  startMs?: number;
  seeds?: number;
  perSeed?: boolean;
  /** Add the trace-with-fault scenarios (default and large fabric) and check the target. */
  trace?: boolean;
  /** With trace: the short form (see runGroups). */
  quick?: boolean;
  /** Print the target check (issue 18) after the tables. */
  target?: boolean;
}

export async function quality(opts: QualityOptions = {}): Promise<void> {
  // The trace replay needs ≈3.6 simulated hours to complete jobs: ask for it with --scenarios trace.
  const scenarios = opts.scenarios ?? SCENARIOS;
  if (scenarios.includes('trace') && traceScenario().length === 0)
    throw new Error('trace scenario: the shared trace is not checked out beside the repository');
  const durationS = opts.durationS ?? 5400;
  const seeds = opts.seeds ?? 5;
  // Noon UTC: the European regions' demand is rising towards its 16:00-local peak.
  const startMs = opts.startMs ?? Date.UTC(2026, 11, 5, 12);
  const groups = runGroups(opts, durationS, seeds, opts.policies ?? POLICIES);
  const all = groups.flatMap((g) => g.scenarios.map((s) => `${s} ${seedsFor(s, g.seeds).join(',')}`));
  console.log(
    `\nquality on the twin (sim/), ${durationS / 60} simulated minutes per run from ${new Date(startMs).toISOString()}, ${seeds} seed(s) per scenario (${all.join('; ')}); lower is better except 'done'`,
  );
  if (opts.trace)
    console.log(
      opts.quick
        ? 'quick: trace-with-fault cases on one seed, the large fabric for 30 simulated minutes with the baselines and Meridian only (about 10 minutes on 2 cores); without --quick the trace cases take about an hour'
        : 'full: every trace-with-fault case on every seed and policy; on 2 cores this takes about an hour (--quick: about 10 minutes)',
    );
  if (opts.perSeed)
    console.log(
      'scenario          seed policy           | done | mean JCT s | p99 JCT s | queue s | spread | SLO min | moves | flaps | wasted GPU-h | GiB moved',
    );
  const cases: QualityCase[] = [];
  for (const g of groups)
    cases.push(
      ...(await qualityRuns({
        ...g,
        startMs,
        onRun: ({ scenario: sc, seed, policy: p, result: r }) => {
          if (opts.perSeed)
            console.log(
              `${sc.padEnd(17)} ${String(seed).padStart(4)} ${p.padEnd(16)} | ${String(r.completed).padStart(4)} | ${r.meanJct.toFixed(0).padStart(10)} | ${r.p99Jct.toFixed(0).padStart(9)} | ${r.queue.toFixed(1).padStart(7)} | ${r.spread.toFixed(3)} | ${r.sloMin.toFixed(1).padStart(7)} | ${String(r.moves).padStart(5)} | ${String(r.flaps).padStart(5)} | ${r.wastedGpuH.toFixed(2).padStart(12)} | ${(r.bytes / 2 ** 30).toFixed(0).padStart(9)}`,
            );
        },
      })),
    );
  console.log(`\nmean over seeds; queue, spread, SLO min and moves with (min–max) across seeds\n`);
  for (const l of qualityTable(cases)) console.log(l);
  if (opts.trace || opts.target) for (const l of targetTable(cases)) console.log(l);
}
