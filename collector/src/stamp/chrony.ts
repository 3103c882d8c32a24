/**
 * A live clock status from chrony: runs `chronyc -c tracking` every `intervalMs` (never per
 * probe: a process spawn costs milliseconds) and serves the last reading. Until the first reading,
 * and whenever chronyc fails or prints something unreadable, the clock counts as unsynchronised:
 * claiming sync we cannot back would store one-way delays nobody can trust.
 */
import { execFile } from 'node:child_process';
import { parseChronyTracking, UNSYNCED_CLOCK, type ClockStatus } from './clock.js';

export interface ChronyClockOptions {
  /** The chronyc binary. Default: "chronyc" on PATH. */
  readonly command?: string;
  /** How often to ask. Default: 60 s. */
  readonly intervalMs?: number;
  /** Told once per change between readable and failing, with the reason. */
  readonly onError?: (message: string) => void;
}

export interface ChronyClock {
  /** The latest status; pass it as `clock` to StampSender and StampReflector. */
  readonly status: () => ClockStatus;
  /** Resolves after the first reading (successful or not). */
  readonly ready: Promise<void>;
  stop(): void;
}

export function startChronyClock(opts: ChronyClockOptions = {}): ChronyClock {
  const command = opts.command ?? 'chronyc';
  let current: ClockStatus = UNSYNCED_CLOCK;
  let failing = false;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  // Each reading is scheduled after the previous one finished: overlapping runs could finish out
  // of order and leave an older reading in place.
  const read = (): void => {
    execFile(command, ['-c', 'tracking'], { timeout: 5_000 }, (err, stdout) => {
      try {
        if (err) throw new Error(`${command} -c tracking failed: ${err.message}`);
        current = parseChronyTracking(stdout);
        failing = false;
      } catch (e) {
        current = UNSYNCED_CLOCK;
        if (!failing) opts.onError?.((e as Error).message);
        failing = true;
      }
      markReady();
      if (stopped) return;
      timer = setTimeout(read, opts.intervalMs ?? 60_000);
      timer.unref();
    });
  };
  read();
  return {
    status: () => current,
    ready,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
