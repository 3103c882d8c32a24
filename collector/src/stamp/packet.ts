/**
 * STAMP (RFC 8762) test packets in unauthenticated mode, as pure encode/decode functions.
 *
 * Session-Sender packet (44 octets; RFC 8972 names the first two MBZ octets the SSID):
 *   0 Sequence Number (4) | 4 Timestamp (8) | 12 Error Estimate (2) | 14 SSID (2) | 16 MBZ (28)
 * Session-Reflector packet (44 octets):
 *   0 Sequence Number (4) | 4 Timestamp (8) | 12 Error Estimate (2) | 14 SSID (2)
 *   16 Receive Timestamp (8) | 24 Session-Sender Sequence Number (4) | 28 Session-Sender Timestamp (8)
 *   36 Session-Sender Error Estimate (2) | 38 MBZ (2) | 40 Session-Sender TTL (1) | 41 MBZ (3)
 *
 * Times are bigint nanoseconds since the Unix epoch in the public API: a JS number cannot hold
 * epoch nanoseconds exactly, and the sub-millisecond accuracy we promise needs more than
 * milliseconds. The per-packet paths use "split" times instead (whole seconds and nanoseconds as
 * two numbers, see writeTimestampSplit), which write and read the same values with no BigInt.
 */

/** Both packets are 44 octets in unauthenticated mode; STAMP keeps request and reply the same size. */
export const STAMP_PACKET_LENGTH = 44;
/** IANA port for STAMP (RFC 8762 §4.1). Binding it needs CAP_NET_BIND_SERVICE. */
export const STAMP_PORT = 862;
/** Largest request the reflector accepts by default: one unfragmented datagram on a 1500-byte MTU. */
export const STAMP_MAX_PACKET_LENGTH = 1472;

/** Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01). */
export const NTP_UNIX_OFFSET_S = 2_208_988_800n;
const NS_PER_S = 1_000_000_000n;
const TWO_32 = 4_294_967_296n;
const TWO_32_NUM = 4_294_967_296;
const NTP_UNIX_OFFSET = Number(NTP_UNIX_OFFSET_S);

// ---------------------------------------------------------------------------------------------
// Error Estimate (RFC 4656 §4.1.2, RFC 8186 §2.3 for Z)

/**
 * The 16-bit Error Estimate: S (clock synchronised to UTC by an external source), Z (0: NTP
 * timestamp format, 1: PTPv2 truncated), Scale (6 bits) and Multiplier (8 bits).
 * Error = Multiplier × 2^(Scale − 32) seconds.
 */
export interface ErrorEstimate {
  readonly synced: boolean;
  readonly ptp: boolean;
  readonly scale: number;
  readonly multiplier: number;
}

export function encodeErrorEstimate(e: ErrorEstimate): number {
  if (!Number.isInteger(e.scale) || e.scale < 0 || e.scale > 63)
    throw new RangeError(`error estimate scale must be 0..63, got ${e.scale}`);
  if (!Number.isInteger(e.multiplier) || e.multiplier < 0 || e.multiplier > 255) {
    throw new RangeError(`error estimate multiplier must be 0..255, got ${e.multiplier}`);
  }
  return ((e.synced ? 1 : 0) << 15) | ((e.ptp ? 1 : 0) << 14) | (e.scale << 8) | e.multiplier;
}

/** Decoded estimates, one per 16-bit value, made on first use: replies decode two per packet. */
const decodedEstimates: (ErrorEstimate | undefined)[] = [];

export function decodeErrorEstimate(value: number): ErrorEstimate {
  const v = value & 0xffff;
  return (decodedEstimates[v] ??= Object.freeze({
    synced: (v & 0x8000) !== 0,
    ptp: (v & 0x4000) !== 0,
    scale: (v >> 8) & 0x3f,
    multiplier: v & 0xff,
  }));
}

/** The error bound the estimate encodes, in seconds. */
export function errorEstimateSeconds(e: ErrorEstimate): number {
  return e.multiplier * 2 ** (e.scale - 32);
}

/**
 * The smallest representable estimate that is at least `seconds` (an estimate must never claim
 * more accuracy than the clock has). Multiplier is never 0: RFC 4656 says a zero multiplier marks
 * a corrupt packet. Errors beyond the largest encodable value saturate at it.
 */
