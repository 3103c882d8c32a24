/**
 * The bookkeeping of one Session-Sender → Session-Reflector session, free of sockets and timers so
 * that its rules can be tested exactly. Times are passed in: as split times (packet.ts: whole Unix
 * seconds and nanoseconds, no BigInt) on the sender's hot path, or as bigint ns since the Unix
 * epoch through onSent and onReply.
 *
 * The rules, all decided from timestamps and never from when a timer happened to fire:
 *  - A probe belongs to the interval its send time (T1) falls in; intervals are aligned to
 *    multiples of intervalMs since the epoch, and a report's ts is the interval's start.
 *  - A reply counts only if it arrives within lossTimeoutMs of its probe (T4 − T1). Replies
 *    arriving later are tallied as late, never as received, and never change a closed report.
 *  - An interval is finalised by the caller no earlier than its end + lossTimeoutMs, so every
 *    reply that can still count has had its chance; a late reply after that finds no probe and is
 *    tallied in the session's counters (lateReplies) only.
 *  - The first counted reply for a probe is "received"; further counted copies are duplicates.
 *  - A first reply whose sequence number is below the highest already received on this session
 *    is reordered (RFC 4737's definition), counted in the interval of that probe.
 *  - Jitter is the mean absolute difference of consecutive RTTs, in sequence order.
 *  - One-way delays are kept only if every counted reply in the interval had both S bits set
 *    and a combined error estimate within maxClockErrorMs; otherwise clock_synced = 0 and
 *    neither owd column is written.
 */
import {
  emptyReplySplit,
  errorEstimateSeconds,
  REPLY_T1,
  REPLY_T2,
  REPLY_T3,
  REPLY_T4,
  splitDiffNs,
  splitNs,
  type ReflectorPacket,
  type ReplySplit,
} from './packet.js';
import { COLUMN, LABEL, STAMP_METHOD, STAMP_SOURCE, type LinkSampleRow } from './link-row.js';
import { mean, meanAbsoluteSuccessiveDifference, percentile } from './stats.js';

export interface StampSessionLabels {
  readonly linkId: string;
  readonly regionFrom: string;
  readonly regionTo: string;
  readonly host: string;
}

export interface StampSessionTiming {
  readonly intervalMs: number;
  readonly lossTimeoutMs: number;
  readonly maxClockErrorMs: number;
}

/** One finished interval: the row for link_samples plus what a caller may want to log. */
export interface StampReport {
  readonly row: LinkSampleRow;
  readonly linkId: string;
  readonly intervalStartMs: number;
  readonly intervalMs: number;
  /** Sequence numbers of the first and last probe sent in the interval. */
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** Replies for this interval's probes that came after lossTimeoutMs (counted as lost). */
  readonly lateReplies: number;
}

export type ReplyOutcome =
  /** First counted reply for its probe. */
  | 'received'
  | 'duplicate'
  /** Arrived after lossTimeoutMs; the probe stays lost. */
  | 'late'
  /** No open probe matches (its interval closed long ago, or never existed). */
  | 'unmatched'
  /** The echoed Session-Sender Timestamp is not the one sent with that sequence number. */
  | 'mismatch'
  /** The reflector's turnaround (T3 − T2) is negative or longer than the round trip. */
  | 'bad-turnaround';

export interface ReplyObservation {
  readonly outcome: ReplyOutcome;
  readonly seq: number;
  /** Set for received and duplicate replies. */
  readonly rttMs?: number;
  readonly owdForwardMs?: number;
  readonly owdReverseMs?: number;
  readonly clockSynced?: boolean;
}

export interface StampSessionCounters {
  probesSent: number;
  repliesReceived: number;
  duplicates: number;
  lateReplies: number;
  unmatchedReplies: number;
  mismatchedReplies: number;
  badTurnaround: number;
}

