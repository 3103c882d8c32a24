/** Plumbing the sources share: counter wraps and resets, restart backoff, periodic tasks. */
import { describe, expect, it } from 'vitest';
import { Backoff } from '../../src/sources/backoff.js';
import { CounterTracker } from '../../src/sources/counters.js';

describe('counter tracker and backoff', () => {
  it('tells deltas, 32-bit wraps and resets apart', () => {
    const t = new CounterTracker();
    expect(t.step('a', 10)).toEqual({ kind: 'first' });
    expect(t.step('a', 15)).toEqual({ kind: 'delta', delta: 5 });
    expect(t.step('b', 2 ** 32 - 10)).toEqual({ kind: 'first' });
    expect(t.step('b', 5)).toEqual({ kind: 'wrap', delta: 15 });
    expect(t.step('a', 3)).toEqual({ kind: 'reset', delta: 3 });
  });

  it('doubles up to the ceiling and resets', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 500, jitter: 0 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 500, 500]);
    b.reset();
    expect(b.next()).toBe(100);
    expect(() => new Backoff({ initialMs: 0 })).toThrow(/initialMs/);
  });
});
