import { describe, expect, it } from 'vitest';
import {
  createWallClock,
  readClockStatus,
  UNSYNCED_CLOCK,
  decodeErrorEstimate,
  decodeReflectorPacket,
  decodeSenderPacket,
  encodeErrorEstimate,
  encodeReflectorPacket,
  encodeSenderPacket,
  errorEstimateFromSeconds,
  errorEstimateSeconds,
  parseChronyTracking,
  readNtpTimestamp,
  readPtpTimestamp,
  STAMP_PACKET_LENGTH,
  writeNtpTimestamp,
  writePtpTimestamp,
} from '../src/stamp/index.js';
import { emptyReflectorPacket, fillReflectorReply, readReflectorPacket } from '../src/stamp/packet.js';

// An instant in late 2026 (Unix second 1,795,568,400 plus 0.123456789 s), in ns.
const T = 1_795_568_400_123_456_789n;
const synced1us = { synced: true, ptp: false, scale: 0, multiplier: 1 } as const;

describe('NTP and PTP timestamps', () => {
  it('writes seconds since 1900 and a binary fraction', () => {
    const buf = Buffer.alloc(8);
    writeNtpTimestamp(buf, 0, 0n); // the Unix epoch
    expect(buf.readUInt32BE(0)).toBe(2_208_988_800);
    expect(buf.readUInt32BE(4)).toBe(0);
    writeNtpTimestamp(buf, 0, 500_000_000n); // half a second = 0x80000000 of fraction
    expect(buf.readUInt32BE(0)).toBe(2_208_988_800);
    expect(buf.readUInt32BE(4)).toBe(0x8000_0000);
  });

  it('round-trips to the nanosecond', () => {
    const buf = Buffer.alloc(8);
    for (const t of [T, T + 1n, T + 999_999_999n, 0n, 1_000_000_000n * 2_000_000_000n]) {
      writeNtpTimestamp(buf, 0, t);
      expect(readNtpTimestamp(buf, 0)).toBe(t);
    }
  });

  it('writes and reads the same bits whichever second it saw last (the one-second cache)', () => {
    // Alternating seconds, both sides of each second's edges and of the epoch, against the
    // arithmetic written out: seconds floored (also before 1970), fraction = floor(ns × 2^32 / 1e9).
    const buf = Buffer.alloc(8);
    const S = 1_000_000_000n;
    const times = [T, -1n, T + S, T - 1n, -S, 0n, T + 999_999_999n, -S - 1n, 1n, T, T - S + 1n];
    for (const t of times) {
      writeNtpTimestamp(buf, 0, t);
      const unixS = t >= 0n ? t / S : -((-t + S - 1n) / S);
      const rem = t - unixS * S;
      expect(buf.readUInt32BE(0)).toBe(Number(unixS) + 2_208_988_800);
      expect(buf.readUInt32BE(4)).toBe(Number((rem << 32n) / S));
      expect(readNtpTimestamp(buf, 0)).toBe(t);
    }
  });

  it('reads across the 2036 NTP era rollover', () => {
    // 2036-02-07T06:28:16Z is NTP second 2^32: the seconds field wraps to 0.
    const rollover = (4_294_967_296n - 2_208_988_800n) * 1_000_000_000n;
    const buf = Buffer.alloc(8);
    writeNtpTimestamp(buf, 0, rollover + 5_000_000_000n);
    expect(buf.readUInt32BE(0)).toBe(5);
    expect(readNtpTimestamp(buf, 0)).toBe(rollover + 5_000_000_000n);
    writeNtpTimestamp(buf, 0, rollover - 1_000_000_000n);
    expect(buf.readUInt32BE(0)).toBe(0xffff_ffff);
    expect(readNtpTimestamp(buf, 0)).toBe(rollover - 1_000_000_000n);
  });

  it('writes PTPv2 truncated timestamps as Unix seconds and nanoseconds', () => {
    const buf = Buffer.alloc(8);
    writePtpTimestamp(buf, 0, T);
    expect(buf.readUInt32BE(0)).toBe(1_795_568_400);
    expect(buf.readUInt32BE(4)).toBe(123_456_789);
    expect(readPtpTimestamp(buf, 0)).toBe(T);
  });
});

