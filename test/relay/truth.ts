/**
 * Ground truth for a STAMP session run through the long-haul link simulation, worked out from the
 * relay's own record of what it did to each datagram (see long-haul-link-sim.ts) and from the
 * packets' bytes, decoded here independently of the code under test.
 *
 * Two truths per probe:
 *  - linkMs: the delay the simulated link added (forward hold + reverse hold). Independent of the
 *    STAMP code; a measured RTT can never be below it.
 *  - wireRttMs: the round trip as an observer at the relay sees it: from the sender's transmit
 *    timestamp T1 to the moment the reply was handed to the sender's socket (the relay stamps it
 *    after sendmsg returns), less the reflector's turnaround (T3 − T2). It adds to linkMs the
 *    host-stack hops the relay can time (sender → relay, relay → reflector, reflector → relay);
 *    all it leaves out is the sender's own receive path (epoll wake-up to the 'message'
 *    callback), which is the irreducible error of timestamping in user space. On a loaded
 *    2-core VM one Node.js loopback hop costs 40-90 µs at the median, so four of them would not
 *    fit a 0.2 ms tolerance, while the one left out here does. Needs the relay on the endpoints'
 *    clock.
 *
 * Keys are STAMP Session-Sender sequence numbers: octets 0..3 of a request, 24..27 of a reply.
 */
import { holdMs, type DeliveredCopy, type Direction, type PacketRecord } from './long-haul-link-sim.js';

export function stampKeyOf(packet: Buffer, direction: Direction): number {
  if (packet.length < 28) return -1;
  return direction === 'forward' ? packet.readUInt32BE(0) : packet.readUInt32BE(24);
}

const NTP_UNIX_OFFSET_S = 2_208_988_800n;

/** Reads an NTP-format timestamp (this test's own decoder) as ns since the Unix epoch. */
export function ntpNs(packet: Buffer, offset: number): bigint {
  const seconds = BigInt(packet.readUInt32BE(offset)) - NTP_UNIX_OFFSET_S;
  const fraction = BigInt(packet.readUInt32BE(offset + 4));
  return seconds * 1_000_000_000n + (fraction * 1_000_000_000n) / 4_294_967_296n;
}

/** What really happened to one probe. */
export interface ProbeTruth {
  readonly seq: number;
  /** Forward + reverse hold of the first reply copy to reach the sender, ms; undefined if none did. */
  readonly linkMs?: number;
  readonly forwardHoldMs?: number;
  readonly reverseHoldMs?: number;
  /** See the module comment; undefined if no reply reached the sender. */
  readonly wireRttMs?: number;
  /** T1 to the forward copy leaving the relay for the reflector: the one-way truth but for the reflector's receive path. */
  readonly wireForwardMs?: number;
  /** T3 to the reply leaving the relay for the sender: the one-way truth but for the sender's receive path. */
  readonly wireReverseMs?: number;
  /** Host-stack hops the relay timed for that reply, ms: sender→relay, relay→reflector, reflector→relay. */
  readonly hopsMs?: readonly [number, number, number];
  /** Time the first reply copy left the relay towards the sender. */
  readonly firstReplySentNs?: bigint;
  /** Reply copies delivered to the sender. */
  readonly repliesDelivered: number;
}

interface Sent {
  readonly record: PacketRecord;
  readonly copy: DeliveredCopy;
  readonly sentNs: bigint;
}

function sentCopies(record: PacketRecord): Sent[] {
  return record.copies.flatMap((copy) => (copy.sentNs === undefined ? [] : [{ record, copy, sentNs: copy.sentNs }]));
}

/**
 * Pairs each probe's forward copies with the replies they caused. The reflector answers every
 * forward copy it receives, in arrival order, so the k-th reply record for a sequence number
 * (by arrival at the relay) was caused by the k-th forward copy delivered (by delivery time).
 */
export function probeTruths(records: readonly PacketRecord[]): Map<number, ProbeTruth> {
  const forward = new Map<number, PacketRecord>();
  const replies = new Map<number, PacketRecord[]>();
  for (const r of records) {
    if (r.direction === 'forward') {
      if (r.occurrence === 0) forward.set(r.key, r);
    } else {
      const list = replies.get(r.key) ?? [];
      list.push(r);
      replies.set(r.key, list);
    }
  }
  const out = new Map<number, ProbeTruth>();
  for (const [seq, fwd] of forward) {
    const causes = sentCopies(fwd).sort((a, b) => Number(a.sentNs - b.sentNs));
    const replyRecords = (replies.get(seq) ?? []).sort((a, b) => Number(a.arrivedNs - b.arrivedNs));
    let first: { cause: Sent; reply: Sent } | undefined;
    let delivered = 0;
    replyRecords.forEach((record, k) => {
      const cause = causes[k];
      if (!cause) throw new Error(`reply ${k} for seq ${seq} has no forward copy that could have caused it`);
      for (const reply of sentCopies(record)) {
        delivered++;
        if (!first || reply.sentNs < first.reply.sentNs) first = { cause, reply };
      }
    });
    if (!first) {
      out.set(seq, { seq, repliesDelivered: delivered });
      continue;
    }
    const t1 = ntpNs(fwd.packet, 4);
    const t3 = ntpNs(first.reply.record.packet, 4);
    const t2 = ntpNs(first.reply.record.packet, 16);
    const forwardHoldMs = holdMs(fwd, first.cause.copy);
    const reverseHoldMs = holdMs(first.reply.record, first.reply.copy);
    out.set(seq, {
      seq,
      repliesDelivered: delivered,
      linkMs: forwardHoldMs + reverseHoldMs,
      forwardHoldMs,
      reverseHoldMs,
      wireRttMs: Number(first.reply.sentNs - t1 - (t3 - t2)) / 1e6,
      wireForwardMs: Number(first.cause.sentNs - t1) / 1e6,
      wireReverseMs: Number(first.reply.sentNs - t3) / 1e6,
      hopsMs: [
        Number(fwd.arrivedNs - t1) / 1e6,
        Number(t2 - first.cause.sentNs) / 1e6,
        Number(first.reply.record.arrivedNs - t3) / 1e6,
      ],
      firstReplySentNs: first.reply.sentNs,
    });
  }
  return out;
}

/**
 * Replies reordered on arrival at the sender, by RFC 4737's rule (a first copy whose sequence
 * number is below the highest seen so far), from the order the relay delivered them in.
 */
export function reorderedSeqs(truths: ReadonlyMap<number, ProbeTruth>): Set<number> {
  const firsts = [...truths.values()].filter((t) => t.firstReplySentNs !== undefined);
  firsts.sort((a, b) => Number((a.firstReplySentNs as bigint) - (b.firstReplySentNs as bigint)));
  const out = new Set<number>();
  let highest = -1;
  for (const t of firsts) {
    if (t.seq < highest) out.add(t.seq);
    else highest = t.seq;
  }
  return out;
}
