/**
 * STAMP Session-Sender (RFC 8762 §4.2) on node:dgram: probes every configured peer at `rate`
 * packets per second and turns each interval into one link_samples row per peer. The rules for
 * what counts (late replies, duplicates, reordering, one-way delays) live in session.ts.
 *
 * One connected UDP socket per peer: the kernel then drops datagrams from anyone but that peer,
 * and a send needs no address lookup.
 */
import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { performance } from 'node:perf_hooks';
import {
  clockErrorEstimate,
  createSplitWallClock,
  splitWallClockOf,
  UNSYNCED_CLOCK,
  type ClockErrorEstimate,
  type ClockStatusSource,
  type SplitWallClock,
  type WallClock,
} from './clock.js';
import {
  defaultLinkId,
  parseStampSenderConfig,
  type StampPeerConfig,
  type StampSenderConfig,
  type StampSenderConfigInput,
} from './config.js';
import {
  emptyReplySplit,
  fillSenderPacketSplit,
  readReplySplit,
  readTimestampSplit,
  REPLY_T4,
  type DecodeOptions,
} from './packet.js';
import { guardedSend } from './udp-send.js';
import { StampSession, type ReplyObservation, type StampReport, type StampSessionCounters } from './session.js';

export interface StampSenderOptions {
  /** This host's clock state, advertised in each probe's Error Estimate. Default: unsynchronised. */
  clock?: ClockStatusSource;
  wallClock?: WallClock;
  /** Called with each finished interval. Without it, reports queue for takeReports(). */
  onReport?: (report: StampReport) => void;
  /** Called for every reply, counted or not, with an observation of its own: for debugging and tests. */
  onReply?: (linkId: string, observation: ReplyObservation) => void;
}

export interface StampPeerStats extends StampSessionCounters {
  readonly linkId: string;
  sendErrors: number;
  invalidReplies: number;
}

export interface StampSenderStats {
  readonly peers: readonly StampPeerStats[];
  /** Send slots skipped because the event loop was late by more than one period. */
  readonly skippedSlots: number;
  /** Reports dropped from the takeReports() queue because nobody drained it. */
  readonly droppedReports: number;
}

interface Peer {
  readonly config: StampPeerConfig;
  readonly session: StampSession;
  readonly socket: Socket;
  /**
   * The socket's send() and getSendQueueCount(), bound once: a dgram Socket is a large object
   * whose method loads V8 does not inline, and every probe makes both calls.
   */
  readonly send: (packet: Buffer, callback: (err: Error | null) => void) => void;
  readonly queued: () => number;
  /** This peer's probe, rewritten in place for every send (see sendProbe). */
  packet: Buffer;
  /** One send callback per peer, not a closure per probe. */
  readonly afterSend: (err: Error | null) => void;
  /** Sends `packet` with `afterSend`, for guardedSend: made once per peer, not once per probe. */
  readonly sendPacket: () => void;
  sendErrors: number;
  invalidReplies: number;
}

/**
 * How replies are decoded. Their length the sender checks itself (exactly its probes' length, at
 * most STAMP_MAX_PACKET_LENGTH), and nonzero MBZ octets from a reflector are tolerated.
 */
const REPLY_CHECKS: DecodeOptions = { strictMbz: false };

/** Reports kept for takeReports(); 8 peers at one report a minute is a day's worth. */
const MAX_QUEUED_REPORTS = 10_000;

export class StampSender {
  readonly config: StampSenderConfig;
  private readonly estimate: () => ClockErrorEstimate;
  /** The wall clock, read as split times (packet.ts): no BigInt per probe or reply. */
  private readonly now: SplitWallClock;
  private readonly peers: Peer[] = [];
  private readonly queue: StampReport[] = [];
  private readonly finalizers = new Map<number, NodeJS.Timeout>();
  /** Every reply is decoded into this one object: replies are handled one at a time, to the end. */
  private readonly reply = emptyReplySplit();
  /** A probe's T1, read now and then back from the packet as the reflector will echo it. */
  private readonly sendTime = new Float64Array(2);
  private tickTimer: NodeJS.Timeout | undefined;
  /** One timer callback for every tick, and the send period, both fixed by the config. */
  private readonly onTick = (): void => this.tick();
  private readonly periodNs: number;
  /** performance.now() when probing started: slots are counted from it (a native read, nothing allocated). */
  private startMonoMs = 0;
  private slot = 0;
  private skippedSlots = 0;
  private droppedReports = 0;
  private running = false;