describe('Error Estimate', () => {
  it('packs S, Z, Scale and Multiplier into 16 bits', () => {
    expect(encodeErrorEstimate({ synced: true, ptp: false, scale: 0, multiplier: 1 })).toBe(0x8001);
    expect(encodeErrorEstimate({ synced: false, ptp: true, scale: 63, multiplier: 255 })).toBe(0x7fff);
    expect(encodeErrorEstimate({ synced: true, ptp: true, scale: 22, multiplier: 17 })).toBe(0xc000 | (22 << 8) | 17);
    expect(decodeErrorEstimate(0xd611)).toEqual({ synced: true, ptp: true, scale: 22, multiplier: 17 });
  });

  it('computes Multiplier × 2^(Scale−32) seconds', () => {
    expect(errorEstimateSeconds({ ...synced1us, scale: 32, multiplier: 1 })).toBe(1);
    expect(errorEstimateSeconds({ ...synced1us, scale: 22, multiplier: 1 })).toBe(2 ** -10);
  });

  it('encodes an error bound with the smallest estimate not below it', () => {
    for (const seconds of [1e-9, 1e-6, 0.0005, 0.001, 0.25, 1, 3600]) {
      const e = errorEstimateFromSeconds(seconds, true);
      const encoded = errorEstimateSeconds(e);
      expect(encoded).toBeGreaterThanOrEqual(seconds);
      expect(encoded).toBeLessThanOrEqual(seconds * (1 + 1 / 128) + 2 ** -32);
      expect(e.multiplier).toBeGreaterThan(0);
    }
    expect(errorEstimateFromSeconds(0, false)).toEqual({ synced: false, ptp: false, scale: 0, multiplier: 1 });
    expect(errorEstimateFromSeconds(1e30, false)).toEqual({ synced: false, ptp: false, scale: 63, multiplier: 255 });
    expect(() => errorEstimateFromSeconds(-1, true)).toThrow(/clock error/);
    expect(() => errorEstimateFromSeconds(Number.NaN, true)).toThrow(/clock error/);
    expect(() => encodeErrorEstimate({ synced: true, ptp: false, scale: 64, multiplier: 1 })).toThrow(/scale/);
    expect(() => encodeErrorEstimate({ synced: true, ptp: false, scale: 1, multiplier: 256 })).toThrow(/multiplier/);
  });
});

describe('Session-Sender packet', () => {
  const ee = { synced: true, ptp: false, scale: 10, multiplier: 3 };
  const packet = { seq: 0x01020304, timestampNs: T, errorEstimate: ee, ssid: 0xabcd };

  it('is 44 octets: seq@0, timestamp@4, error estimate@12, SSID@14, then 28 MBZ', () => {
    const buf = encodeSenderPacket(packet);
    expect(buf.length).toBe(STAMP_PACKET_LENGTH);
    expect(buf.subarray(0, 4).toString('hex')).toBe('01020304');
    expect(buf.readUInt32BE(4)).toBe(1_795_568_400 + 2_208_988_800);
    expect(buf.readUInt16BE(12)).toBe(0x8000 | (10 << 8) | 3);
    expect(buf.readUInt16BE(14)).toBe(0xabcd);
    expect(buf.subarray(16).every((b) => b === 0)).toBe(true);
    const decoded = decodeSenderPacket(buf);
    expect(decoded).toEqual({ ok: true, packet });
  });

  it('pads to a requested length with zeros', () => {
    const buf = encodeSenderPacket(packet, 100);
    expect(buf.length).toBe(100);
    expect(decodeSenderPacket(buf).ok).toBe(true);
    expect(() => encodeSenderPacket(packet, 43)).toThrow(/length/);
    expect(() => encodeSenderPacket({ ...packet, seq: -1 }, 44)).toThrow(/seq/);
  });

  it('refuses short, long, non-zero MBZ and zero-multiplier packets, each with its reason', () => {
    const good = encodeSenderPacket(packet);
    expect(decodeSenderPacket(good.subarray(0, 43))).toEqual({ ok: false, reason: 'too-short' });
    expect(decodeSenderPacket(Buffer.alloc(0))).toEqual({ ok: false, reason: 'too-short' });
    expect(decodeSenderPacket(encodeSenderPacket(packet, 200), { maxLength: 199 })).toEqual({
      ok: false,
      reason: 'too-long',
    });
    const mbz = Buffer.from(good);
    mbz[43] = 1;
    expect(decodeSenderPacket(mbz)).toEqual({ ok: false, reason: 'mbz-not-zero' });
    expect(decodeSenderPacket(mbz, { strictMbz: false }).ok).toBe(true);
    const zeroMultiplier = Buffer.from(good);
    zeroMultiplier.writeUInt16BE(0x8000, 12);
    expect(decodeSenderPacket(zeroMultiplier)).toEqual({ ok: false, reason: 'bad-error-estimate' });
  });
});

