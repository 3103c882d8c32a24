/**
 * The quality bench over several seeds (bench/src/scheduler-quality.ts): the same seeds give the same
 * figures, run after run, so its table can be re-measured and compared; different seeds are
 * different sample paths (otherwise the seeds would add runs, not evidence); and Meridian's wins
 * are counted per scenario × seed against the baselines.
 */
import { describe, expect, it } from 'vitest';
import {
  dominance,
  dominates,
  qualityRuns,
  seedsFor,
  targetCheck,
  wins,
  type QualityCase,
  type Result,
} from '../../bench/src/scheduler-quality.js';

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
    // "none" never dominates here: Meridian's SLO minutes are lower on both seeds.
    const d = dominance(a).get('cooling-loss');
    expect(d?.get('none')).toMatchObject({ under: 0, cases: 2 });
    expect(d?.get('lnu')?.cases).toBe(2);
    expect(d?.has('meridian')).toBe(false);
  }, 120_000);

  it('calls a run dominated only when another is as good on every metric and better on one', () => {
    const base: Result = {
      meanJct: 1900,
      p99Jct: 4700,
      queue: 10,
      spread: 0.25,
      sloMin: 1,
      moves: 8,
      flaps: 0,
      wastedGpuH: 1,
      bytes: 2 ** 30,
      completed: 47,
      resubmits: 0,
      faultMoves: 0,
    };
    expect(dominates(base, base)).toBe(false);
    // Better spread for more moves: a trade-off, neither dominates.
    const tradeoff = { ...base, spread: 0.2, moves: 40 };
    expect(dominates(tradeoff, base)).toBe(false);
    expect(dominates(base, tradeoff)).toBe(false);
    // Fewer moves and nothing worse dominates; more completed jobs (higher is better) too.
    expect(dominates({ ...base, moves: 0 }, base)).toBe(true);
    expect(dominates({ ...base, completed: 48 }, base)).toBe(true);
    expect(dominates(base, { ...base, completed: 48 })).toBe(false);
    // Differences below the printed precision are ties (queue is printed to 0.1 s).
    expect(dominates({ ...base, queue: 9.96 }, base)).toBe(false);
  });

  it('holds a cooling loss or region failure to a 30 % cut and a degraded link, which no trace pod crosses, to no harm', () => {
    const r = (o: Partial<Result>): Result => ({
      meanJct: 1000,
      p99Jct: 4000,
      queue: 10,
      spread: 0.1,
      sloMin: 10,
      moves: 0,
      flaps: 0,
      wastedGpuH: 0,
      bytes: 0,
      completed: 40,
      resubmits: 0,
      faultMoves: 0,
      ...o,
    });
    const pair = (scenario: string, mine: Partial<Result>, none: Partial<Result> = {}): QualityCase[] => [
      { scenario, seed: 1, policy: 'none', result: r(none) },
      { scenario, seed: 1, policy: 'meridian', result: r(mine) },
    ];
    const line = (cases: QualityCase[]) => targetCheck(cases).find((l) => l.rule.startsWith('trace-with-fault'));
    // A link fault: equal SLO minutes, no move for the link, is met; a cut is not asked for.
    expect(line(pair('trace-link-degradation', { sloMin: 10 }))?.met).toBe(true);
    expect(line(pair('trace-link-degradation', { sloMin: 10 }))?.detail).toContain('(no harm) SLO 10 vs 10');
    // A move for the link, or more SLO minutes than doing nothing, is harm.
    expect(line(pair('trace-link-degradation', { faultMoves: 1 }))?.met).toBe(false);
    expect(line(pair('trace-link-degradation', { sloMin: 10.2 }))?.met).toBe(false);
    // A region failure still needs SLO minutes 30 % below "none", with queueing no worse.
    expect(line(pair('trace-region-failure', { sloMin: 8 }))?.met).toBe(false);
    expect(line(pair('trace-region-failure', { sloMin: 7 }))?.met).toBe(true);
    expect(line(pair('trace-region-failure', { sloMin: 7, queue: 11 }))?.met).toBe(false);

    // Fewer migrations than LNU+cooldown counts the cases where it moves; where it made no move its
    // zero is no yardstick, and Meridian's moves there are listed.
    const lnu = (scenario: string, mine: number, theirs: number): QualityCase[] => [
      { scenario, seed: 1, policy: 'lnu+cooldown', result: r({ moves: theirs }) },
      { scenario, seed: 1, policy: 'meridian', result: r({ moves: mine }) },
    ];
    const fewer = (cases: QualityCase[]) => targetCheck(cases).find((l) => l.rule.startsWith('fewer migrations'));
    const mixed = fewer([...lnu('cooling-loss', 5, 9), ...lnu('trace-large-cooling-loss', 120, 0)]);
    expect(mixed?.met).toBe(true);
    expect(mixed?.detail).toBe(
      "5 against 9 over 1 cases where it moves; LNU+cooldown made no move in 1 cases (Meridian's moves there: trace-large-cooling-loss/1: 120); over all cases Meridian made 125",
    );
    expect(fewer(lnu('cooling-loss', 9, 9))?.met).toBe(false);
  });

  it('runs a scenario on its own seed and the next ones, and refuses a count that is not positive', () => {
    expect(seedsFor('cooling-loss', 3)).toEqual([42, 43, 44]);
    expect(() => seedsFor('cooling-loss', 0)).toThrow(/--seeds: 0 is not a positive integer/);
  });
});