interface IntervalAcc {
  readonly startMs: number;
  sent: number;
  firstSeq: number;
  lastSeq: number;
  /**
   * Serial numbers of the interval's first and last probe. Its probes are the ring's entries in
   * that range whose interval is this one: a wall clock stepped back can put a later probe into
   * an earlier interval, so the range may hold other intervals' probes too.
   */
  readonly firstSerial: number;
  lastSerial: number;
  received: number;
  duplicates: number;
  reordered: number;
  late: number;
  allSynced: boolean;
  maxClockErrorMs: number;
}

const TWO_32 = 0x1_0000_0000;
/** Ring slots a session starts with: 60 s + 2 s of probes at 10/s (the defaults) fit. */
const INITIAL_SLOTS = 1024;
const FREE = -1;

/**
 * Open probes (sent, their interval not yet finalised), in typed arrays indexed by serial number
 * modulo a power of two rather than as an object and a Map entry each: at 10 probes/s per peer
 * those objects were a steady stream of garbage. A probe's sequence number is its serial number
 * modulo 2^32, so a reply finds its slot from its sequence number alone. The ring doubles when the
 * slot of a new probe is still taken, so no open probe is ever overwritten, whatever the rate,
 * interval and loss timeout.
 */
class ProbeRing {
  mask = INITIAL_SLOTS - 1;
  /** The probe's serial number, or FREE. */
  serial = new Float64Array(INITIAL_SLOTS).fill(FREE);
  /** T1 as the reflector echoes it (the wire's resolution), as a split time: seconds and ns. */
  t1S = new Float64Array(INITIAL_SLOTS);
  t1Ns = new Float64Array(INITIAL_SLOTS);
  intervalStartMs = new Float64Array(INITIAL_SLOTS);
  /** Counted replies so far (the first is the sample, the rest are duplicates). */
  replies = new Uint32Array(INITIAL_SLOTS);
  /** The first counted reply's figures, in ms. */
  rttMs = new Float64Array(INITIAL_SLOTS);
  owdForwardMs = new Float64Array(INITIAL_SLOTS);
  owdReverseMs = new Float64Array(INITIAL_SLOTS);

  /** The slot of the open probe with sequence number `seq`, or -1. */
  find(seq: number): number {
    const slot = seq & this.mask;
    const serial = this.serial[slot] as number;
    return serial !== FREE && serial % TWO_32 === seq ? slot : -1;
  }

  /** The slot for a new probe with serial number `serial`, growing the ring if it is taken. */
  claim(serial: number): number {
    while (this.serial[serial & this.mask] !== FREE) this.grow();
    return serial & this.mask;
  }

  private grow(): void {
    const old = { ...this };
    for (let size = (this.mask + 1) * 2; ; size *= 2) {
      this.allocate(size);
      if (this.rehash(old)) return;
    }
  }

  private allocate(size: number): void {
    this.mask = size - 1;
    this.serial = new Float64Array(size).fill(FREE);
    this.t1S = new Float64Array(size);
    this.t1Ns = new Float64Array(size);
    this.intervalStartMs = new Float64Array(size);
    this.replies = new Uint32Array(size);
    this.rttMs = new Float64Array(size);
    this.owdForwardMs = new Float64Array(size);
    this.owdReverseMs = new Float64Array(size);
  }

  /** Moves every open probe of `old` into this ring; false if two of them want the same slot. */
  private rehash(old: Omit<ProbeRing, 'find' | 'claim'>): boolean {
    for (let from = 0; from <= old.mask; from++) {
      const serial = old.serial[from] as number;
      if (serial === FREE) continue;
      const to = serial & this.mask;
      if (this.serial[to] !== FREE) return false;
      this.serial[to] = serial;
      this.t1S[to] = old.t1S[from] as number;
      this.t1Ns[to] = old.t1Ns[from] as number;
      this.intervalStartMs[to] = old.intervalStartMs[from] as number;
      this.replies[to] = old.replies[from] as number;
      this.rttMs[to] = old.rttMs[from] as number;
      this.owdForwardMs[to] = old.owdForwardMs[from] as number;
      this.owdReverseMs[to] = old.owdReverseMs[from] as number;
    }
    return true;
  }
}

