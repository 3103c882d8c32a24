/**
 * Wall-clock time for STAMP timestamps, and the clock-synchronisation state each end advertises.
 *
 * Date.now() has millisecond resolution, which is coarser than the 0.2 ms we promise, so the clock
 * is process.hrtime (monotonic, nanoseconds) anchored to the wall clock at start-up. The anchor is
 * re-taken when the system clock moves away by more than `restepThresholdNs` (10 ms), so a stepped
 * system clock (chrony or ptp4l correcting a large offset) shows up in the timestamps instead of
 * being hidden for ever; after such a step the absolute time is good to Date.now()'s millisecond.
 */
import { performance } from 'node:perf_hooks';
import { encodeErrorEstimate, errorEstimateFromSeconds, splitNs, type ErrorEstimate } from './packet.js';

/** Nanoseconds since the Unix epoch. */
export type WallClock = () => bigint;

/**
 * What this host knows about its own clock. Linux offers no reliable way for an unprivileged
 * process to ask "is my clock synchronised, and how well?", so it comes from config or from the
 * caller (e.g. the agent reading `chronyc -c tracking` or pmc output; see parseChronyTracking).
 */
export interface ClockStatus {
  /** True when the clock is disciplined to UTC by an external source (NTP, PTP). Sets the S bit. */
  readonly synced: boolean;
  /** Upper bound on the clock's error against UTC, in milliseconds. Encoded in the Error Estimate. */
  readonly errorMs: number;
}

/** A fixed status or a function read at every probe, so a live chrony/PTP reading can be plugged in. */
export type ClockStatusSource = ClockStatus | (() => ClockStatus);

/**
 * Reads a status source. A source that throws or returns nonsense (a negative or non-finite error)
 * reads as UNSYNCED_CLOCK: probing goes on, and no one-way delay is claimed on its word.
 */
export function readClockStatus(source: ClockStatusSource): ClockStatus {
  let status: ClockStatus;
  try {
    status = typeof source === 'function' ? source() : source;
  } catch {
    return UNSYNCED_CLOCK;
  }
  return Number.isFinite(status.errorMs) && status.errorMs >= 0 ? status : UNSYNCED_CLOCK;
}

/** This host's Error Estimate as packets carry it, decoded and encoded. */
export interface ClockErrorEstimate {
  readonly value: ErrorEstimate;
  readonly encoded: number;
}

/**
 * Reads the clock status on every call, and recomputes the Error Estimate only when the status
 * changed: senders and reflectors stamp every packet with it, and the status changes about once a
 * minute (chrony's polling).
 */
export function clockErrorEstimate(source: ClockStatusSource): () => ClockErrorEstimate {
  let errorMs = NaN;
  let synced = false;
  let current: ClockErrorEstimate | undefined;
  return () => {
    const status = readClockStatus(source);
    if (current === undefined || status.errorMs !== errorMs || status.synced !== synced) {
      errorMs = status.errorMs;
      synced = status.synced;
      const value = errorEstimateFromSeconds(errorMs / 1000, synced);
      current = { value, encoded: encodeErrorEstimate(value) };
    }
    return current;
  };
}

/** An unsynchronised clock with an unknown (here: one second) error. The safe default. */
export const UNSYNCED_CLOCK: ClockStatus = { synced: false, errorMs: 1000 };

export function createWallClock(restepThresholdNs = 10_000_000n): WallClock {
  // performance.timeOrigin is the wall-clock time the process started, to the microsecond, and
  // performance.now() is monotonic from there: together a microsecond wall clock. Date.now() is
  // only good to a millisecond, so it is used to notice steps, never as the time itself.
  // Kept as one offset (wall − monotonic at the anchor): a read is then one BigInt addition, and
  // every BigInt it makes is garbage (several per STAMP probe and reply).
  let offset = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6)) - process.hrtime.bigint();
  let calls = 0;
  return () => {
    const mono = process.hrtime.bigint();
    const now = mono + offset;
    // Checking the system clock costs a Date.now(); do it every 64 reads only. The threshold is
    // far above Date.now()'s millisecond truncation so that only a real step re-anchors.
    if ((++calls & 63) === 0) {
      const system = BigInt(Date.now()) * 1_000_000n;
      const drift = now > system ? now - system : system - now;
      if (drift > restepThresholdNs) {
        offset = system - mono;
        return system;
      }
    }
    return now;
  };
}

