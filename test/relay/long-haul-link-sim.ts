/**
 * SIMULATION of a long-haul fiber link: a user-space UDP relay on loopback that delays, jitters,
 * drops, reorders and duplicates datagrams, deterministically from a seed. It exists because a
 * 2,000 km link cannot exist on a test machine and this kernel has no tc netem.
 *
 * Clients send to the relay's port; the relay forwards to the target from one upstream socket per
 * client (like a NAT) and relays the target's answers back. For every datagram it keeps a record
 * of what it decided and, for each copy it delivered, the exact hold time it applied (measured on
 * its clock when the copy really left, so a timer that fired late is recorded as the delay it
 * really was). That
 * record is the ground truth measurements are checked against.
 *
 * Decisions depend only on (seed, direction, packet key, occurrence), never on timing, so two runs
 * with the same seed and the same packets make the same decisions.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

export type Direction = 'forward' | 'reverse';

export interface Impairment {
  /** Fixed one-way delay, ms. 2,000 km of fiber is about 9.8 ms. */
  readonly delayMs: number;
  /** Uniform jitter: each copy's delay is delayMs ± jitterMs (never below 0). */
  readonly jitterMs: number;
  readonly lossPct: number;
  readonly duplicatePct: number;
  /** Share of datagrams held back an extra reorderExtraMs, so later ones overtake them. */
  readonly reorderPct: number;
  readonly reorderExtraMs: number;
}

export const NO_IMPAIRMENT: Impairment = {
  delayMs: 0,
  jitterMs: 0,
  lossPct: 0,
  duplicatePct: 0,
  reorderPct: 0,
  reorderExtraMs: 0,
};

export interface LongHaulLinkSimOptions {
  readonly target: { readonly address: string; readonly port: number };
  readonly forward: Impairment;
  readonly reverse: Impairment;
  readonly seed: number;
  /**
   * Identifies a datagram for the record and the random draws (e.g. a STAMP sequence number).
   * Default: its arrival index in that direction.
   */
  readonly keyOf?: (packet: Buffer, direction: Direction) => number;
  /**
   * Clock for the record, ns. Default: the monotonic clock. Pass the endpoints' wall clock to
   * compare the record with timestamps carried in the packets.
   */
  readonly clock?: () => bigint;
}

export interface DeliveredCopy {
  /** Delay decided for this copy, ms. */
  readonly plannedMs: number;
  /** Time the copy left the relay, on the relay's clock (set once sent). */
  sentNs?: bigint;
}

export interface PacketRecord {
  readonly direction: Direction;
  readonly key: number;
  /** How many datagrams with this key and direction arrived before this one. */
  readonly occurrence: number;
  /** Time the datagram reached the relay, on the relay's clock. */
  readonly arrivedNs: bigint;
  /** The datagram as it arrived. */
  readonly packet: Buffer;
  readonly dropped: boolean;
  readonly reordered: boolean;
  readonly copies: DeliveredCopy[];
}

/** Hold time of a delivered copy in ms: what the simulated link really added. */
export function holdMs(record: PacketRecord, copy: DeliveredCopy): number {
  if (copy.sentNs === undefined) throw new Error(`copy of ${record.direction} packet ${record.key} was never sent`);
  return Number(copy.sentNs - record.arrivedNs) / 1e6;
}

/**
 * dgram resolves even an address literal through dns.lookup, which defers the actual send to a
 * later tick; this lookup answers at once so the send happens inside socket.send().
 */
function literalLookup(
  address: string,
  _opts: unknown,
  callback: (err: Error | null, address: string, family: number) => void,
): void {
  callback(null, address, 4);
}

/** A 32-bit hash (splitmix-style finaliser) of the inputs: one independent draw per question. */
function draw(seed: number, ...parts: number[]): number {
  let h = seed >>> 0;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x9e3779b1);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
  }
  // `^` and Math.imul yield signed 32-bit integers; >>> 0 makes the draw uniform in [0, 1).
  return (h >>> 0) / 0x1_0000_0000;
}

const QUESTION = { loss: 1, duplicate: 2, reorder: 3, jitter: 4 } as const;

export interface Decision {
  readonly dropped: boolean;
  readonly reordered: boolean;
  /** One planned delay per copy delivered: none when dropped, two when duplicated. */
  readonly delaysMs: readonly number[];
}