  constructor(
    config: StampSenderConfigInput,
    private readonly opts: StampSenderOptions = {},
  ) {
    this.config = parseStampSenderConfig(config);
    this.periodNs = Math.round(1e9 / this.config.rate);
    this.estimate = clockErrorEstimate(opts.clock ?? UNSYNCED_CLOCK);
    this.now = opts.wallClock ? splitWallClockOf(opts.wallClock) : createSplitWallClock();
  }

  /** Opens one socket per peer and starts probing. Rejects if a peer's address cannot be resolved. */
  async start(): Promise<void> {
    if (this.running) throw new Error('StampSender already started');
    // A restart begins from fresh sessions; until then stats() keeps the last run's counters.
    this.peers.length = 0;
    for (const [i, config] of this.config.peers.entries()) {
      let resolved: { address: string; family: number };
      try {
        resolved = await lookup(config.address);
      } catch (err) {
        await this.closeSockets();
        throw new Error(
          `stamp.sender.peers[${i}].address: cannot resolve "${config.address}": ${(err as Error).message}`,
          { cause: err },
        );
      }
      const socket = createSocket({ type: resolved.family === 6 ? 'udp6' : 'udp4' });
      const session = new StampSession(
        {
          linkId: config.linkId ?? defaultLinkId(this.config.region, config),
          regionFrom: this.config.region,
          regionTo: config.region,
          host: this.config.host,
        },
        this.config,
      );
      const peer: Peer = {
        config,
        session,
        socket,
        send: socket.send.bind(socket),
        queued: socket.getSendQueueCount.bind(socket),
        packet: Buffer.alloc(this.config.packetLength),
        afterSend: (err) => {
          if (err) peer.sendErrors++;
        },
        sendPacket: () => peer.send(peer.packet, peer.afterSend),
        sendErrors: 0,
        invalidReplies: 0,
      };
      socket.on('message', (msg) => this.onMessage(peer, msg));
      socket.on('error', () => {
        peer.sendErrors++;
      });
      this.peers.push(peer);
      try {
        await new Promise<void>((resolve, reject) => {
          socket.once('error', reject);
          socket.connect(config.port, resolved.address, () => {
            socket.off('error', reject);
            resolve();
          });
        });
      } catch (err) {
        await this.closeSockets();
        throw new Error(
          `stamp.sender.peers[${i}]: cannot open a socket to ${resolved.address}:${config.port}: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
    }
    this.running = true;
    this.startMonoMs = performance.now();
    this.slot = 0;
    this.tick();
  }

  /**
   * Stops probing. With `drain` (the default) it first waits lossTimeoutMs so the last probes get
   * their chance, then reports every open interval (the last one partial), then closes the sockets.
   */
  async stop({ drain = true }: { drain?: boolean } = {}): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.tickTimer);
    if (drain) await new Promise((resolve) => setTimeout(resolve, this.config.lossTimeoutMs + 5));
    for (const timer of this.finalizers.values()) clearTimeout(timer);
    this.finalizers.clear();
    if (drain)
      for (const peer of this.peers)
        for (const start of peer.session.openIntervals()) this.emit(peer.session.finalize(start));
    await this.closeSockets();
  }

  /** Finished reports not yet taken (only used when no onReport callback was given). */
  takeReports(): StampReport[] {
    return this.queue.splice(0, this.queue.length);
  }

  stats(): StampSenderStats {
    return {
      peers: this.peers.map((p) => ({
        linkId: p.session.labels.linkId,
        ...p.session.counters,
        sendErrors: p.sendErrors,
        invalidReplies: p.invalidReplies,
      })),
      skippedSlots: this.skippedSlots,
      droppedReports: this.droppedReports,
    };
  }

  private async closeSockets(): Promise<void> {
    await Promise.all(this.peers.map((p) => new Promise<void>((resolve) => p.socket.close(() => resolve()))));
  }

  /** Sends one probe to every peer, then schedules the next slot on the monotonic clock. */
  private tick(): void {
    if (!this.running) return;
    const estimate = this.estimate();
    for (const peer of this.peers) this.sendProbe(peer, estimate);
    const periodNs = this.periodNs;
    const elapsed = Math.round((performance.now() - this.startMonoMs) * 1e6);
    // The next slot still in the future. Slots the event loop missed are skipped rather than sent
    // in a burst (a burst would distort the very delays we measure), and a timer that fired early
    // (libuv works in whole milliseconds from the loop's cached clock) must not send a slot twice.
    const next = Math.max(this.slot + 1, Math.floor(elapsed / periodNs) + 1);
    this.skippedSlots += next - this.slot - 1;
    this.slot = next;
    // Whole milliseconds, rounded up: a timer fires on the loop's millisecond clock anyway, so this is
    // when a fractional delay would fire too, and consecutive ticks then share a delay and with it
    // Node's timer list for that duration instead of making and dropping one per tick.
    const delayMs = Math.ceil((next * periodNs - elapsed) / 1e6);
    this.tickTimer = setTimeout(this.onTick, delayMs);
  }

  private sendProbe(peer: Peer, estimate: ClockErrorEstimate): void {
    const seq = peer.session.nextSeq();
    // The packet is reused: a connected socket hands it to the kernel before send() returns. Only
    // if libuv had to queue the previous one (the socket buffer was full) does it get a new buffer,
    // so a queued probe is never rewritten before it leaves.
    if (peer.queued() > 0) peer.packet = Buffer.alloc(this.config.packetLength);
    const packet = peer.packet;
    const t1 = this.sendTime;
    this.now(t1, 0);
    fillSenderPacketSplit(
      packet,
      seq,
      t1[0] as number,
      t1[1] as number,
      estimate.value,
      peer.config.ssid,
      estimate.encoded,
    );
    // Send first, book-keep after: T1 should be as close to the datagram leaving as we can get it.
    // (A connected socket sends synchronously, and no reply can be handled before this returns.)
    // Never throws (a socket closed under it, say): a failed send is a send error and a lost probe.
    if (guardedSend(peer.sendPacket)) peer.sendErrors++;
    // T1 as the reflector will echo it (the wire format's resolution), so replies match exactly.
    readTimestampSplit(packet, 4, estimate.value.ptp, t1, 0);
    const t1S = t1[0] as number;
    const t1Ns = t1[1] as number;
    this.scheduleFinalize(peer.session.onSentSplit(seq, t1S, t1Ns), t1S * 1000 + t1Ns / 1e6);
  }

  private onMessage(peer: Peer, msg: Buffer): void {
    const reply = this.reply;
    this.now(reply.times, REPLY_T4);
    if (msg.length !== this.config.packetLength || readReplySplit(msg, reply, REPLY_CHECKS) !== undefined) {
      peer.invalidReplies++;
      return;
    }
    const observation = peer.session.onReplySplit(reply);
    // The session rewrites its observation on the next reply; a listener gets a copy to keep.
    if (this.opts.onReply) this.opts.onReply(peer.session.labels.linkId, { ...observation });
  }

  /** Closes an interval (for every peer) at its end + lossTimeoutMs, per session.ts's rules. */
  private scheduleFinalize(intervalStartMs: number, nowMs: number): void {
    if (this.finalizers.has(intervalStartMs)) return;
    const dueMs = intervalStartMs + this.config.intervalMs + this.config.lossTimeoutMs + 5;
    const timer = setTimeout(
      () => {
        this.finalizers.delete(intervalStartMs);
        for (const peer of this.peers) this.emit(peer.session.finalize(intervalStartMs));
      },
      Math.max(0, dueMs - nowMs),
    );
    this.finalizers.set(intervalStartMs, timer);
  }

  private emit(report: StampReport | undefined): void {
    if (!report) return;
    if (this.opts.onReport) {
      this.opts.onReport(report);
      return;
    }
    if (this.queue.length >= MAX_QUEUED_REPORTS) {
      this.queue.shift();
      this.droppedReports++;
    }
    this.queue.push(report);
  }
}
