/** Which runs the quality bench makes: every scenario × seed × policy, each on its own twin. */
import { loadScenario } from '@meridian/sim';
import { type Policy } from './policies.js';
import { runPolicy, type Result } from './run-policy.js';

/**
 * The seeds a scenario runs on: its own seed (42 for the default's family) and the next n − 1. One
 * seed is one sample path: a rule change moved a scenario's figures by a few moves and points of
 * spread in either direction, so a claim needs several.
 */
export function seedsFor(scenario: string, n: number): number[] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`--seeds: ${n} is not a positive integer; give e.g. --seeds 5`);
  const base = loadScenario(scenario).seed;
  return Array.from({ length: n }, (_, k) => base + k);
}

export interface QualityCase {
  scenario: string;
  seed: number;
  policy: Policy;
  result: Result;
}

/** Every scenario × seed × policy, in that order; each run is its own twin (no state shared). */
export async function qualityRuns(opts: {
  scenarios: string[];
  policies: Policy[];
  seeds: number;
  durationS: number;
  startMs: number;
  onRun?: (c: QualityCase) => void;
}): Promise<QualityCase[]> {
  const out: QualityCase[] = [];
  for (const scenario of opts.scenarios)
    for (const seed of seedsFor(scenario, opts.seeds))
      for (const policy of opts.policies) {
        const c = {
          scenario,
          seed,
          policy,
          result: await runPolicy(scenario, policy, opts.durationS, opts.startMs, seed),
        };
        opts.onRun?.(c);
        out.push(c);
      }
  return out;
}
