/**
 * The Session-Sender's counting rules (session.ts), driven with exact timestamps: no sockets, no
 * timers, so each rule is checked to the nanosecond.
 */
import { describe, expect, it } from 'vitest';
import { errorEstimateFromSeconds, type ReflectorPacket } from '../src/stamp/index.js';
import { StampSession } from '../src/stamp/session.js';
import { mean, meanAbsoluteSuccessiveDifference, percentile } from '../src/stamp/stats.js';

const MS = 1_000_000n;
const T0 = 1_795_568_400_000n * MS; // an interval boundary for 1 s intervals
const labels = { linkId: 'eu-west->us-east', regionFrom: 'eu-west', regionTo: 'us-east', host: 'gpu-eu-01' };
const timing = { intervalMs: 1000, lossTimeoutMs: 500, maxClockErrorMs: 1 };
const syncedEE = errorEstimateFromSeconds(0.0001, true); // 0.1 ms each end
const unsyncedEE = errorEstimateFromSeconds(0.0001, false);

/** A reply to a probe sent at t1, with forward and reverse delays and a reflector turnaround. */
function reply(
  seq: number,
  t1: bigint,
  fwd: bigint,
  turnaround: bigint,
  opts: { reflectorEE?: typeof syncedEE; senderEE?: typeof syncedEE } = {},
): ReflectorPacket {
  return {
    seq,
    timestampNs: t1 + fwd + turnaround,
    errorEstimate: opts.reflectorEE ?? syncedEE,
    ssid: 0,
    receiveTimestampNs: t1 + fwd,
    senderSeq: seq,
    senderTimestampNs: t1,
    senderErrorEstimate: opts.senderEE ?? syncedEE,
    senderTtl: 0,
  };
}