describe('Session-Reflector packet', () => {
  const packet = {
    seq: 7,
    timestampNs: T + 50_000n,
    errorEstimate: { synced: true, ptp: true, scale: 0, multiplier: 200 },
    ssid: 9,
    receiveTimestampNs: T + 10_000n,
    senderSeq: 7,
    senderTimestampNs: T - 9_800_000n,
    senderErrorEstimate: { synced: false, ptp: false, scale: 30, multiplier: 1 },
    senderTtl: 255,
  };

  it('lays out receive timestamp@16, sender seq@24, sender timestamp@28, sender EE@36, TTL@40', () => {
    const buf = encodeReflectorPacket(packet);
    expect(buf.length).toBe(44);
    expect(buf.readUInt32BE(0)).toBe(7);
    // Z=1: PTP format, Unix seconds and nanoseconds.
    expect(buf.readUInt32BE(4)).toBe(1_795_568_400);
    expect(buf.readUInt32BE(8)).toBe(123_506_789);
    expect(buf.readUInt16BE(12)).toBe(0xc000 | 200);
    expect(buf.readUInt16BE(14)).toBe(9);
    expect(buf.readUInt32BE(20)).toBe(123_466_789);
    expect(buf.readUInt32BE(24)).toBe(7);
    // The sender's Z=0: NTP format.
    expect(buf.readUInt32BE(28)).toBe(1_795_568_400 + 2_208_988_800);
    expect(buf.readUInt16BE(36)).toBe((30 << 8) | 1);
    expect(buf.readUInt16BE(38)).toBe(0);
    expect(buf.readUInt8(40)).toBe(255);
    expect(buf.subarray(41).every((b) => b === 0)).toBe(true);
    expect(decodeReflectorPacket(buf)).toEqual({ ok: true, packet });
  });

  it('keeps the given length and refuses malformed replies', () => {
    expect(encodeReflectorPacket(packet, 512).length).toBe(512);
    const buf = encodeReflectorPacket(packet);
    expect(decodeReflectorPacket(buf.subarray(0, 40))).toEqual({ ok: false, reason: 'too-short' });
    const mbz = Buffer.from(buf);
    mbz[39] = 1;
    expect(decodeReflectorPacket(mbz)).toEqual({ ok: false, reason: 'mbz-not-zero' });
    const zero = Buffer.from(buf);
    zero.writeUInt16BE(0x8000, 36);
    expect(decodeReflectorPacket(zero)).toEqual({ ok: false, reason: 'bad-error-estimate' });
    // The reflector's own estimate (octets 12–13) with multiplier 0 is refused the same way.
    const zeroOwn = Buffer.from(buf);
    zeroOwn.writeUInt16BE(0x8000, 12);
    expect(decodeReflectorPacket(zeroOwn)).toEqual({ ok: false, reason: 'bad-error-estimate' });
  });

  it('fillReflectorReply writes, into a reused buffer, what encodeReflectorPacket encodes', () => {
    const request = encodeSenderPacket(
      { seq: 7, timestampNs: packet.senderTimestampNs, errorEstimate: packet.senderErrorEstimate, ssid: 9 },
      64,
    );
    const expected = encodeReflectorPacket({ ...packet, senderTtl: 0 }, 64);
    const reply = Buffer.alloc(64);
    const ee = packet.errorEstimate;
    fillReflectorReply(reply, request, packet.receiveTimestampNs, packet.timestampNs, ee, encodeErrorEstimate(ee));
    expect(reply.equals(expected)).toBe(true);
    // Reused for the next request: every field is rewritten, the padding stays zero.
    const next = encodeSenderPacket({ seq: 8, timestampNs: T, errorEstimate: synced1us, ssid: 0 }, 64);
    fillReflectorReply(reply, next, T + 1n, T + 2n, ee, encodeErrorEstimate(ee));
    const again = encodeReflectorPacket(
      {
        ...packet,
        seq: 8,
        ssid: 0,
        senderSeq: 8,
        senderTimestampNs: T,
        senderErrorEstimate: synced1us,
        receiveTimestampNs: T + 1n,
        timestampNs: T + 2n,
        senderTtl: 0,
      },
      64,
    );
    expect(reply.equals(again)).toBe(true);
  });

  it('readReflectorPacket decodes into one object and leaves it alone when it refuses a packet', () => {
    const into = emptyReflectorPacket();
    expect(readReflectorPacket(encodeReflectorPacket(packet), into)).toBeUndefined();
    expect(into).toEqual(packet);
    expect(readReflectorPacket(Buffer.alloc(20), into)).toBe('too-short');
    expect(into).toEqual(packet);
  });
});

