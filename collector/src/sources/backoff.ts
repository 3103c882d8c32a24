/**
 * Exponential backoff for restarting a child process: initial, ×factor per consecutive failure, up
 * to max, with a little jitter so that a fleet restarted at once does not respawn in lock-step.
 */
export interface BackoffOptions {
  /** First delay. Default 1000 ms. */
  readonly initialMs?: number;
  /** Ceiling. Default 60 000 ms. */
  readonly maxMs?: number;
  /** Default 2. */
  readonly factor?: number;
  /** ± share of the delay, 0..1. Default 0.1. */
  readonly jitter?: number;
  /** A child that has run this long is healthy again: the next failure starts from `initialMs`. Default 30 s. */
  readonly resetAfterMs?: number;
  readonly random?: () => number;
}

export class Backoff {
  private attempt = 0;
  readonly resetAfterMs: number;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(o: BackoffOptions = {}) {
    this.initialMs = o.initialMs ?? 1000;
    this.maxMs = o.maxMs ?? 60_000;
    this.factor = o.factor ?? 2;
    this.jitter = o.jitter ?? 0.1;
    this.resetAfterMs = o.resetAfterMs ?? 30_000;
    this.random = o.random ?? Math.random;
    if (!(this.initialMs > 0) || !(this.maxMs >= this.initialMs) || !(this.factor >= 1)) {
      throw new RangeError('backoff: need initialMs > 0, maxMs >= initialMs, factor >= 1');
    }
  }

  /** The delay before the next attempt; each call counts one more consecutive failure. */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * this.factor ** this.attempt);
    this.attempt++;
    const j = base * this.jitter * (this.random() * 2 - 1);
    return Math.max(0, Math.round(Math.min(this.maxMs, base + j)));
  }

  reset(): void {
    this.attempt = 0;
  }

  get failures(): number {
    return this.attempt;
  }
}
