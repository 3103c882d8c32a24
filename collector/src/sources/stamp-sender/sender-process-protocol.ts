/**
 * What the agent and its STAMP sender process say to each other over the IPC channel (Node's
 * `advanced` serialization: the structured clone, so a report's NaN or null survives as it is).
 * Each side checks what it receives: a message that is not one of these is logged and dropped,
 * never acted on half-read.
 */
import type { ClockStatus } from '../../stamp/clock.js';
import type { StampSenderConfig } from '../../stamp/config.js';
import type { StampSenderStats } from '../../stamp/sender.js';
import type { StampReport } from '../../stamp/session.js';

/** The agent to its sender process. */
export type ToSender =
  /** Start probing (once per process). The config has been validated by the agent. */
  | { readonly kind: 'start'; readonly config: StampSenderConfig; readonly clock: ClockStatus }
  /** This host's clock status changed (chrony's reading): advertised from the next probe on. */
  | { readonly kind: 'clock'; readonly clock: ClockStatus }
  /** Stop: with `drain`, wait for the last replies and report every open interval first. */
  | { readonly kind: 'stop'; readonly drain: boolean };

/** The sender process to the agent. */
export type FromSender =
  | { readonly kind: 'started' }
  /** The sender could not start (a peer that cannot be resolved or reached): why, with the key. */
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'report'; readonly report: StampReport }
  /** The sender's counters, sent every few seconds and once more before 'stopped'. */
  | { readonly kind: 'stats'; readonly stats: StampSenderStats }
  /** Stopped, every report sent: the agent may close the channel. */
  | { readonly kind: 'stopped' };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

function isClock(v: unknown): v is ClockStatus {
  return isRecord(v) && typeof v.synced === 'boolean' && typeof v.errorMs === 'number';
}

/** A message for the sender process, or what is wrong with it. */
export function readToSender(m: unknown): ToSender | string {
  if (!isRecord(m)) return `message is not an object: ${typeof m}`;
  switch (m.kind) {
    case 'start':
      if (!isRecord(m.config) || !Array.isArray(m.config.peers)) return 'start: config.peers is missing';
      return isClock(m.clock) ? (m as ToSender) : 'start: clock is not {synced, errorMs}';
    case 'clock':
      return isClock(m.clock) ? (m as ToSender) : 'clock: clock is not {synced, errorMs}';
    case 'stop':
      return typeof m.drain === 'boolean' ? (m as ToSender) : 'stop: drain is not a boolean';
    default:
      return `unknown message kind ${JSON.stringify(m.kind)}`;
  }
}

/** A message from the sender process, or what is wrong with it. */
export function readFromSender(m: unknown): FromSender | string {
  if (!isRecord(m)) return `message is not an object: ${typeof m}`;
  switch (m.kind) {
    case 'started':
    case 'stopped':
      return m as FromSender;
    case 'failed':
      return typeof m.message === 'string' ? (m as FromSender) : 'failed: message is not a string';
    case 'report': {
      const r = m.report;
      if (!isRecord(r) || !isRecord(r.row) || typeof r.linkId !== 'string' || typeof r.row.ts !== 'number')
        return 'report: not a report with a row, a linkId and a ts';
      return m as FromSender;
    }
    case 'stats': {
      const s = m.stats;
      if (!isRecord(s) || !Array.isArray(s.peers) || typeof s.skippedSlots !== 'number')
        return 'stats: not {peers, skippedSlots, droppedReports}';
      return m as FromSender;
    }
    default:
      return `unknown message kind ${JSON.stringify(m.kind)}`;
  }
}