export function errorEstimateFromSeconds(seconds: number, synced: boolean, ptp = false): ErrorEstimate {
  if (!Number.isFinite(seconds) || seconds < 0)
    throw new RangeError(`clock error must be a finite number of seconds >= 0, got ${seconds}`);
  for (let scale = 0; scale <= 63; scale++) {
    const multiplier = Math.max(1, Math.ceil(seconds / 2 ** (scale - 32)));
    if (multiplier <= 255) return { synced, ptp, scale, multiplier };
  }
  return { synced, ptp, scale: 63, multiplier: 255 };
}

// ---------------------------------------------------------------------------------------------
// Timestamps

/**
 * NTP 64-bit timestamp: 32-bit seconds since 1900 and a 32-bit binary fraction. The seconds field
 * wraps on 2036-02-07; like RFC 4330 §3 we read a seconds value with its top bit clear as era 1,
 * which keeps decoding correct from 1968 to 2104.
 */
export function writeNtpTimestamp(buf: Buffer, offset: number, unixNs: bigint): void {
  // Probes and replies write and read several timestamps each, nearly all within the same second,
  // and every BigInt temporary is heap garbage: the second last seen is kept (secondOf), so a
  // timestamp costs one BigInt subtraction; the rest is exact integer Number arithmetic.
  const second = secondOf(unixNs);
  const remNs = Number(unixNs - second.startNs);
  buf.writeUInt32BE((second.unixS + NTP_UNIX_OFFSET) % TWO_32_NUM, offset);
  buf.writeUInt32BE(nsToFraction(remNs), offset + 4);
}

/** A whole second since the Unix epoch, as a number and as its first nanosecond. */
interface UnixSecond {
  readonly unixS: number;
  readonly startNs: bigint;
  readonly endNs: bigint;
}

let lastSecond: UnixSecond = { unixS: 0, startNs: 0n, endNs: NS_PER_S };

/** The second `unixNs` falls in (floored, also before 1970), from the one-entry cache when it is there. */
function secondOf(unixNs: bigint): UnixSecond {
  const cached = lastSecond;
  if (unixNs >= cached.startNs && unixNs < cached.endNs) return cached;
  let unixS = unixNs / NS_PER_S; // truncates toward zero
  if (unixS * NS_PER_S > unixNs) unixS -= 1n; // before 1970: floor, not truncation
  const startNs = unixS * NS_PER_S;
  lastSecond = { unixS: Number(unixS), startNs, endNs: startNs + NS_PER_S };
  return lastSecond;
}

/** The first nanosecond of Unix second `unixS`, from the same cache when it is that second. */
function secondStartNs(unixS: number): bigint {
  const cached = lastSecond;
  if (cached.unixS === unixS) return cached.startNs;
  const startNs = BigInt(unixS) * NS_PER_S;
  lastSecond = { unixS, startNs, endNs: startNs + NS_PER_S };
  return startNs;
}

/**
 * floor(ns × 2^32 / 1e9), exactly. 2^32 / 1e9 = 2^23 / 1953125, and ns × 2^23 < 2^53 stays an
 * exact integer; the quotient's float rounding is corrected by one step either way.
 */
function nsToFraction(ns: number): number {
  const scaled = ns * 8_388_608; // ns × 2^23
  let q = Math.floor(scaled / 1_953_125);
  if (q * 1_953_125 > scaled) q--;
  else if ((q + 1) * 1_953_125 <= scaled) q++;
  return q;
}

export function readNtpTimestamp(buf: Buffer, offset: number): bigint {
  let seconds = buf.readUInt32BE(offset);
  if (seconds < 0x8000_0000) seconds += TWO_32_NUM;
  // Round to the nearest nanosecond so that write → read is exact to the nanosecond:
  // round(fraction × 1e9 / 2^32) = floor((fraction × 1953125 + 2^22) / 2^23), exact below 2^53.
  const ns = Math.floor((buf.readUInt32BE(offset + 4) * 1_953_125 + 4_194_304) / 8_388_608);
  return secondStartNs(seconds - NTP_UNIX_OFFSET) + BigInt(ns);
}

/** PTPv2 truncated timestamp (RFC 8186): 32-bit seconds since 1970 (PTP epoch), 32-bit nanoseconds. */
export function writePtpTimestamp(buf: Buffer, offset: number, unixNs: bigint): void {
  buf.writeUInt32BE(Number((unixNs / NS_PER_S) % TWO_32), offset);
  buf.writeUInt32BE(Number(unixNs % NS_PER_S), offset + 4);
}

export function readPtpTimestamp(buf: Buffer, offset: number): bigint {
  return BigInt(buf.readUInt32BE(offset)) * NS_PER_S + BigInt(buf.readUInt32BE(offset + 4));
}

