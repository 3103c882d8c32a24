/**
 * How Meridian's runs compare with the baselines' in the same case (scenario × seed): best or
 * tied-best per metric, and Pareto dominance over all of them, at the printed precision.
 */
import { BASELINES, MOVERS, type Policy } from './policies.js';
import { type Result } from './run-policy.js';
import { type QualityCase } from './runs.js';

/**
 * The metrics compared, with the precision they are printed at (ties are equal at that precision)
 * and which baselines Meridian is compared with: outcomes against all four, the costs of moving
 * against the three that move ("none" moves nothing, so it wins those by definition).
 */
export const METRICS: {
  key: keyof Result;
  label: string;
  digits: number;
  higherIsBetter?: boolean;
  versus: readonly Policy[];
  scale?: number;
}[] = [
  { key: 'completed', label: 'done', digits: 0, higherIsBetter: true, versus: BASELINES },
  { key: 'meanJct', label: 'mean JCT', digits: 0, versus: BASELINES },
  { key: 'p99Jct', label: 'p99 JCT', digits: 0, versus: BASELINES },
  { key: 'queue', label: 'queue', digits: 1, versus: BASELINES },
  { key: 'spread', label: 'spread', digits: 3, versus: BASELINES },
  { key: 'sloMin', label: 'SLO min', digits: 1, versus: BASELINES },
  { key: 'moves', label: 'moves', digits: 0, versus: MOVERS },
  { key: 'flaps', label: 'flaps', digits: 0, versus: MOVERS },
  { key: 'wastedGpuH', label: 'wasted GPU-h', digits: 2, versus: MOVERS },
  { key: 'bytes', label: 'GiB moved', digits: 0, versus: MOVERS, scale: 2 ** -30 },
];

const value = (r: Result, m: (typeof METRICS)[number]): number => Number((r[m.key] * (m.scale ?? 1)).toFixed(m.digits));

/** The runs grouped by case (scenario × seed), in the order they ran. */
function byCase(cases: QualityCase[]): QualityCase[][] {
  const out = new Map<string, QualityCase[]>();
  for (const c of cases) {
    const key = `${c.scenario}\u0000${c.seed}`;
    out.set(key, [...(out.get(key) ?? []), c]);
  }
  return [...out.values()];
}

/** Per metric, the cases (scenario × seed) in which Meridian is best or tied-best against its baselines. */
export function wins(cases: QualityCase[]): Map<string, Map<string, { wins: number; cases: number }>> {
  const out = new Map<string, Map<string, { wins: number; cases: number }>>();
  for (const group of byCase(cases)) {
    const scenario = (group[0] as QualityCase).scenario;
    const mine = group.find((c) => c.policy === 'meridian');
    if (!mine) continue;
    const row = out.get(scenario) ?? new Map<string, { wins: number; cases: number }>();
    for (const m of METRICS) {
      const others = group.filter((c) => m.versus.includes(c.policy));
      if (others.length === 0) continue;
      // Only scenarios with a baseline to compare against get a row (--policies meridian has none).
      out.set(scenario, row);
      const v = value(mine.result, m);
      const best = others.every((o) => (m.higherIsBetter ? v >= value(o.result, m) : v <= value(o.result, m)));
      const w = row.get(m.label) ?? { wins: 0, cases: 0 };
      row.set(m.label, { wins: w.wins + (best ? 1 : 0), cases: w.cases + 1 });
    }
  }
  return out;
}

/**
 * Pareto dominance at the printed precision: a dominates b when it is at least as good on every
 * metric and better on at least one. The costs of moving count for every policy here, "none"
 * included, so "none" dominates a run only where doing nothing was at least as good on every
 * outcome: where that run's moves bought nothing.
 */
export function dominates(a: Result, b: Result): boolean {
  let better = false;
  for (const m of METRICS) {
    const gain = (m.higherIsBetter ? 1 : -1) * (value(a, m) - value(b, m));
    if (gain < 0) return false;
    if (gain > 0) better = true;
  }
  return better;
}

export interface Dominance {
  /** Cases in which Meridian dominates the baseline. */
  over: number;
  /** Cases in which the baseline dominates Meridian. */
  under: number;
  cases: number;
}

/**
 * Per scenario and baseline, the cases in which one dominates the other. Where the metrics pull
 * against each other (spread against moves, spreading against room for a large gang), no policy
 * can be best on all of them in every case; a baseline that dominates Meridian would show a case
 * where Meridian's choice was simply worse.
 */
export function dominance(cases: QualityCase[]): Map<string, Map<Policy, Dominance>> {
  const out = new Map<string, Map<Policy, Dominance>>();
  for (const group of byCase(cases)) {
    const scenario = (group[0] as QualityCase).scenario;
    const mine = group.find((c) => c.policy === 'meridian');
    if (!mine) continue;
    for (const other of group) {
      if (!BASELINES.includes(other.policy)) continue;
      const row = out.get(scenario) ?? new Map<Policy, Dominance>();
      out.set(scenario, row);
      const d = row.get(other.policy) ?? { over: 0, under: 0, cases: 0 };
      row.set(other.policy, {
        over: d.over + (dominates(mine.result, other.result) ? 1 : 0),
        under: d.under + (dominates(other.result, mine.result) ? 1 : 0),
        cases: d.cases + 1,
      });
    }
  }
  return out;
}