/** What the link does to one datagram: a pure function of the seed and the datagram's identity. */
export function decide(seed: number, direction: Direction, key: number, occurrence: number, imp: Impairment): Decision {
  const dirCode = direction === 'forward' ? 1 : 2;
  const ask = (question: number, copy = 0): number => draw(seed, dirCode, key, occurrence, question, copy);
  const dropped = ask(QUESTION.loss) * 100 < imp.lossPct;
  const reordered = !dropped && ask(QUESTION.reorder) * 100 < imp.reorderPct;
  const delaysMs: number[] = [];
  if (!dropped) {
    const count = ask(QUESTION.duplicate) * 100 < imp.duplicatePct ? 2 : 1;
    for (let c = 0; c < count; c++) {
      const jitter = (ask(QUESTION.jitter, c) * 2 - 1) * imp.jitterMs;
      delaysMs.push(Math.max(0, imp.delayMs + jitter + (reordered ? imp.reorderExtraMs : 0)));
    }
  }
  return { dropped, reordered, delaysMs };
}

export class LongHaulLinkSim {
  private front: Socket | undefined;
  /** Upstream socket per client "address:port". */
  private readonly upstream = new Map<string, Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly seen = new Map<string, number>();
  private readonly arrivals: Record<Direction, number> = { forward: 0, reverse: 0 };
  readonly records: PacketRecord[] = [];
  private readonly now: () => bigint;

  constructor(private readonly opts: LongHaulLinkSimOptions) {
    this.now = opts.clock ?? (() => process.hrtime.bigint());
    for (const dir of ['forward', 'reverse'] as const) {
      const imp = opts[dir];
      for (const [k, v] of Object.entries(imp)) {
        if (!Number.isFinite(v) || v < 0) throw new RangeError(`${dir}.${k} must be a finite number >= 0, got ${v}`);
      }
      for (const k of ['lossPct', 'duplicatePct', 'reorderPct'] as const) {
        if (imp[k] > 100) throw new RangeError(`${dir}.${k} must be at most 100, got ${imp[k]}`);
      }
    }
  }

  /** Binds the client-facing socket on 127.0.0.1; resolves with its port. */
  async start(): Promise<{ address: string; port: number }> {
    const front = createSocket({ type: 'udp4', lookup: literalLookup });
    this.front = front;
    front.on('message', (msg, rinfo) => this.fromClient(msg, rinfo));
    await new Promise<void>((resolve) => front.bind(0, '127.0.0.1', resolve));
    return { address: '127.0.0.1', port: front.address().port };
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const sockets = [...this.upstream.values(), ...(this.front ? [this.front] : [])];
    this.upstream.clear();
    this.front = undefined;
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  private fromClient(msg: Buffer, client: RemoteInfo): void {
    const id = `${client.address}:${client.port}`;
    let up = this.upstream.get(id);
    if (!up) {
      const socket = createSocket('udp4');
      socket.on('message', (reply) =>
        this.impair(reply, 'reverse', (b) => this.front?.send(b, client.port, client.address)),
      );
      socket.connect(this.opts.target.port, this.opts.target.address);
      this.upstream.set(id, socket);
      up = socket;
    }
    const upstream = up;
    this.impair(msg, 'forward', (b) => {
      // A connected socket rejects sends before 'connect' completes; the first packet waits for it.
      try {
        upstream.send(b);
      } catch {
        upstream.once('connect', () => upstream.send(b));
      }
    });
  }

  private impair(msg: Buffer, direction: Direction, deliver: (b: Buffer) => void): void {
    const arrivedNs = this.now();
    const imp = this.opts[direction];
    const key = this.opts.keyOf ? this.opts.keyOf(msg, direction) : this.arrivals[direction];
    this.arrivals[direction]++;
    const seenKey = `${direction}:${key}`;
    const occurrence = this.seen.get(seenKey) ?? 0;
    this.seen.set(seenKey, occurrence + 1);
    const { dropped, reordered, delaysMs } = decide(this.opts.seed, direction, key, occurrence, imp);
    const copies: DeliveredCopy[] = delaysMs.map((plannedMs) => ({ plannedMs }));
    this.records.push({ direction, key, occurrence, arrivedNs, packet: Buffer.from(msg), dropped, reordered, copies });
    for (const copy of copies) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        deliver(msg);
        // Stamped after the send: dgram hands the datagram to the kernel synchronously here (a
        // connected socket, or an address literal with literalLookup), and on loopback it is in
        // the receiver's queue once sendmsg returns. What remains is the receiver's own latency.
        copy.sentNs = this.now();
      }, copy.plannedMs);
      this.timers.add(timer);
    }
  }
}