function writeTimestamp(buf: Buffer, offset: number, unixNs: bigint, ptp: boolean): void {
  if (ptp) writePtpTimestamp(buf, offset, unixNs);
  else writeNtpTimestamp(buf, offset, unixNs);
}

function readTimestamp(buf: Buffer, offset: number, ptp: boolean): bigint {
  return ptp ? readPtpTimestamp(buf, offset) : readNtpTimestamp(buf, offset);
}

// ---------------------------------------------------------------------------------------------
// Timestamps without BigInt
//
// The sender and reflector stamp and read several timestamps per packet, and a BigInt is a heap
// object made by every operation on it. On their hot paths a time is two exact numbers instead:
// whole Unix seconds (floored) and nanoseconds into that second, kept side by side in a
// Float64Array at `at` and `at + 1` (a "split" time). The bits written and the values read are
// exactly those of the bigint functions above.

/** Writes the split time `s`, `ns` as writeNtpTimestamp or writePtpTimestamp would write s × 1e9 + ns. */
export function writeTimestampSplit(buf: Buffer, offset: number, s: number, ns: number, ptp: boolean): void {
  if (ptp) {
    buf.writeUInt32BE(s % TWO_32_NUM, offset);
    buf.writeUInt32BE(ns, offset + 4);
    return;
  }
  buf.writeUInt32BE((s + NTP_UNIX_OFFSET) % TWO_32_NUM, offset);
  buf.writeUInt32BE(nsToFraction(ns), offset + 4);
}

/**
 * Reads a timestamp into `out[at]` (seconds) and `out[at + 1]` (ns): readNtpTimestamp's value
 * (rounded to the nanosecond, a rounding up to the next second carried) or readPtpTimestamp's
 * (its two fields as they are).
 */
export function readTimestampSplit(buf: Buffer, offset: number, ptp: boolean, out: Float64Array, at: number): void {
  if (ptp) {
    out[at] = buf.readUInt32BE(offset);
    out[at + 1] = buf.readUInt32BE(offset + 4);
    return;
  }
  let seconds = buf.readUInt32BE(offset);
  if (seconds < 0x8000_0000) seconds += TWO_32_NUM;
  const ns = Math.floor((buf.readUInt32BE(offset + 4) * 1_953_125 + 4_194_304) / 8_388_608);
  if (ns === 1_000_000_000) {
    out[at] = seconds - NTP_UNIX_OFFSET + 1;
    out[at + 1] = 0;
  } else {
    out[at] = seconds - NTP_UNIX_OFFSET;
    out[at + 1] = ns;
  }
}

/** `unixNs` as a split time in `out[at]`, `out[at + 1]` (seconds floored, also before 1970). */
export function splitNs(unixNs: bigint, out: Float64Array, at: number): void {
  let s = unixNs / NS_PER_S;
  if (s * NS_PER_S > unixNs) s -= 1n;
  out[at] = Number(s);
  out[at + 1] = Number(unixNs - s * NS_PER_S);
}

/** b − a in nanoseconds for split times at `a` and `b` of `t`: exact below 2^53 ns (104 days). */
export function splitDiffNs(t: Float64Array, b: number, a: number): number {
  return ((t[b] as number) - (t[a] as number)) * 1e9 + ((t[b + 1] as number) - (t[a + 1] as number));
}

// ---------------------------------------------------------------------------------------------
// Packets

export interface SenderPacket {
  readonly seq: number;
  /** Transmit time, ns since the Unix epoch. */
  readonly timestampNs: bigint;
  readonly errorEstimate: ErrorEstimate;
  /** RFC 8972 Session-Sender Identifier; 0 where unused (RFC 8762 has those octets as MBZ). */
  readonly ssid: number;
}

export interface ReflectorPacket {
  /** Stateless reflector: a copy of the Session-Sender sequence number (RFC 8762 §4.3.1). */
  readonly seq: number;
  /** Reflector transmit time (T3). */
  readonly timestampNs: bigint;
  readonly errorEstimate: ErrorEstimate;
  readonly ssid: number;
  /** Reflector receive time (T2). */
  readonly receiveTimestampNs: bigint;
  readonly senderSeq: number;
  /** Session-Sender transmit time (T1), as the sender wrote it. */
  readonly senderTimestampNs: bigint;
  readonly senderErrorEstimate: ErrorEstimate;
  /** TTL of the received request; 0 where the platform cannot read it (node:dgram cannot). */
  readonly senderTtl: number;
}