export class StampSession {
  private serial = 0;
  private highestReceivedSerial = -1;
  private readonly ring = new ProbeRing();
  private readonly intervals = new Map<number, IntervalAcc>();
  /**
   * The interval the last probe went into: nearly every probe and reply is in it, and a Map lookup
   * by a non-small-integer key (epoch ms) hashes a heap number. Cleared when it is finalised.
   */
  private current: IntervalAcc | undefined;
  readonly counters: StampSessionCounters = {
    probesSent: 0,
    repliesReceived: 0,
    duplicates: 0,
    lateReplies: 0,
    unmatchedReplies: 0,
    mismatchedReplies: 0,
    badTurnaround: 0,
  };

  /** lossTimeoutMs in ns, computed once rather than for every reply. */
  private readonly lossTimeoutNs: number;
  /** What onSent and onReply convert their bigint times into. */
  private readonly scratch = emptyReplySplit();
  /** What onReply returns, rewritten by every call rather than allocated per reply. */
  private readonly observation: { -readonly [K in keyof ReplyObservation]: ReplyObservation[K] } = {
    outcome: 'unmatched',
    seq: 0,
  };

  constructor(
    readonly labels: StampSessionLabels,
    private readonly timing: StampSessionTiming,
  ) {
    this.lossTimeoutNs = timing.lossTimeoutMs * 1_000_000;
  }

  /** Sequence number for the next probe (RFC 8762: starts at 0, +1 per packet, wraps at 2^32). */
  nextSeq(): number {
    return this.serial % TWO_32;
  }

  /** The start of the interval the split time `s`, `ns` falls in, epoch ms. */
  intervalStartOf(s: number, ns: number): number {
    const ms = s * 1000 + Math.floor(ns / 1_000_000);
    return Math.floor(ms / this.timing.intervalMs) * this.timing.intervalMs;
  }

  /** Records a probe sent with sequence `seq` at T1 = `t1Ns` (the value written in the packet). */
  onSent(seq: number, t1Ns: bigint): number {
    const t = this.scratch.times;
    splitNs(t1Ns, t, REPLY_T1);
    return this.onSentSplit(seq, t[REPLY_T1] as number, t[REPLY_T1 + 1] as number);
  }

  /**
   * onSent with T1 as a split time, exactly as the reflector will echo it (read back from the
   * packet: the wire's resolution), so that replies match it exactly. Returns the interval's start.
   */
  onSentSplit(seq: number, t1S: number, t1Ns: number): number {
    const startMs = this.intervalStartOf(t1S, t1Ns);
    const serial = this.serial++;
    let acc = this.current?.startMs === startMs ? this.current : this.intervals.get(startMs);
    if (!acc) {
      acc = {
        startMs,
        sent: 0,
        firstSeq: seq,
        lastSeq: seq,
        firstSerial: serial,
        lastSerial: serial,
        received: 0,
        duplicates: 0,
        reordered: 0,
        late: 0,
        allSynced: true,
        maxClockErrorMs: 0,
      };
      this.intervals.set(startMs, acc);
    }
    this.current = acc;
    acc.sent++;
    acc.lastSeq = seq;
    acc.lastSerial = serial;
    const ring = this.ring;
    const slot = ring.claim(serial);
    ring.serial[slot] = serial;
    ring.t1S[slot] = t1S;
    ring.t1Ns[slot] = t1Ns;
    ring.intervalStartMs[slot] = startMs;
    ring.replies[slot] = 0;
    this.counters.probesSent++;
    return startMs;
  }

  /**
   * Classifies a decoded reply that arrived at T4 = `t4Ns` and updates its interval. The object
   * returned is the session's own and the next call rewrites it: copy it to keep it.
   */
  onReply(reply: ReflectorPacket, t4Ns: bigint): ReplyObservation {
    const r = this.scratch;
    r.senderSeq = reply.senderSeq;
    r.errorEstimate = reply.errorEstimate;
    r.senderErrorEstimate = reply.senderErrorEstimate;
    splitNs(reply.senderTimestampNs, r.times, REPLY_T1);
    splitNs(reply.receiveTimestampNs, r.times, REPLY_T2);
    splitNs(reply.timestampNs, r.times, REPLY_T3);
    splitNs(t4Ns, r.times, REPLY_T4);
    return this.onReplySplit(r);
  }