/**
 * The wall clock as a split time (packet.ts): whole Unix seconds into `out[at]`, nanoseconds into
 * that second into `out[at + 1]`. The sender and the reflector read it for every packet; unlike
 * WallClock it makes no BigInt.
 */
export type SplitWallClock = (out: Float64Array, at: number) => void;

const NS = 1_000_000_000;

/**
 * createWallClock's clock (anchored to the wall clock at start-up, re-anchored when the system
 * clock steps) read as a split time. The monotonic reading is performance.now(), a double of ms
 * since the process started that a native call returns with nothing allocated (process.hrtime()
 * makes an array and hrtime.bigint() a BigInt, per read); split into whole seconds and
 * nanoseconds it is exact to the nanosecond for the first 104 days of a process and good to a few
 * nanoseconds for years after, far below the wire format's use here (0.2 ms).
 */
export function createSplitWallClock(restepThresholdMs = 10): SplitWallClock {
  // The offset wall − monotonic, as whole seconds and nanoseconds in [0, 1e9).
  let offS = 0;
  let offNs = 0;
  const anchor = (wallS: number, wallNs: number, monoS: number, monoNs: number): void => {
    let ns = wallNs - monoNs;
    let s = wallS - monoS;
    if (ns < 0) {
      ns += NS;
      s -= 1;
    }
    offS = s;
    offNs = ns;
  };
  // performance.now() counts from performance.timeOrigin, the wall-clock time the process started.
  const origin = performance.timeOrigin;
  const originS = Math.floor(origin / 1000);
  anchor(originS, Math.min(NS - 1, Math.round((origin - originS * 1000) * 1e6)), 0, 0);
  let calls = 0;
  return (out, at) => {
    const monoMs = performance.now();
    const monoS = Math.floor(monoMs / 1000);
    const monoNs = Math.round((monoMs - monoS * 1000) * 1e6);
    let s = monoS + offS;
    let ns = monoNs + offNs;
    if (ns >= NS) {
      ns -= NS;
      s += 1;
    }
    // As createWallClock: a Date.now() every 64 reads notices a stepped system clock.
    if ((++calls & 63) === 0) {
      const system = Date.now();
      if (Math.abs(s * 1000 + ns / 1e6 - system) > restepThresholdMs) {
        s = Math.floor(system / 1000);
        ns = (system - s * 1000) * 1_000_000;
        anchor(s, ns, monoS, monoNs);
      }
    }
    out[at] = s;
    out[at + 1] = ns;
  };
}

/** A WallClock (tests pass one to share it between ends) read as a split time. */
export function splitWallClockOf(clock: WallClock): SplitWallClock {
  return (out, at) => splitNs(clock(), out, at);
}

/**
 * Reads the clock state from `chronyc -c tracking` (comma-separated). chrony 4.x prints 14 fields:
 * reference ID, reference name, stratum, ref time, system time offset (s), last offset, RMS offset,
 * frequency, residual frequency, skew, root delay (s), root dispersion (s), update interval, leap
 * status; older versions omit the reference name (13 fields), so fields are located relative to
 * that. Following chrony's documentation, the error bound is |system offset| + root dispersion +
 * root delay / 2. Synced means a nonzero stratum and a leap status other than "Not synchronised";
 * an unsynchronised clock gets at least UNSYNCED_CLOCK's error.
 */
export function parseChronyTracking(text: string): ClockStatus {
  const line = text.trim().split('\n')[0] ?? '';
  const fields = line.split(',');
  if (fields.length !== 13 && fields.length !== 14) {
    throw new Error(`chronyc -c tracking: expected 13 or 14 comma-separated fields, got ${fields.length}`);
  }
  const shift = fields.length - 13;
  const num = (index: number, name: string): number => {
    const raw = fields[index + shift] ?? '';
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value))
      throw new Error(`chronyc -c tracking: ${name} is not a number: "${raw}"`);
    return value;
  };
  const stratum = num(1, 'stratum');
  const offsetS = num(3, 'system time offset');
  const rootDelayS = num(9, 'root delay');
  const rootDispersionS = num(10, 'root dispersion');
  const leap = (fields[12 + shift] ?? '').trim();
  const synced = stratum > 0 && leap !== 'Not synchronised';
  const boundMs = (Math.abs(offsetS) + rootDispersionS + rootDelayS / 2) * 1000;
  // Unsynchronised, chrony's figures bound nothing (it prints zeros): claim no better than
  // UNSYNCED_CLOCK.
  return { synced, errorMs: synced ? boundMs : Math.max(boundMs, UNSYNCED_CLOCK.errorMs) };
}
