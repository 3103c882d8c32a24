/**
 * The bookkeeping of one Session-Sender → Session-Reflector session, free of sockets and timers so
 * that its rules can be tested exactly. Times are passed in (bigint ns since the Unix epoch).
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
import { errorEstimateSeconds, type ReflectorPacket } from './packet.js';
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

interface Probe {
  readonly seq: number;
  /** Monotonic probe number (does not wrap at 2^32, unlike seq). */
  readonly serial: number;
  readonly t1Ns: bigint;
  readonly intervalStartMs: number;
  replies: number;
}

interface Sample {
  readonly serial: number;
  readonly rttMs: number;
  readonly owdForwardMs: number;
  readonly owdReverseMs: number;
}

interface IntervalAcc {
  readonly startMs: number;
  sent: number;
  firstSeq: number;
  lastSeq: number;
  duplicates: number;
  reordered: number;
  late: number;
  readonly samples: Sample[];
  allSynced: boolean;
  maxClockErrorMs: number;
  readonly probes: Probe[];
}

const NS_PER_MS = 1_000_000n;
const nsToMs = (ns: bigint): number => Number(ns) / 1e6;

export class StampSession {
  private serial = 0;
  private highestReceivedSerial = -1;
  private readonly pending = new Map<number, Probe>();
  private readonly intervals = new Map<number, IntervalAcc>();
  readonly counters: StampSessionCounters = {
    probesSent: 0,
    repliesReceived: 0,
    duplicates: 0,
    lateReplies: 0,
    unmatchedReplies: 0,
    mismatchedReplies: 0,
    badTurnaround: 0,
  };

  /** lossTimeoutMs as bigint ns, computed once rather than for every reply. */
  private readonly lossTimeoutNs: bigint;

  constructor(
    readonly labels: StampSessionLabels,
    private readonly timing: StampSessionTiming,
  ) {
    this.lossTimeoutNs = BigInt(timing.lossTimeoutMs) * NS_PER_MS;
  }

  /** Sequence number for the next probe (RFC 8762: starts at 0, +1 per packet, wraps at 2^32). */
  nextSeq(): number {
    return this.serial % 0x1_0000_0000;
  }

  intervalStartOf(tNs: bigint): number {
    const ms = Number(tNs / NS_PER_MS);
    return Math.floor(ms / this.timing.intervalMs) * this.timing.intervalMs;
  }

  /** Records a probe sent with sequence `seq` at T1 = `t1Ns` (the value written in the packet). */
  onSent(seq: number, t1Ns: bigint): number {
    const startMs = this.intervalStartOf(t1Ns);
    const probe: Probe = { seq, serial: this.serial++, t1Ns, intervalStartMs: startMs, replies: 0 };
    let acc = this.intervals.get(startMs);
    if (!acc) {
      acc = {
        startMs,
        sent: 0,
        firstSeq: seq,
        lastSeq: seq,
        duplicates: 0,
        reordered: 0,
        late: 0,
        samples: [],
        allSynced: true,
        maxClockErrorMs: 0,
        probes: [],
      };
      this.intervals.set(startMs, acc);
    }
    acc.sent++;
    acc.lastSeq = seq;
    acc.probes.push(probe);
    this.pending.set(seq, probe);
    this.counters.probesSent++;
    return startMs;
  }