export type DecodeFailure = 'too-short' | 'too-long' | 'mbz-not-zero' | 'bad-error-estimate';
export type Decoded<T> =
  { readonly ok: true; readonly packet: T } | { readonly ok: false; readonly reason: DecodeFailure };

export interface DecodeOptions {
  /** Largest packet accepted; default STAMP_MAX_PACKET_LENGTH. */
  readonly maxLength?: number;
  /**
   * Refuse packets whose MBZ octets (and any padding past octet 44) are not zero. RFC 8762 says MBZ
   * is "ignored on receipt"; we refuse by default because a reflector that answers anything
   * 44 octets long is a better reflection tool for an attacker, and we do not process RFC 8972
   * TLVs. Set false for strict RFC 8762 behaviour.
   */
  readonly strictMbz?: boolean;
}

function checkUint(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max)
    throw new RangeError(`${name} must be an integer 0..${max}, got ${value}`);
}

function checkLength(length: number): void {
  if (!Number.isInteger(length) || length < STAMP_PACKET_LENGTH) {
    throw new RangeError(`STAMP packet length must be an integer >= ${STAMP_PACKET_LENGTH}, got ${length}`);
  }
}

/** Encodes a Session-Sender packet, zero-padded to `length` (so the reply can be as large). */
export function encodeSenderPacket(p: SenderPacket, length = STAMP_PACKET_LENGTH): Buffer {
  checkLength(length);
  const buf = Buffer.alloc(length);
  fillSenderPacket(buf, p.seq, p.timestampNs, p.errorEstimate, p.ssid);
  return buf;
}

/**
 * Writes a Session-Sender packet's fields into `buf` in place, leaving the MBZ octets and padding
 * as they are (zero in a buffer made by Buffer.alloc and only ever filled by this function). The
 * sender reuses one buffer per peer rather than allocating one per probe, and passes the Error
 * Estimate already encoded (clock.ts caches it), as fillReflectorReply takes it.
 */
export function fillSenderPacket(
  buf: Buffer,
  seq: number,
  timestampNs: bigint,
  errorEstimate: ErrorEstimate,
  ssid: number,
  encodedErrorEstimate = encodeErrorEstimate(errorEstimate),
): void {
  checkUint('seq', seq, 0xffff_ffff);
  checkUint('ssid', ssid, 0xffff);
  buf.writeUInt32BE(seq, 0);
  writeTimestamp(buf, 4, timestampNs, errorEstimate.ptp);
  buf.writeUInt16BE(encodedErrorEstimate, 12);
  buf.writeUInt16BE(ssid, 14);
}

/** fillSenderPacket with the timestamp as a split time (see writeTimestampSplit): the same octets. */
export function fillSenderPacketSplit(
  buf: Buffer,
  seq: number,
  s: number,
  ns: number,
  errorEstimate: ErrorEstimate,
  ssid: number,
  encodedErrorEstimate: number,
): void {
  checkUint('seq', seq, 0xffff_ffff);
  checkUint('ssid', ssid, 0xffff);
  buf.writeUInt32BE(seq, 0);
  writeTimestampSplit(buf, 4, s, ns, errorEstimate.ptp);
  buf.writeUInt16BE(encodedErrorEstimate, 12);
  buf.writeUInt16BE(ssid, 14);
}

function allZero(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== 0) return false;
  return true;
}

function lengthFailure(buf: Buffer, opts: DecodeOptions): DecodeFailure | undefined {
  if (buf.length < STAMP_PACKET_LENGTH) return 'too-short';
  if (buf.length > (opts.maxLength ?? STAMP_MAX_PACKET_LENGTH)) return 'too-long';
  return undefined;
}

/** Why a Session-Sender packet would be refused, or undefined if it is well-formed. */
export function senderPacketFailure(buf: Buffer, opts: DecodeOptions = {}): DecodeFailure | undefined {
  const lengthProblem = lengthFailure(buf, opts);
  if (lengthProblem) return lengthProblem;
  if ((opts.strictMbz ?? true) && !allZero(buf, 16, buf.length)) return 'mbz-not-zero';
  if ((buf.readUInt16BE(12) & 0xff) === 0) return 'bad-error-estimate'; // multiplier 0
  return undefined;
}