  /**
   * onReply for a reply decoded by readReplySplit, with T4 in its times: the same rules, in exact
   * integer nanoseconds held in numbers (differences below 2^53 ns, 104 days, are exact).
   */
  onReplySplit(reply: ReplySplit): ReplyObservation {
    const seq = reply.senderSeq;
    const t = reply.times;
    const ring = this.ring;
    const slot = ring.find(seq);
    if (slot < 0) {
      const stale = splitDiffNs(t, REPLY_T4, REPLY_T1) > this.lossTimeoutNs;
      if (stale) this.counters.lateReplies++;
      else this.counters.unmatchedReplies++;
      return this.observe(stale ? 'late' : 'unmatched', seq);
    }
    if (t[REPLY_T1] !== ring.t1S[slot] || t[REPLY_T1 + 1] !== ring.t1Ns[slot]) {
      this.counters.mismatchedReplies++;
      return this.observe('mismatch', seq);
    }
    const startMs = ring.intervalStartMs[slot] as number;
    const acc = this.current?.startMs === startMs ? this.current : this.intervals.get(startMs);
    if (!acc) throw new Error(`STAMP session ${this.labels.linkId}: probe ${seq} has no open interval`);
    const roundTripNs = splitDiffNs(t, REPLY_T4, REPLY_T1);
    if (roundTripNs > this.lossTimeoutNs) {
      acc.late++;
      this.counters.lateReplies++;
      return this.observe('late', seq);
    }
    const turnaroundNs = splitDiffNs(t, REPLY_T3, REPLY_T2);
    if (turnaroundNs < 0 || turnaroundNs > roundTripNs) {
      this.counters.badTurnaround++;
      return this.observe('bad-turnaround', seq);
    }
    const rttMs = (roundTripNs - turnaroundNs) / 1e6;
    const owdForwardMs = splitDiffNs(t, REPLY_T2, REPLY_T1) / 1e6;
    const owdReverseMs = splitDiffNs(t, REPLY_T4, REPLY_T3) / 1e6;
    const clockErrorMs =
      (errorEstimateSeconds(reply.senderErrorEstimate) + errorEstimateSeconds(reply.errorEstimate)) * 1000;
    const clockSynced =
      reply.senderErrorEstimate.synced && reply.errorEstimate.synced && clockErrorMs <= this.timing.maxClockErrorMs;
    const replies = (ring.replies[slot] as number) + 1;
    ring.replies[slot] = replies;
    if (replies > 1) {
      acc.duplicates++;
      this.counters.duplicates++;
      return this.observe('duplicate', seq, rttMs, owdForwardMs, owdReverseMs, clockSynced);
    }
    this.counters.repliesReceived++;
    const serial = ring.serial[slot] as number;
    if (serial < this.highestReceivedSerial) acc.reordered++;
    else this.highestReceivedSerial = serial;
    ring.rttMs[slot] = rttMs;
    ring.owdForwardMs[slot] = owdForwardMs;
    ring.owdReverseMs[slot] = owdReverseMs;
    acc.received++;
    acc.allSynced &&= clockSynced;
    acc.maxClockErrorMs = Math.max(acc.maxClockErrorMs, clockErrorMs);
    return this.observe('received', seq, rttMs, owdForwardMs, owdReverseMs, clockSynced);
  }

  private observe(
    outcome: ReplyOutcome,
    seq: number,
    rttMs?: number,
    owdForwardMs?: number,
    owdReverseMs?: number,
    clockSynced?: boolean,
  ): ReplyObservation {
    const o = this.observation;
    o.outcome = outcome;
    o.seq = seq;
    o.rttMs = rttMs;
    o.owdForwardMs = owdForwardMs;
    o.owdReverseMs = owdReverseMs;
    o.clockSynced = clockSynced;
    return o;
  }

