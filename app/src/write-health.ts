/**
 * One path for store write failures in `meridian up`: the sink reports each failed write here; the
 * status line and /healthz read `degraded()`; the log gets one line per interval (a full disk fails
 * every batch, and a line per batch would bury everything else); and work that waits for the store
 * (a scheduler pass waiting for the sink to drain, the shutdown) stops waiting when writes fail
 * instead of hanging on a store that cannot take rows.
 */
export class WriteHealth {
  private reason: string | undefined;
  private failures = 0;
  private lastLogAt = Number.NEGATIVE_INFINITY;
  private waiters = new Set<(err: Error) => void>();

  constructor(
    private readonly log: (line: string) => void,
    private readonly logEveryMs = 30_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The sink's onWriteError. */
  failed(err: unknown): void {
    this.failures++;
    this.reason = `store write failed: ${err instanceof Error ? err.message : String(err)}`;
    const t = this.now();
    if (t - this.lastLogAt >= this.logEveryMs) {
      this.lastLogAt = t;
      this.log(`${this.reason} (${this.failures} failed writes so far; rows wait in memory and are lost at exit)`);
    }
    this.wake(new Error(this.reason));
  }

  /** The sink's onWritten: a write went through, so the store takes rows again. */
  written(): void {
    if (this.reason === undefined) return;
    this.log(`store writes resumed after ${this.failures} failed writes`);
    this.reason = undefined;
  }

  /** Why writes fail now, or undefined while they succeed. */
  degraded(): string | undefined {
    return this.reason;
  }

  /** Failed writes over the run. */
  get failedWrites(): number {
    return this.failures;
  }

  /**
   * `p`, unless a write fails (or `abort` is called) first: then it rejects with the reason, so
   * whoever waits for the store to catch up stops waiting.
   */
  async race<T>(p: Promise<T>): Promise<T> {
    if (this.reason !== undefined) throw new Error(this.reason);
    let waiter: ((err: Error) => void) | undefined;
    const failed = new Promise<never>((_, reject) => {
      waiter = reject;
      this.waiters.add(reject);
    });
    try {
      return await Promise.race([p, failed]);
    } finally {
      if (waiter) this.waiters.delete(waiter);
    }
  }

  /** Ends every pending `race` (shutdown). */
  abort(why: string): void {
    this.wake(new Error(why));
  }

  private wake(err: Error): void {
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w(err);
  }
}
