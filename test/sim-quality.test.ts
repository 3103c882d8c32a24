/**
 * The quality bench over several seeds (bench/src/scheduler-quality.ts): the same seeds give the same
 * figures, run after run, so its table can be re-measured and compared; different seeds are
 * different sample paths (otherwise the seeds would add runs, not evidence); and Meridian's wins
 * are counted per scenario × seed against the baselines.
 */
import { describe, expect, it } from 'vitest';
import { qualityRuns, seedsFor, wins } from '../bench/src/scheduler-quality.js';

const START = Date.UTC(2026, 11, 5, 12);

describe('quality bench over seeds', () => {
  it('gives the same figures for the same seeds, and different ones across seeds', async () => {
    const opts = {
      scenarios: ['cooling-loss'],
      policies: ['none' as const, 'lnu' as const, 'meridian' as const],
      seeds: 2,
      durationS: 600,
      startMs: START,
    };
    const a = await qualityRuns(opts);
    const b = await qualityRuns(opts);
    expect(a.map((c) => [c.seed, c.policy])).toEqual([
      [42, 'none'],
      [42, 'lnu'],
      [42, 'meridian'],
      [43, 'none'],
      [43, 'lnu'],
      [43, 'meridian'],
    ]);
    expect(b).toEqual(a);
    const none = a.filter((c) => c.policy === 'none').map((c) => c.result);
    expect(none[0]).not.toEqual(none[1]);
    // Each metric counted once per seed; SLO minutes are lower than both baselines' on both seeds.
    const w = wins(a).get('cooling-loss');
    expect(w?.get('SLO min')).toEqual({ wins: 2, cases: 2 });
    expect(w?.get('moves')?.cases).toBe(2);
  }, 120_000);

  it('runs a scenario on its own seed and the next ones, and refuses a count that is not positive', () => {
    expect(seedsFor('cooling-loss', 3)).toEqual([42, 43, 44]);
    expect(() => seedsFor('cooling-loss', 0)).toThrow(/--seeds: 0 is not a positive integer/);
  });
});
