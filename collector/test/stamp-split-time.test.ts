/**
 * The BigInt-free ("split": whole Unix seconds and nanoseconds) timestamp paths the sender and the
 * reflector use per packet must put the same bits on the wire, and read the same values, as the
 * bigint functions the RFC 8762 format tests check (stamp-packet.test.ts).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSplitWallClock, createWallClock, splitWallClockOf } from '../src/stamp/clock.js';
import {
  emptyReflectorPacket,
  emptyReplySplit,
  encodeReflectorPacket,
  encodeSenderPacket,
  errorEstimateFromSeconds,
  encodeErrorEstimate,
  fillReflectorReply,
  fillReflectorReplySplit,
  fillSenderPacket,
  fillSenderPacketSplit,
  readNtpTimestamp,
  readPtpTimestamp,
  readReflectorPacket,
  readReplySplit,
  readTimestampSplit,
  REPLY_T1,
  REPLY_T2,
  REPLY_T3,
  splitDiffNs,
  splitNs,
  writeNtpTimestamp,
  writePtpTimestamp,
  writeTimestampSplit,
} from '../src/stamp/packet.js';

const NS = 1_000_000_000n;
// Late 2026, and instants around the fraction's and the NTP era's edges.
const T = 1_795_568_400_123_456_789n;
const TIMES = [
  0n,
  1n,
  T,
  T + 1n,
  T - (T % NS) + 999_999_999n,
  T - (T % NS),
  2_085_978_495n * NS + 999_999_999n, // just before the NTP era wraps (2036-02-07)
  2_085_978_496n * NS + 7n, // just after
  NS * 2_000_000_000n + 123n,
];
const split = (t: bigint): Float64Array => {
  const out = new Float64Array(2);
  splitNs(t, out, 0);
  return out;
};
const synced = errorEstimateFromSeconds(0.0001, true);

describe('split timestamps', () => {
  it('splits bigint ns into whole seconds and ns, floored before 1970 too', () => {
    expect([...split(T)]).toEqual([1_795_568_400, 123_456_789]);
    expect([...split(-1n)]).toEqual([-1, 999_999_999]);
    const t = new Float64Array(4);
    splitNs(T, t, 0);
    splitNs(T + 2_500_000_001n, t, 2);
    expect(splitDiffNs(t, 2, 0)).toBe(2_500_000_001);
    expect(splitDiffNs(t, 0, 2)).toBe(-2_500_000_001);
  });

  it('writes the same NTP and PTP octets as the bigint writers', () => {
    for (const t of TIMES) {
      const [s, ns] = split(t) as unknown as [number, number];
      const a = Buffer.alloc(8);
      const b = Buffer.alloc(8);
      writeNtpTimestamp(a, 0, t);
      writeTimestampSplit(b, 0, s, ns, false);
      expect(b.toString('hex'), `NTP ${t}`).toBe(a.toString('hex'));
      writePtpTimestamp(a, 0, t);
      writeTimestampSplit(b, 0, s, ns, true);
      expect(b.toString('hex'), `PTP ${t}`).toBe(a.toString('hex'));
    }
  });

  it('reads the values the bigint readers read, including fractions that round up to the next second', () => {
    const buf = Buffer.alloc(8);
    const out = new Float64Array(2);
    for (const seconds of [0x83aa_7e80, 0x0000_0001, 0xffff_ffff])
      for (const fraction of [0, 1, 2, 0x8000_0000, 0xffff_fffe, 0xffff_ffff, 0x1234_5678]) {
        buf.writeUInt32BE(seconds, 0);
        buf.writeUInt32BE(fraction, 4);
        readTimestampSplit(buf, 0, false, out, 0);
        expect([...out], `NTP ${seconds}.${fraction}`).toEqual([...split(readNtpTimestamp(buf, 0))]);
        readTimestampSplit(buf, 0, true, out, 0);
        expect(BigInt(out[0]!) * NS + BigInt(out[1]!), `PTP ${seconds}.${fraction}`).toBe(readPtpTimestamp(buf, 0));
      }
  });

  it('fills probes and replies octet for octet as the bigint fillers', () => {
    const encoded = encodeErrorEstimate(synced);
    const a = Buffer.alloc(44);
    const b = Buffer.alloc(44);
    fillSenderPacket(a, 7, T, synced, 3, encoded);
    fillSenderPacketSplit(b, 7, 1_795_568_400, 123_456_789, synced, 3, encoded);
    expect(b.toString('hex')).toBe(a.toString('hex'));
    expect(() => fillSenderPacketSplit(b, -1, 0, 0, synced, 0, encoded)).toThrow(/^seq must be/);
    expect(() => fillSenderPacketSplit(b, 0, 0, 0, synced, 70_000, encoded)).toThrow(/^ssid must be/);

    const request = encodeSenderPacket({ seq: 9, timestampNs: T, errorEstimate: synced, ssid: 4 }, 60);
    const ra = Buffer.alloc(60);
    const rb = Buffer.alloc(60);
    const times = new Float64Array(4);
    splitNs(T + 10_000_123n, times, 0);
    splitNs(T + 10_050_456n, times, 2);
    fillReflectorReply(ra, request, T + 10_000_123n, T + 10_050_456n, synced, encoded);
    fillReflectorReplySplit(rb, request, times, 0, 2, synced, encoded);
    expect(rb.toString('hex')).toBe(ra.toString('hex'));
  });

  it('decodes a reply to the values readReflectorPacket gives, and refuses what it refuses', () => {
    const reply = encodeReflectorPacket({
      seq: 5,
      timestampNs: T + 20_000_777n,
      errorEstimate: synced,
      ssid: 1,
      receiveTimestampNs: T + 10_000_001n,
      senderSeq: 5,
      senderTimestampNs: T,
      senderErrorEstimate: synced,
      senderTtl: 0,
    });
    const full = emptyReflectorPacket();
    expect(readReflectorPacket(reply, full)).toBeUndefined();
    const r = emptyReplySplit();
    expect(readReplySplit(reply, r)).toBeUndefined();
    expect(r).toMatchObject({ senderSeq: 5, errorEstimate: full.errorEstimate, senderErrorEstimate: synced });
    expect([...r.times.subarray(REPLY_T1, REPLY_T1 + 2)]).toEqual([...split(full.senderTimestampNs)]);
    expect([...r.times.subarray(REPLY_T2, REPLY_T2 + 2)]).toEqual([...split(full.receiveTimestampNs)]);
    expect([...r.times.subarray(REPLY_T3, REPLY_T3 + 2)]).toEqual([...split(full.timestampNs)]);

    const bad = (mutate: (b: Buffer) => void): Buffer => {
      const b = Buffer.from(reply);
      mutate(b);
      return b;
    };
    for (const buf of [
      reply.subarray(0, 43),
      Buffer.concat([reply, Buffer.alloc(1500)]),
      bad((b) => (b[41] = 1)),
      bad((b) => b.writeUInt16BE(0x8000, 12)),
      bad((b) => b.writeUInt16BE(0x8000, 36)),
    ]) {
      const expected = readReflectorPacket(buf, emptyReflectorPacket());
      expect(expected).toBeDefined();
      expect(readReplySplit(buf, emptyReplySplit())).toBe(expected);
    }
  });
});

describe('createSplitWallClock', () => {
  afterEach(() => vi.restoreAllMocks());

  it('reads the wall clock as seconds and ns, finer than a millisecond, never going back', () => {
    const now = createSplitWallClock();
    const out = new Float64Array(2);
    now(out, 0);
    // Epoch time (loose: a loaded machine may pause us between the reads).
    expect(Math.abs(out[0]! * 1000 + out[1]! / 1e6 - Date.now())).toBeLessThanOrEqual(50);
    let previous = out[0]! * 1e9 + out[1]!;
    const subMs = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      now(out, 0);
      expect(Number.isInteger(out[0]) && Number.isInteger(out[1])).toBe(true);
      expect(out[1]).toBeGreaterThanOrEqual(0);
      expect(out[1]).toBeLessThan(1e9);
      const t = out[0]! * 1e9 + out[1]!;
      expect(t).toBeGreaterThanOrEqual(previous);
      subMs.add(out[1]! % 1_000_000);
      previous = t;
    }
    expect(subMs.size).toBeGreaterThan(100);
  });

  it('follows a stepped system clock within 64 reads, as createWallClock does', () => {
    const now = createSplitWallClock();
    const out = new Float64Array(2);
    const stepped = Date.now() + 3_600_000.25;
    vi.spyOn(Date, 'now').mockReturnValue(Math.floor(stepped));
    for (let i = 0; i < 64; i++) now(out, 0);
    now(out, 0);
    expect(Math.abs(out[0]! * 1000 + out[1]! / 1e6 - stepped)).toBeLessThan(50);
  });

  it('reads a bigint WallClock as a split time (tests share one between both ends)', () => {
    const out = new Float64Array(2);
    splitWallClockOf(() => T)(out, 0);
    expect([...out]).toEqual([1_795_568_400, 123_456_789]);
    const shared = createWallClock();
    splitWallClockOf(shared)(out, 0);
    expect(Math.abs(out[0]! * 1000 - Date.now())).toBeLessThanOrEqual(1050);
  });
});