/** Why a Session-Reflector packet would be refused, or undefined: both reply readers check this first. */
function reflectorPacketFailure(buf: Buffer, opts: DecodeOptions): DecodeFailure | undefined {
  const lengthProblem = lengthFailure(buf, opts);
  if (lengthProblem) return lengthProblem;
  if ((opts.strictMbz ?? true) && !(allZero(buf, 38, 40) && allZero(buf, 41, buf.length))) return 'mbz-not-zero';
  // The multiplier (low octet) of the reflector's and the sender's error estimates.
  if ((buf.readUInt16BE(12) & 0xff) === 0 || (buf.readUInt16BE(36) & 0xff) === 0) return 'bad-error-estimate';
  return undefined;
}

export function decodeSenderPacket(buf: Buffer, opts: DecodeOptions = {}): Decoded<SenderPacket> {
  const reason = senderPacketFailure(buf, opts);
  if (reason) return { ok: false, reason };
  const errorEstimate = decodeErrorEstimate(buf.readUInt16BE(12));
  return {
    ok: true,
    packet: {
      seq: buf.readUInt32BE(0),
      timestampNs: readTimestamp(buf, 4, errorEstimate.ptp),
      errorEstimate,
      ssid: buf.readUInt16BE(14),
    },
  };
}

/**
 * Encodes a Session-Reflector packet of exactly `length` octets. The reflector passes the
 * request's length, so a reply is never larger than the request; octets past 44 stay zero rather
 * than echoing the request's bytes.
 */
export function encodeReflectorPacket(p: ReflectorPacket, length = STAMP_PACKET_LENGTH): Buffer {
  checkLength(length);
  checkUint('seq', p.seq, 0xffff_ffff);
  checkUint('senderSeq', p.senderSeq, 0xffff_ffff);
  checkUint('ssid', p.ssid, 0xffff);
  checkUint('senderTtl', p.senderTtl, 0xff);
  const buf = Buffer.alloc(length);
  buf.writeUInt32BE(p.seq, 0);
  writeTimestamp(buf, 4, p.timestampNs, p.errorEstimate.ptp);
  buf.writeUInt16BE(encodeErrorEstimate(p.errorEstimate), 12);
  buf.writeUInt16BE(p.ssid, 14);
  writeTimestamp(buf, 16, p.receiveTimestampNs, p.errorEstimate.ptp);
  buf.writeUInt32BE(p.senderSeq, 24);
  writeTimestamp(buf, 28, p.senderTimestampNs, p.senderErrorEstimate.ptp);
  buf.writeUInt16BE(encodeErrorEstimate(p.senderErrorEstimate), 36);
  buf.writeUInt8(p.senderTtl, 40);
  return buf;
}

/**
 * Writes the reply to a well-formed `request` (see senderPacketFailure) into `reply`, a buffer of
 * the request's length whose octets 38-39 and from 41 on are zero: the sequence number, SSID,
 * Session-Sender Timestamp and Error Estimate are copied octet for octet (re-encoding a decoded
 * timestamp could move it by a fraction unit, and the sender matches replies on the exact value
 * it sent), the TTL is 0 (not known). What encodeReflectorPacket writes, with no objects made.
 */
export function fillReflectorReply(
  reply: Buffer,
  request: Buffer,
  receiveTimestampNs: bigint,
  timestampNs: bigint,
  errorEstimate: ErrorEstimate,
  encodedErrorEstimate: number,
): void {
  request.copy(reply, 0, 0, 4); // seq: a stateless reflector's copies the sender's
  reply.writeUInt16BE(encodedErrorEstimate, 12);
  request.copy(reply, 14, 14, 16); // SSID
  writeTimestamp(reply, 16, receiveTimestampNs, errorEstimate.ptp);
  request.copy(reply, 24, 0, 4); // Session-Sender Sequence Number
  request.copy(reply, 28, 4, 14); // Session-Sender Timestamp and Error Estimate
  reply[40] = 0; // Session-Sender TTL: node:dgram cannot read it
  writeTimestamp(reply, 4, timestampNs, errorEstimate.ptp);
}

/**
 * fillReflectorReply with the receive (T2) and transmit (T3) times as split times: T2 at
 * `times[t2]`, T3 at `times[t3]` (see writeTimestampSplit). The same octets.
 */
export function fillReflectorReplySplit(
  reply: Buffer,
  request: Buffer,
  times: Float64Array,
  t2: number,
  t3: number,
  errorEstimate: ErrorEstimate,
  encodedErrorEstimate: number,
): void {
  request.copy(reply, 0, 0, 4);
  reply.writeUInt16BE(encodedErrorEstimate, 12);
  request.copy(reply, 14, 14, 16);
  writeTimestampSplit(reply, 16, times[t2] as number, times[t2 + 1] as number, errorEstimate.ptp);
  request.copy(reply, 24, 0, 4);
  request.copy(reply, 28, 4, 14);
  reply[40] = 0;
  writeTimestampSplit(reply, 4, times[t3] as number, times[t3 + 1] as number, errorEstimate.ptp);
}

