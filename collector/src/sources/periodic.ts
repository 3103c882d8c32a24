/**
 * A task a source runs on a timer (a scrape, an inventory read, a kernel-log drain), with ONE error
 * path: whatever the task throws or rejects with is caught and handed to `onError` (the source
 * counts it and logs it, see BaseSource.periodic), so a timer never leaves an unhandled rejection
 * behind to end the process. A tick that finds the previous run still going skips.
 */

/** Node clamps a longer timer to 1 ms (TimeoutOverflowWarning): about 24.8 days. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(
    /** What the task is, for the interval's error message. */
    readonly name: string,
    private readonly run: () => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Runs the task now (or joins the run in progress); resolves when it is done, never rejects. */
  runNow(): Promise<void> {
    this.inFlight ??= (async () => {
      try {
        await this.run();
      } catch (err) {
        this.onError(err);
      } finally {
        this.inFlight = undefined;
      }
    })();
    return this.inFlight;
  }

  /** Runs the task every `intervalMs` from now on (the process may exit meanwhile: unref'd). */
  start(intervalMs: number): void {
    if (!Number.isInteger(intervalMs) || intervalMs < 1 || intervalMs > MAX_TIMER_MS) {
      throw new RangeError(`${this.name}: interval ${intervalMs} ms is not a whole number from 1 to ${MAX_TIMER_MS}`);
    }
    clearInterval(this.timer);
    // runNow never rejects, so nothing floats here.
    this.timer = setInterval(() => void this.runNow(), intervalMs);
    this.timer.unref();
  }

  /** Stops the timer; a run in progress finishes alone. */
  cancel(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Stops the timer and waits for a run in progress. */
  async stop(): Promise<void> {
    this.cancel();
    await this.inFlight;
  }
}