  /** Classifies a decoded reply that arrived at T4 = `t4Ns` and updates its interval. */
  onReply(reply: ReflectorPacket, t4Ns: bigint): ReplyObservation {
    const seq = reply.senderSeq;
    const probe = this.pending.get(seq);
    if (!probe) {
      const stale = t4Ns - reply.senderTimestampNs > this.lossTimeoutNs;
      if (stale) this.counters.lateReplies++;
      else this.counters.unmatchedReplies++;
      return { outcome: stale ? 'late' : 'unmatched', seq };
    }
    if (reply.senderTimestampNs !== probe.t1Ns) {
      this.counters.mismatchedReplies++;
      return { outcome: 'mismatch', seq };
    }
    const acc = this.intervals.get(probe.intervalStartMs);
    if (!acc) throw new Error(`STAMP session ${this.labels.linkId}: probe ${seq} has no open interval`);
    const roundTripNs = t4Ns - probe.t1Ns;
    if (roundTripNs > this.lossTimeoutNs) {
      acc.late++;
      this.counters.lateReplies++;
      return { outcome: 'late', seq };
    }
    const turnaroundNs = reply.timestampNs - reply.receiveTimestampNs;
    if (turnaroundNs < 0n || turnaroundNs > roundTripNs) {
      this.counters.badTurnaround++;
      return { outcome: 'bad-turnaround', seq };
    }
    const rttMs = nsToMs(roundTripNs - turnaroundNs);
    const owdForwardMs = nsToMs(reply.receiveTimestampNs - probe.t1Ns);
    const owdReverseMs = nsToMs(t4Ns - reply.timestampNs);
    const clockErrorMs =
      (errorEstimateSeconds(reply.senderErrorEstimate) + errorEstimateSeconds(reply.errorEstimate)) * 1000;
    const clockSynced =
      reply.senderErrorEstimate.synced && reply.errorEstimate.synced && clockErrorMs <= this.timing.maxClockErrorMs;
    probe.replies++;
    if (probe.replies > 1) {
      acc.duplicates++;
      this.counters.duplicates++;
      return { outcome: 'duplicate', seq, rttMs, owdForwardMs, owdReverseMs, clockSynced };
    }
    this.counters.repliesReceived++;
    if (probe.serial < this.highestReceivedSerial) acc.reordered++;
    else this.highestReceivedSerial = probe.serial;
    acc.samples.push({ serial: probe.serial, rttMs, owdForwardMs, owdReverseMs });
    acc.allSynced &&= clockSynced;
    acc.maxClockErrorMs = Math.max(acc.maxClockErrorMs, clockErrorMs);
    return { outcome: 'received', seq, rttMs, owdForwardMs, owdReverseMs, clockSynced };
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
    for (const probe of acc.probes) if (this.pending.get(probe.seq) === probe) this.pending.delete(probe.seq);
    return {
      row: this.rowOf(acc),
      linkId: this.labels.linkId,
      intervalStartMs,
      intervalMs: this.timing.intervalMs,
      firstSeq: acc.firstSeq,
      lastSeq: acc.lastSeq,
      lateReplies: acc.late,
    };
  }

  private rowOf(acc: IntervalAcc): LinkSampleRow {
    const received = acc.samples.length;
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
    const inSeqOrder = [...acc.samples].sort((a, b) => a.serial - b.serial);
    const rtts = inSeqOrder.map((s) => s.rttMs);
    const sorted = [...rtts].sort((a, b) => a - b);
    row[COLUMN.rtt_min] = sorted[0];
    row[COLUMN.rtt_max] = sorted[sorted.length - 1];
    row[COLUMN.rtt_avg] = mean(sorted);
    row[COLUMN.rtt_p50] = percentile(sorted, 50);
    row[COLUMN.rtt_p99] = percentile(sorted, 99);
    const jitter = meanAbsoluteSuccessiveDifference(rtts);
    if (jitter !== undefined) row[COLUMN.jitter] = jitter;
    row[COLUMN.clock_synced] = acc.allSynced ? 1 : 0;
    row[COLUMN.clock_error] = acc.maxClockErrorMs;
    if (acc.allSynced) {
      row[COLUMN.owd_forward] = percentile(
        inSeqOrder.map((s) => s.owdForwardMs).sort((a, b) => a - b),
        50,
      );
      row[COLUMN.owd_reverse] = percentile(
        inSeqOrder.map((s) => s.owdReverseMs).sort((a, b) => a - b),
        50,
      );
    }
    return row;
  }
}