  /** Start times of intervals with probes not yet reported, oldest first. */
  openIntervals(): number[] {
    return [...this.intervals.keys()].sort((a, b) => a - b);
  }

  /** Closes an interval: forgets its probes and returns its report (undefined if it had none). */
  finalize(intervalStartMs: number): StampReport | undefined {
    const acc = this.intervals.get(intervalStartMs);
    if (!acc) return undefined;
    this.intervals.delete(intervalStartMs);
    if (this.current === acc) this.current = undefined;
    // The interval's samples in sequence order (jitter is defined over consecutive probes), and
    // its probes' slots freed on the way.
    const ring = this.ring;
    const rtts = new Float64Array(acc.received);
    const owdForward = new Float64Array(acc.received);
    const owdReverse = new Float64Array(acc.received);
    let n = 0;
    for (let serial = acc.firstSerial; serial <= acc.lastSerial; serial++) {
      const slot = serial & ring.mask;
      if (ring.serial[slot] !== serial || ring.intervalStartMs[slot] !== intervalStartMs) continue;
      ring.serial[slot] = FREE;
      if (ring.replies[slot] === 0) continue;
      rtts[n] = ring.rttMs[slot] as number;
      owdForward[n] = ring.owdForwardMs[slot] as number;
      owdReverse[n] = ring.owdReverseMs[slot] as number;
      n++;
    }
    return {
      row: this.rowOf(acc, rtts, owdForward, owdReverse),
      linkId: this.labels.linkId,
      intervalStartMs,
      intervalMs: this.timing.intervalMs,
      firstSeq: acc.firstSeq,
      lastSeq: acc.lastSeq,
      lateReplies: acc.late,
    };
  }

  /** The interval's row, from its counters and its samples in sequence order. */
  private rowOf(
    acc: IntervalAcc,
    rtts: Float64Array,
    owdForward: Float64Array,
    owdReverse: Float64Array,
  ): LinkSampleRow {
    const received = rtts.length;
    const row: LinkSampleRow = {
      ts: acc.startMs,
      source: STAMP_SOURCE,
      [LABEL.link_id]: this.labels.linkId,
      [LABEL.region_from]: this.labels.regionFrom,
      [LABEL.region_to]: this.labels.regionTo,
      [LABEL.host]: this.labels.host,
      [LABEL.lane]: 0,
      [LABEL.method]: STAMP_METHOD,
      [COLUMN.probes_sent]: acc.sent,
      [COLUMN.probes_received]: received,
      [COLUMN.loss_pct]: ((acc.sent - received) / acc.sent) * 100,
      [COLUMN.duplicates]: acc.duplicates,
      [COLUMN.reordered]: acc.reordered,
    };
    // With no reply at all there is nothing to say about delay or about the far end's clock.
    if (received === 0) return row;
    const jitter = meanAbsoluteSuccessiveDifference(rtts);
    // A typed array sorts numerically, in place: the sequence order is not needed past jitter.
    const sorted = rtts.sort();
    row[COLUMN.rtt_min] = sorted[0];
    row[COLUMN.rtt_max] = sorted[sorted.length - 1];
    row[COLUMN.rtt_avg] = mean(sorted);
    row[COLUMN.rtt_p50] = percentile(sorted, 50);
    row[COLUMN.rtt_p99] = percentile(sorted, 99);
    if (jitter !== undefined) row[COLUMN.jitter] = jitter;
    row[COLUMN.clock_synced] = acc.allSynced ? 1 : 0;
    row[COLUMN.clock_error] = acc.maxClockErrorMs;
    if (acc.allSynced) {
      row[COLUMN.owd_forward] = percentile(owdForward.sort(), 50);
      row[COLUMN.owd_reverse] = percentile(owdReverse.sort(), 50);
    }
    return row;
  }
}
