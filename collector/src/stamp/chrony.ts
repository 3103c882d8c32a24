/**
 * A live clock status from chrony: runs `chronyc -c tracking` every `intervalMs` (never per
 * probe: a process spawn costs milliseconds) and serves the last reading. Until the first reading,
 * and whenever chronyc fails or prints something unreadable, the clock counts as unsynchronised:
 * claiming sync we cannot back would store one-way delays nobody can trust.
 *
 * Polling goes on only while someone reads the status. A collector that only reflects, and that no
 * one probes, never reads it after the first reading; a chronyc spawn a minute from that idle
 * process cost about 6 ms of CPU (a fork of a 75 MB process), a tenth of what the collector's
 * budget left above its work (bench:collector, STAMP_CLOCK_SOURCE=none beside the default). A
 * poll that finds the status unread since the previous one stops; the next read starts polling
 * again and, until that reading is in, says unsynchronised: the last reading is then older than
 * the interval, and an old claim of sync is one we cannot back.
 */
import { execFile } from 'node:child_process';
import { parseChronyTracking, UNSYNCED_CLOCK, type ClockStatus } from './clock.js';

export interface ChronyClockOptions {
  /** The chronyc binary. Default: "chronyc" on PATH. */
  readonly command?: string;
  /** How often to ask while the status is read. Default: 60 s. */
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
  /** A reading is running or scheduled; false once a poll found the status unread (idle). */
  let polling = true;
  /** The status was read since the last reading was taken. */
  let wanted = false;
  // Each reading is scheduled after the previous one finished: overlapping runs could finish out
  // of order and leave an older reading in place.
  const read = (): void => {
    wanted = false;
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
      timer = setTimeout(poll, opts.intervalMs ?? 60_000);
      timer.unref();
    });
  };
  const poll = (): void => {
    if (wanted) return read();
    // Unread for a whole interval: idle until the next read; what we hold is stale by then.
    polling = false;
    current = UNSYNCED_CLOCK;
  };
  read();
  return {
    status: () => {
      wanted = true;
      if (!polling && !stopped) {
        polling = true;
        read();
      }
      return current;
    },
    ready,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