describe('parseChronyTracking', () => {
  // Format per chronyc(1) -c: chrony 4 (14 fields, with the reference name) and older (13 fields).
  it('reads sync state and the error bound |offset| + dispersion + delay/2', () => {
    const v4 =
      'C0A80101,192.168.1.1,3,1776153600.123456,-0.000123000,0.000045,0.000067,12.345,0.010,0.250,0.001200,0.004500,64.0,Normal';
    const s = parseChronyTracking(v4);
    expect(s.synced).toBe(true);
    expect(s.errorMs).toBeCloseTo(0.123 + 4.5 + 0.6, 9);
    const v3 =
      'C0A80101,3,1776153600.123456,0.000010,0.000045,0.000067,12.345,0.010,0.250,0.000200,0.000100,64.0,Normal';
    expect(parseChronyTracking(v3).errorMs).toBeCloseTo(0.01 + 0.1 + 0.1, 9);
    const unsynced =
      '00000000,,0,0.000000000,0.000000000,0.000000000,0.000000000,0.000,0.000,0.000,0.000000000,0.000000000,0.0,Not synchronised';
    expect(parseChronyTracking(unsynced)).toEqual({ synced: false, errorMs: 1000 });
  });

  it('names what is wrong with bad input', () => {
    expect(() => parseChronyTracking('506 Cannot talk to daemon')).toThrow(
      /expected 13 or 14 comma-separated fields, got 1/,
    );
    expect(() => parseChronyTracking('C0A80101,x,3,1.0,abc,0,0,0,0,0,0.1,0.1,64,Normal')).toThrow(
      /system time offset is not a number: "abc"/,
    );
  });
});

describe('createWallClock', () => {
  it('reads the wall clock in nanoseconds, finer than a millisecond, never going back', () => {
    const now = createWallClock();
    const first = now();
    // Epoch time, not a monotonic count (loose: a loaded machine may pause us between the reads).
    expect(Math.abs(Number(first / 1_000_000n) - Date.now())).toBeLessThanOrEqual(50);
    let previous = first;
    const subMs = new Set<bigint>();
    for (let i = 0; i < 2000; i++) {
      const t = now();
      expect(t >= previous).toBe(true);
      subMs.add(t % 1_000_000n);
      previous = t;
    }
    // A millisecond clock would give one sub-millisecond value (0); this one gives many.
    expect(subMs.size).toBeGreaterThan(100);
  });
});

describe('readClockStatus', () => {
  it('reads fixed and live sources, and treats a failing or absurd source as unsynchronised', () => {
    expect(readClockStatus({ synced: true, errorMs: 0.1 })).toEqual({ synced: true, errorMs: 0.1 });
    expect(readClockStatus(() => ({ synced: true, errorMs: 2 }))).toEqual({ synced: true, errorMs: 2 });
    expect(
      readClockStatus(() => {
        throw new Error('chrony gone');
      }),
    ).toBe(UNSYNCED_CLOCK);
    expect(readClockStatus({ synced: true, errorMs: Number.NaN })).toBe(UNSYNCED_CLOCK);
    expect(readClockStatus({ synced: true, errorMs: -1 })).toBe(UNSYNCED_CLOCK);
  });
});