describe('StampSession', () => {
  it('turns one interval of probes into a link row, applying every rule exactly', () => {
    const s = new StampSession(labels, timing);
    const t1 = (i: number): bigint => T0 + BigInt(i) * 100n * MS; // probes 0..9 at 100 ms spacing
    for (let i = 0; i < 10; i++) expect(s.onSent(s.nextSeq(), t1(i))).toBe(Number(T0 / MS));
    // seq 0: 10 ms out, 0.05 ms turnaround, 12 ms back -> RTT 22 ms.
    expect(s.onReply(reply(0, t1(0), 10n * MS, 50_000n), t1(0) + 22n * MS + 50_000n)).toMatchObject({
      outcome: 'received',
      rttMs: 22,
      owdForwardMs: 10,
      owdReverseMs: 12,
      clockSynced: true,
    });
    // seq 1 answered twice: the second copy is a duplicate.
    const r1 = reply(1, t1(1), 9n * MS, 0n);
    expect(s.onReply(r1, t1(1) + 20n * MS).outcome).toBe('received');
    expect(s.onReply(r1, t1(1) + 21n * MS).outcome).toBe('duplicate');
    // seq 3 arrives before seq 2: seq 2 is reordered.
    expect(s.onReply(reply(3, t1(3), 10n * MS, 0n), t1(3) + 21n * MS).outcome).toBe('received');
    expect(s.onReply(reply(2, t1(2), 10n * MS, 0n), t1(3) + 22n * MS)).toMatchObject({
      outcome: 'received',
      rttMs: 122,
    });
    // seq 4 comes back after the 500 ms loss timeout: late, so lost.
    expect(s.onReply(reply(4, t1(4), 10n * MS, 0n), t1(4) + 500n * MS + 1n).outcome).toBe('late');
    // seq 5's echoed T1 is not the one sent: refused.
    expect(s.onReply(reply(5, t1(5) + 1n, 10n * MS, 0n), t1(5) + 20n * MS).outcome).toBe('mismatch');
    // seq 6: the reflector claims it sent before it received.
    const bad = { ...reply(6, t1(6), 10n * MS, 0n), timestampNs: t1(6) + 5n * MS };
    expect(s.onReply(bad, t1(6) + 20n * MS).outcome).toBe('bad-turnaround');
    // seq 7..9: no reply at all.
    expect(s.onReply(reply(42, T0, 10n * MS, 0n), T0 + 20n * MS).outcome).toBe('unmatched');

    const report = s.finalize(Number(T0 / MS));
    if (!report) throw new Error('no report');
    expect(report).toMatchObject({
      linkId: 'eu-west->us-east',
      intervalStartMs: Number(T0 / MS),
      intervalMs: 1000,
      firstSeq: 0,
      lastSeq: 9,
      lateReplies: 1,
    });
    const rtts = [22, 20, 21, 122]; // in sequence order: seq 0, 1, 2 (122 ms: it waited), 3
    const sorted = [...rtts].sort((a, b) => a - b);
    expect(report.row).toEqual({
      ts: Number(T0 / MS),
      source: 'stamp',
      link_id: 'eu-west->us-east',
      region_from: 'eu-west',
      region_to: 'us-east',
      host: 'gpu-eu-01',
      lane: 0,
      method: 'stamp',
      probes_sent: 10,
      probes_received: 4,
      loss_pct: 60,
      duplicates: 1,
      reordered: 1,
      rtt_min: 20,
      rtt_max: 122,
      rtt_avg: mean(rtts),
      rtt_p50: 21,
      rtt_p99: 122,
      jitter: meanAbsoluteSuccessiveDifference([22, 20, 122, 21]),
      clock_synced: 1,
      clock_error: expect.closeTo(0.2, 2),
      owd_forward: percentile([9, 10, 10, 10], 50),
      owd_reverse: percentile(
        [12, 11, 11, 112].sort((a, b) => a - b),
        50,
      ),
    });
    expect(sorted[0]).toBe(20);
    expect(report.row.jitter).toBeCloseTo((2 + 102 + 101) / 3, 9);
    // A reply after the interval closed changes nothing and is tallied as late.
    expect(s.onReply(reply(7, t1(7), 10n * MS, 0n), t1(7) + 900n * MS).outcome).toBe('late');
    expect(s.counters).toEqual({
      probesSent: 10,
      repliesReceived: 4,
      duplicates: 1,
      lateReplies: 2,
      unmatchedReplies: 1,
      mismatchedReplies: 1,
      badTurnaround: 1,
    });
    expect(s.finalize(Number(T0 / MS))).toBeUndefined();
  });

  it('stores no one-way delay when either end is unsynchronised', () => {
    const s = new StampSession(labels, timing);
    s.onSent(0, T0);
    s.onSent(1, T0 + 100n * MS);
    s.onReply(reply(0, T0, 10n * MS, 0n), T0 + 20n * MS);
    s.onReply(reply(1, T0 + 100n * MS, 10n * MS, 0n, { reflectorEE: unsyncedEE }), T0 + 120n * MS);
    const row = s.finalize(Number(T0 / MS))?.row;
    expect(row?.clock_synced).toBe(0);
    expect(row?.clock_error).toBeCloseTo(0.2, 2);
    expect(row).not.toHaveProperty('owd_forward');
    expect(row).not.toHaveProperty('owd_reverse');
    expect(row?.rtt_avg).toBe(20);
  });

  it('stores no one-way delay when the combined error estimate is too large', () => {
    const s = new StampSession(labels, { ...timing, maxClockErrorMs: 0.15 });
    s.onSent(0, T0);
    s.onReply(reply(0, T0, 10n * MS, 0n), T0 + 20n * MS); // 0.1 + 0.1 ms > 0.15 ms
    const row = s.finalize(Number(T0 / MS))?.row;
    expect(row?.clock_synced).toBe(0);
    expect(row).not.toHaveProperty('owd_forward');
    // The sender's own S bit counts too (it is echoed back in the Session-Sender Error Estimate).
    const s2 = new StampSession(labels, timing);
    s2.onSent(0, T0);
    s2.onReply(reply(0, T0, 10n * MS, 0n, { senderEE: unsyncedEE }), T0 + 20n * MS);
    expect(s2.finalize(Number(T0 / MS))?.row.clock_synced).toBe(0);
  });

  it('reports an interval with no reply as 100% loss and nothing else it cannot know', () => {
    const s = new StampSession(labels, timing);
    for (let i = 0; i < 3; i++) s.onSent(s.nextSeq(), T0 + BigInt(i) * MS);
    const row = s.finalize(Number(T0 / MS))?.row;
    expect(row).toMatchObject({ probes_sent: 3, probes_received: 0, loss_pct: 100, duplicates: 0, reordered: 0 });
    for (const absent of ['rtt_min', 'rtt_avg', 'rtt_p50', 'jitter', 'clock_synced', 'clock_error', 'owd_forward'])
      expect(row).not.toHaveProperty(absent);
  });
});

