/**
 * Cumulative counters are stored raw (rates are derived in queries), but a collector that computes
 * a delta must not be fooled by a counter going backwards: a 32-bit wrap, or a reset (reboot,
 * driver reload, NIC re-init). This tracker computes safe deltas and says which case it saw.
 */
export type CounterStep =
  | { kind: 'first' }
  | { kind: 'delta'; delta: number }
  | { kind: 'wrap'; delta: number }
  | { kind: 'reset'; delta: number };

const WRAP32 = 2 ** 32;

export class CounterTracker {
  private readonly last = new Map<string, number>();

  /**
   * Records `value` for `key` and returns the step since the previous one. A decrease is a 32-bit
   * wrap when the previous value was in the top quarter of the u32 range and the new one small
   * enough that the wrap explains it; otherwise it is a reset and the delta is the new value (what
   * accumulated since the reset).
   */
  step(key: string, value: number): CounterStep {
    const prev = this.last.get(key);
    this.last.set(key, value);
    if (prev === undefined) return { kind: 'first' };
    if (value >= prev) return { kind: 'delta', delta: value - prev };
    if (prev < WRAP32 && prev >= WRAP32 * 0.75 && value < WRAP32 * 0.25) {
      return { kind: 'wrap', delta: WRAP32 - prev + value };
    }
    return { kind: 'reset', delta: value };
  }

  forget(key: string): void {
    this.last.delete(key);
  }
}
