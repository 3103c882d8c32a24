/**
 * Where the source's StampSender runs: in the agent's own process (the default, for an agent
 * embedded in a test or in `meridian up`), or in a process of its own (sender-process.ts, what
 * `meridian collect` runs). The source sees the same three calls either way.
 */
import type { ClockStatusSource } from '../../stamp/clock.js';
import type { StampSenderConfig, StampSenderConfigInput } from '../../stamp/config.js';
import { StampSender, type StampSenderStats } from '../../stamp/sender.js';
import type { StampReport } from '../../stamp/session.js';

export interface SenderHandle {
  readonly config: StampSenderConfig;
  /** Starts probing; rejects (naming the config key) when a peer cannot be resolved or reached. */
  start(): Promise<void>;
  /** Stops; with `drain` (the default) every open interval is reported first. */
  stop(opts?: { drain?: boolean }): Promise<void>;
  /** The sender's counters (from a sender process: as of its last message, at most a few seconds old). */
  stats(): StampSenderStats;
}

export interface SenderHandleOptions {
  readonly clock?: ClockStatusSource;
  readonly onReport: (report: StampReport) => void;
  readonly log: (message: string) => void;
}

export type SenderFactory = (config: StampSenderConfigInput, opts: SenderHandleOptions) => SenderHandle;

/** The sender in the agent's own process. */
export const inProcessSender: SenderFactory = (config, { clock, onReport }) =>
  new StampSender(config, { ...(clock ? { clock } : {}), onReport });