describe('StampSession intervals and sequence numbers', () => {
  it('assigns probes to epoch-aligned intervals by send time; a late-closing interval keeps its replies', () => {
    const s = new StampSession(labels, timing);
    const a = s.onSent(0, T0 + 999n * MS);
    const b = s.onSent(1, T0 + 1000n * MS);
    expect(a).toBe(Number(T0 / MS));
    expect(b).toBe(Number(T0 / MS) + 1000);
    expect(s.openIntervals()).toEqual([a, b]);
    // The reply to probe 0 comes in during the next interval: it still counts for the first.
    s.onReply(reply(0, T0 + 999n * MS, 10n * MS, 0n), T0 + 1020n * MS);
    expect(s.finalize(a)?.row).toMatchObject({ ts: a, probes_sent: 1, probes_received: 1, rtt_min: 21 });
    expect(s.finalize(b)?.row).toMatchObject({ ts: b, probes_sent: 1, probes_received: 0, loss_pct: 100 });
  });

  it('wraps the sequence number at 2^32 without confusing reordering', () => {
    const s = new StampSession(labels, timing);
    // Jump the internal probe counter to just below the wrap rather than send 4 billion probes.
    const internal = s as unknown as { serial: number };
    internal.serial = 0xffff_fffe;
    const seqs = [s.nextSeq()];
    s.onSent(seqs[0] as number, T0);
    seqs.push(s.nextSeq());
    s.onSent(seqs[1] as number, T0 + MS);
    seqs.push(s.nextSeq());
    s.onSent(seqs[2] as number, T0 + 2n * MS);
    expect(seqs).toEqual([0xffff_fffe, 0xffff_ffff, 0]);
    for (const [i, seq] of seqs.entries())
      s.onReply(reply(seq, T0 + BigInt(i) * MS, 5n * MS, 0n), T0 + BigInt(i) * MS + 10n * MS);
    expect(s.finalize(Number(T0 / MS))).toMatchObject({
      firstSeq: 0xffff_fffe,
      lastSeq: 0,
      row: { probes_received: 3, reordered: 0 },
    });
  });
  it('keeps every open probe when more are open than its ring first holds (1 kHz, 5 s intervals)', () => {
    // 5,000 probes in one interval and 3,000 in the next, all open at once: the probe ring starts
    // with 1,024 slots and must grow rather than overwrite a probe still waiting for its reply.
    const s = new StampSession(labels, { intervalMs: 5000, lossTimeoutMs: 500, maxClockErrorMs: 1 });
    const t1 = (i: number): bigint => T0 + BigInt(i) * MS;
    for (let i = 0; i < 8000; i++) s.onSent(s.nextSeq(), t1(i));
    // Every probe answers with an RTT of 10 ms plus (i mod 7) ms, probe 0 last (so reordered).
    const order = [...Array.from({ length: 7999 }, (_, k) => k + 1), 0];
    for (const i of order) {
      const rtt = 10n + BigInt(i % 7);
      expect(s.onReply(reply(i, t1(i), rtt * MS, 0n), t1(i) + rtt * MS).outcome).toBe('received');
    }
    const first = s.finalize(Number(T0 / MS));
    const second = s.finalize(Number(T0 / MS) + 5000);
    expect(first?.row).toMatchObject({
      probes_sent: 5000,
      probes_received: 5000,
      loss_pct: 0,
      reordered: 1,
      rtt_min: 10,
      rtt_max: 16,
    });
    expect(second?.row).toMatchObject({
      probes_sent: 3000,
      probes_received: 3000,
      loss_pct: 0,
      reordered: 0,
      rtt_min: 10,
      rtt_max: 16,
    });
    expect(first?.row.rtt_avg).toBeCloseTo(mean(Array.from({ length: 5000 }, (_, i) => 10 + (i % 7))) ?? NaN, 9);
    // In sequence order the RTTs step by 1 ms six times in seven and fall by 6 ms once.
    expect(first?.row.jitter).toBeCloseTo(
      meanAbsoluteSuccessiveDifference(Array.from({ length: 5000 }, (_, i) => 10 + (i % 7))) ?? NaN,
      9,
    );
    expect(s.counters).toMatchObject({ probesSent: 8000, repliesReceived: 8000, unmatchedReplies: 0 });
    // Their slots are free again: a reply to a reported probe finds nothing.
    expect(s.onReply(reply(42, t1(42), 10n * MS, 0n), t1(42) + 10n * MS).outcome).toBe('unmatched');
  });

  it('counts a probe in the interval of its send time when the wall clock steps back', () => {
    const s = new StampSession(labels, timing);
    const a = s.onSent(s.nextSeq(), T0 + 900n * MS);
    const b = s.onSent(s.nextSeq(), T0 + 1000n * MS);
    // chrony steps the clock back by 50 ms: the third probe belongs to the first interval again.
    expect(s.onSent(s.nextSeq(), T0 + 950n * MS)).toBe(a);
    s.onReply(reply(0, T0 + 900n * MS, 10n * MS, 0n), T0 + 920n * MS);
    s.onReply(reply(1, T0 + 1000n * MS, 10n * MS, 0n), T0 + 1030n * MS);
    s.onReply(reply(2, T0 + 950n * MS, 10n * MS, 0n), T0 + 990n * MS);
    expect(s.finalize(a)).toMatchObject({
      firstSeq: 0,
      lastSeq: 2,
      row: { probes_sent: 2, probes_received: 2, rtt_min: 20, rtt_max: 40 },
    });
    expect(s.finalize(b)).toMatchObject({
      firstSeq: 1,
      lastSeq: 1,
      row: { probes_sent: 1, probes_received: 1, rtt_min: 30 },
    });
  });
});

describe('stats', () => {
  it('uses nearest-rank percentiles', () => {
    const v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(v, 50)).toBe(5);
    expect(percentile(v, 99)).toBe(10);
    expect(percentile(v, 10)).toBe(1);
    expect(percentile([7], 50)).toBe(7);
    expect(percentile([], 50)).toBeUndefined();
    expect(() => percentile(v, 0)).toThrow(/percentile/);
  });

  it('computes mean absolute successive difference', () => {
    expect(meanAbsoluteSuccessiveDifference([1, 3, 2, 2])).toBeCloseTo((2 + 1 + 0) / 3, 12);
    expect(meanAbsoluteSuccessiveDifference([5])).toBeUndefined();
  });
});