/** Where readReplySplit puts each time in its Float64Array (T4 is the receiver's to fill). */
export const REPLY_T1 = 0;
export const REPLY_T2 = 2;
export const REPLY_T3 = 4;
export const REPLY_T4 = 6;

/** What the Session-Sender needs of a reply, with its times split (see readReplySplit). */
export interface ReplySplit {
  senderSeq: number;
  errorEstimate: ErrorEstimate;
  senderErrorEstimate: ErrorEstimate;
  /** T1 (echoed), T2, T3 and T4 as split times at REPLY_T1..REPLY_T4. */
  readonly times: Float64Array;
}

export function emptyReplySplit(): ReplySplit {
  const unknown = decodeErrorEstimate(0);
  return { senderSeq: 0, errorEstimate: unknown, senderErrorEstimate: unknown, times: new Float64Array(8) };
}

/**
 * readReflectorPacket's checks and its values for what the Session-Sender uses, with no BigInt:
 * decodes into `into` and returns undefined, or returns why the packet is refused (T4 is left as
 * it was; other fields may have been written).
 */
export function readReplySplit(buf: Buffer, into: ReplySplit, opts: DecodeOptions = {}): DecodeFailure | undefined {
  const refused = reflectorPacketFailure(buf, opts);
  if (refused) return refused;
  const errorEstimate = decodeErrorEstimate(buf.readUInt16BE(12));
  const senderErrorEstimate = decodeErrorEstimate(buf.readUInt16BE(36));
  into.senderSeq = buf.readUInt32BE(24);
  into.errorEstimate = errorEstimate;
  into.senderErrorEstimate = senderErrorEstimate;
  const t = into.times;
  readTimestampSplit(buf, 28, senderErrorEstimate.ptp, t, REPLY_T1);
  readTimestampSplit(buf, 16, errorEstimate.ptp, t, REPLY_T2);
  readTimestampSplit(buf, 4, errorEstimate.ptp, t, REPLY_T3);
  return undefined;
}

/** A ReflectorPacket whose fields readReflectorPacket overwrites: a receiver keeps one and reuses it. */
export type MutableReflectorPacket = { -readonly [K in keyof ReflectorPacket]: ReflectorPacket[K] };

export function emptyReflectorPacket(): MutableReflectorPacket {
  const unknown = decodeErrorEstimate(0);
  return {
    seq: 0,
    timestampNs: 0n,
    errorEstimate: unknown,
    ssid: 0,
    receiveTimestampNs: 0n,
    senderSeq: 0,
    senderTimestampNs: 0n,
    senderErrorEstimate: unknown,
    senderTtl: 0,
  };
}

/**
 * Decodes a reply into `into`, overwriting every field, and returns undefined; or returns why the
 * packet is refused, leaving `into` as it was. The Session-Sender decodes every reply this way into
 * one object per peer, so a reply costs no result objects.
 */
export function readReflectorPacket(
  buf: Buffer,
  into: MutableReflectorPacket,
  opts: DecodeOptions = {},
): DecodeFailure | undefined {
  const refused = reflectorPacketFailure(buf, opts);
  if (refused) return refused;
  const errorEstimate = decodeErrorEstimate(buf.readUInt16BE(12));
  const senderErrorEstimate = decodeErrorEstimate(buf.readUInt16BE(36));
  into.seq = buf.readUInt32BE(0);
  into.timestampNs = readTimestamp(buf, 4, errorEstimate.ptp);
  into.errorEstimate = errorEstimate;
  into.ssid = buf.readUInt16BE(14);
  into.receiveTimestampNs = readTimestamp(buf, 16, errorEstimate.ptp);
  into.senderSeq = buf.readUInt32BE(24);
  into.senderTimestampNs = readTimestamp(buf, 28, senderErrorEstimate.ptp);
  into.senderErrorEstimate = senderErrorEstimate;
  into.senderTtl = buf.readUInt8(40);
  return undefined;
}

export function decodeReflectorPacket(buf: Buffer, opts: DecodeOptions = {}): Decoded<ReflectorPacket> {
  const packet = emptyReflectorPacket();
  const reason = readReflectorPacket(buf, packet, opts);
  return reason ? { ok: false, reason } : { ok: true, packet };
}
