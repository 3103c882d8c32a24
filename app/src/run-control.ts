/**
 * What both kinds of `meridian up` (the twin, and `--real`) share about running: where the store is,
 * by the one rule every command uses, and how a run is told to stop.
 */
import { resolveStoreTarget, targetOptions } from '@meridian/store';
import type { UpIO, UpOptions } from './up-types.js';

/** The options with exactly one of data/clickhouse: flags, then the environment, then ./data. */
export function withStoreTarget(given: UpOptions): UpOptions {
  return { ...given, data: undefined, clickhouse: undefined, ...targetOptions(resolveStoreTarget({ flags: given })) };
}

export interface StopSwitch {
  /** True once SIGINT or SIGTERM arrived (unless the caller handles signals) or io.signal aborted. */
  stopping(): boolean;
  /** Removes the signal handlers, so a later Ctrl-C is the default again. */
  release(): void;
}

/** `onStop` runs once, when the stop arrives: to end a wait that would otherwise hold up the stop. */
export function stopSwitch(io: UpIO, onStop?: () => void): StopSwitch {
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    onStop?.();
  };
  const handle = io.handleSignals ?? true;
  if (handle) {
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
  io.signal?.addEventListener('abort', stop, { once: true });
  return {
    stopping: () => stopping,
    release: () => {
      if (!handle) return;
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}
