/**
 * STAMP Session-Reflector (RFC 8762 §4.3), stateless, unauthenticated, on node:dgram.
 *
 * Safety properties, each counted when it refuses a packet:
 *  - only well-formed requests are answered: at least 44 octets, at most maxPacketLength, MBZ
 *    octets zero (unless strictMbz is off), a valid error estimate (nonzero multiplier);
 *  - the reply has exactly the request's length, so the reflector never amplifies;
 *  - replies are rate-limited per source address (token bucket) and in total.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
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
import { parseStampReflectorConfig, type StampReflectorConfig, type StampReflectorConfigInput } from './config.js';
import { fillReflectorReplySplit, senderPacketFailure, type DecodeFailure, type DecodeOptions } from './packet.js';
import { KeyedTokenBuckets, TokenBucket } from './token-bucket.js';
import { guardedSend } from './udp-send.js';

export interface StampReflectorStats {
  /** Datagrams received, valid or not. */
  received: number;
  replied: number;
  /** Shorter than 44 octets. */
  invalidShort: number;
  /** Longer than maxPacketLength. */
  invalidLong: number;
  invalidMbz: number;
  invalidErrorEstimate: number;
  /** Well-formed but over the source's (or the global) rate. */
  rateLimited: number;
  /** The request came from a source no reply can go to (port 0, a non-IP address): never answered. */
  badDestination: number;
  /** The send failed: it threw, its callback reported an error, or the socket reported one. */
  sendErrors: number;
}

export interface StampReflectorOptions {
  /** This host's clock state, advertised in the Error Estimate. Default: unsynchronised. */
  clock?: ClockStatusSource;
  /** Time source; tests share one between sender and reflector. */
  wallClock?: WallClock;
}

const FAILURE_COUNTER: Record<DecodeFailure, keyof StampReflectorStats> = {
  'too-short': 'invalidShort',
  'too-long': 'invalidLong',
  'mbz-not-zero': 'invalidMbz',
  'bad-error-estimate': 'invalidErrorEstimate',
};

/** Every reason a request goes unanswered, with the counter that counts it (the agent's /metrics labels). */
export const REFLECTOR_DROP_COUNTERS: Readonly<
  Record<DecodeFailure | 'rate-limited' | 'bad-destination' | 'send-error', keyof StampReflectorStats>
> = {
  ...FAILURE_COUNTER,
  'rate-limited': 'rateLimited',
  'bad-destination': 'badDestination',
  'send-error': 'sendErrors',
};

export class StampReflector {
  readonly config: StampReflectorConfig;
  private readonly clock: ClockStatusSource;
  /** The wall clock, read as split times (packet.ts): no BigInt per request. */
  private readonly now: SplitWallClock;
  /** T2 at 0 and T3 at 2, as split times, rewritten for every request. */
  private readonly times = new Float64Array(4);
  private readonly perSource: KeyedTokenBuckets;
  private readonly global: TokenBucket;
  private socket: Socket | undefined;
  private readonly decodeOptions: DecodeOptions;
  /** The last reply's buffer, reused while the kernel has taken it (see onMessage). */
  private reply = Buffer.alloc(0);
  private readonly estimate: () => ClockErrorEstimate;
  /** Where the reply being sent goes: set before each sendReply, which is made once, not per reply. */
  private destination: RemoteInfo | undefined;
  private readonly sendReply = (): void => {
    const to = this.destination;
    if (this.socket && to) this.socket.send(this.reply, to.port, to.address, this.afterSend);
  };
  /** One send callback for every reply, not a closure per reply. */
  private readonly afterSend = (err: Error | null): void => {
    if (err) this.counters.sendErrors++;
    else this.counters.replied++;
  };
  private readonly counters: StampReflectorStats = {
    received: 0,
    replied: 0,
    invalidShort: 0,
    invalidLong: 0,
    invalidMbz: 0,
    invalidErrorEstimate: 0,
    rateLimited: 0,
    badDestination: 0,
    sendErrors: 0,
  };

  constructor(config: StampReflectorConfigInput = {}, opts: StampReflectorOptions = {}) {
    this.config = parseStampReflectorConfig(config);
    this.clock = opts.clock ?? UNSYNCED_CLOCK;
    this.now = opts.wallClock ? splitWallClockOf(opts.wallClock) : createSplitWallClock();
    this.estimate = clockErrorEstimate(this.clock);
    this.perSource = new KeyedTokenBuckets(
      { ratePerSec: this.config.ratePerSource, burst: this.config.burstPerSource },
      this.config.maxSources,
    );
    this.global = new TokenBucket({ ratePerSec: this.config.globalRate, burst: this.config.globalRate });
    this.decodeOptions = { maxLength: this.config.maxPacketLength, strictMbz: this.config.strictMbz };
  }

  /** Binds the socket; resolves with the bound address (port 0 in config picks a free port). */
  async start(): Promise<{ address: string; port: number }> {
    if (this.socket) throw new Error('StampReflector already started');
    const family = isIP(this.config.address) === 6 ? 6 : 4;
    // Replies go to rinfo.address, always an address literal; answering the lookup at once keeps
    // dgram from deferring each send to a later tick, so T3 is taken right before the datagram
    // leaves.
    const socket = createSocket({
      type: family === 6 ? 'udp6' : 'udp4',
      lookup: (address, _opts, callback) => callback(null, address, family),
    });
    this.socket = socket;
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    // A UDP socket's errors (e.g. an ICMP unreachable surfacing on send) must not kill the agent.
    socket.on('error', () => {
      this.counters.sendErrors++;
    });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(this.config.port, this.config.address, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      this.socket = undefined;
      socket.close();
      throw new Error(
        `stamp.reflector: cannot listen on ${this.config.address}:${this.config.port}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const bound = socket.address();
    return { address: bound.address, port: bound.port };
  }

  stats(): Readonly<StampReflectorStats> {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    // T2: taken first, before any work, so the reflector's own processing is inside T3 − T2.
    const times = this.times;
    this.now(times, 0);
    this.counters.received++;
    const failure = senderPacketFailure(msg, this.decodeOptions);
    if (failure) {
      this.counters[FAILURE_COUNTER[failure]]++;
      return;
    }
    // The buckets refill by T2, already read, rather than by another clock read.
    const nowMs = (times[0] as number) * 1000 + (times[1] as number) / 1e6;
    if (!this.perSource.take(rinfo.address, nowMs) || !this.global.take(nowMs)) {
      this.counters.rateLimited++;
      return;
    }
    const socket = this.socket;
    if (!socket) return;
    const estimate = this.estimate();
    // The reply buffer is reused: an unconnected send with an address literal (see start()) hands
    // the datagram to the kernel before send() returns. Only if libuv had to queue the last reply
    // (the socket buffer was full), or the length differs, does this reply get a new, zeroed one.
    if (this.reply.length !== msg.length || socket.getSendQueueCount() > 0) this.reply = Buffer.alloc(msg.length);
    const reply = this.reply;
    this.now(times, 2);
    fillReflectorReplySplit(reply, msg, times, 0, 2, estimate.value, estimate.encoded);
    // A crafted source (UDP source port 0) must cost one counter, never the process.
    this.destination = rinfo;
    const refused = guardedSend(this.sendReply, rinfo);
    this.destination = undefined;
    if (refused) this.counters[REFLECTOR_DROP_COUNTERS[refused]]++;
  }
}
