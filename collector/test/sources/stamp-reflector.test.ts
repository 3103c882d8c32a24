/**
 * The Session-Reflector's safety rules, on real UDP sockets on loopback: it answers only
 * well-formed requests, never with more bytes than it got, and rate-limits each source address.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { RemoteInfo } from 'node:dgram';
import { KeyedTokenBuckets, TokenBucket } from '../../src/stamp/token-bucket.js';
import { until } from '../until.js';
import {
  decodeReflectorPacket,
  encodeSenderPacket,
  errorEstimateSeconds,
  StampReflector,
  type StampReflectorConfigInput,
} from '../../src/stamp/index.js';

const ee = { synced: true, ptp: false, scale: 0, multiplier: 100 };
const request = (seq: number, length = 44): Buffer =>
  encodeSenderPacket(
    { seq, timestampNs: 1_795_568_400_000_000_000n + BigInt(seq), errorEstimate: ee, ssid: 7 },
    length,
  );

interface Client {
  socket: Socket;
  replies: Buffer[];
  send(b: Buffer): void;
  /** Resolves once `count` replies in total have arrived. */
  waitFor(count: number): Promise<void>;
}

const open: (StampReflector | Socket)[] = [];
afterEach(async () => {
  for (const x of open.splice(0)) {
    if (x instanceof StampReflector) await x.close();
    else x.close();
  }
});

async function reflector(
  config: StampReflectorConfigInput = {},
  clock = { synced: true, errorMs: 0.005 },
): Promise<{ r: StampReflector; port: number }> {
  const r = new StampReflector({ address: '127.0.0.1', port: 0, ...config }, { clock });
  open.push(r);
  const { port } = await r.start();
  return { r, port };
}

async function client(port: number, bindAddress = '127.0.0.1'): Promise<Client> {
  const socket = createSocket('udp4');
  open.push(socket);
  const replies: Buffer[] = [];
  let waiter: { count: number; resolve: () => void } | undefined;
  socket.on('message', (m) => {
    replies.push(m);
    if (waiter && replies.length >= waiter.count) waiter.resolve();
  });
  await new Promise<void>((resolve) => socket.bind(0, bindAddress, resolve));
  return {
    socket,
    replies,
    send: (b) => socket.send(b, port, '127.0.0.1'),
    waitFor: (count) =>
      replies.length >= count
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            const timer = setTimeout(
              () => reject(new Error(`only ${replies.length} of ${count} replies arrived`)),
              5_000,
            );
            waiter = {
              count,
              resolve: () => {
                clearTimeout(timer);
                resolve();
              },
            };
          }),
  };
}

describe('StampReflector', () => {
  it('answers a well-formed request with a reflector packet of the same length', async () => {
    const { r, port } = await reflector();
    const c = await client(port);
    const sent = request(41);
    c.send(sent);
    await c.waitFor(1);
    const reply = c.replies[0] as Buffer;
    expect(reply.length).toBe(44);
    const decoded = decodeReflectorPacket(reply);
    if (!decoded.ok) throw new Error(decoded.reason);
    const p = decoded.packet;
    expect(p.seq).toBe(41); // stateless: the reflector's sequence number copies the sender's
    expect(p.senderSeq).toBe(41);
    expect(p.ssid).toBe(7);
    expect(reply.subarray(28, 36).equals(sent.subarray(4, 12))).toBe(true); // T1 echoed octet for octet
    expect(p.senderErrorEstimate).toEqual(ee);
    expect(p.senderTtl).toBe(0);
    expect(p.timestampNs).toBeGreaterThanOrEqual(p.receiveTimestampNs); // T3 >= T2
    // T2 is this host's wall clock now, to well within a second.
    expect(Math.abs(Number(p.receiveTimestampNs / 1_000_000n) - Date.now())).toBeLessThan(1_000);
    expect(p.errorEstimate.synced).toBe(true);
    expect(errorEstimateSeconds(p.errorEstimate)).toBeGreaterThanOrEqual(0.000005);
    expect(errorEstimateSeconds(p.errorEstimate)).toBeLessThan(0.0000051);
    expect(r.stats()).toMatchObject({ received: 1, replied: 1, invalidShort: 0, rateLimited: 0 });
  });

  it('never replies with more octets than the request carried', async () => {
    const { port } = await reflector({ maxPacketLength: 1000 });
    const c = await client(port);
    const sizes = [44, 45, 64, 128, 999, 1000];
    sizes.forEach((size, i) => c.send(request(i, size)));
    await c.waitFor(sizes.length);
    const bySeq = new Map(c.replies.map((b) => [b.readUInt32BE(24), b.length]));
    sizes.forEach((size, i) => expect(bySeq.get(i)).toBe(size));
    // Padding past octet 44 is zero in the reply, not an echo of the request.
    expect(c.replies.every((b) => b.subarray(44).every((x) => x === 0))).toBe(true);
  });

  it('gives no reply to malformed packets and counts each kind', async () => {
    const { r, port } = await reflector({ maxPacketLength: 200 });
    const c = await client(port);
    const mbz = request(1);
    mbz[30] = 0xff;
    const zeroMultiplier = request(2);
    zeroMultiplier.writeUInt16BE(0x8000, 12);
    const paddingNotZero = request(3, 100);
    paddingNotZero[99] = 1;
    for (const bad of [
      Buffer.alloc(0),
      Buffer.alloc(1),
      request(4).subarray(0, 43),
      request(5, 201),
      mbz,
      zeroMultiplier,
      paddingNotZero,
    ])
      c.send(bad);
    // Loopback keeps order and the reflector answers in order: once this reply is in, every
    // packet before it has been judged.
    c.send(request(99));
    await c.waitFor(1);
    await until(() => r.stats().received === 8, 'the reflector to judge all 8 datagrams');
    expect(c.replies.map((b) => b.readUInt32BE(24))).toEqual([99]);
    expect(r.stats()).toEqual({
      received: 8,
      replied: 1,
      invalidShort: 3,
      invalidLong: 1,
      invalidMbz: 2,
      invalidErrorEstimate: 1,
      rateLimited: 0,
      badDestination: 0,
      sendErrors: 0,
    });
  });

  it('answers non-zero MBZ when strictMbz is off (RFC 8762: ignored on receipt)', async () => {
    const { port } = await reflector({ strictMbz: false });
    const c = await client(port);
    const mbz = request(5);
    mbz[30] = 0xff;
    c.send(mbz);
    await c.waitFor(1);
    expect(c.replies[0]?.readUInt32BE(24)).toBe(5);
  });
});

describe('StampReflector rate limits', () => {
  it('rate-limits each source address with a token bucket, independently of other sources', async () => {
    const { r, port } = await reflector({ ratePerSource: 2, burstPerSource: 5 });
    const a = await client(port, '127.0.0.1');
    const b = await client(port, '127.0.0.2'); // another source address on loopback
    const started = Date.now();
    for (let i = 0; i < 40; i++) a.send(request(i));
    b.send(request(1000));
    await b.waitFor(1);
    await until(() => r.stats().received === 41, 'all 41 requests to be judged');
    await until(() => a.replies.length === r.stats().replied - 1, "a's replies to arrive");
    const elapsedS = (Date.now() - started) / 1000;
    // The burst of 5, plus at most 2/s of refill over the test's lifetime.
    expect(a.replies.length).toBeGreaterThanOrEqual(5);
    expect(a.replies.length).toBeLessThanOrEqual(5 + Math.ceil(2 * elapsedS));
    expect(a.replies.map((x) => x.readUInt32BE(24)).slice(0, 5)).toEqual([0, 1, 2, 3, 4]);
    expect(b.replies.length).toBe(1);
    const stats = r.stats();
    expect(stats.received).toBe(41);
    expect(stats.rateLimited).toBe(40 - a.replies.length);
    expect(stats.replied).toBe(a.replies.length + 1);
  });

  it('caps the total reply rate across sources', async () => {
    const { r, port } = await reflector({ ratePerSource: 1000, burstPerSource: 1000, globalRate: 3 });
    const a = await client(port, '127.0.0.1');
    const b = await client(port, '127.0.0.3');
    for (let i = 0; i < 10; i++) {
      a.send(request(i));
      b.send(request(100 + i));
    }
    await a.waitFor(1);
    await until(() => r.stats().received === 20, 'all 20 requests to be judged');
    await until(() => a.replies.length + b.replies.length === r.stats().replied, 'the replies to arrive');
    expect(a.replies.length + b.replies.length).toBeLessThanOrEqual(4);
    expect(r.stats().rateLimited).toBe(20 - a.replies.length - b.replies.length);
  });

  it('advertises an unsynchronised clock with S = 0', async () => {
    const { port } = await reflector({}, { synced: false, errorMs: 50 });
    const c = await client(port);
    c.send(request(1));
    await c.waitFor(1);
    const decoded = decodeReflectorPacket(c.replies[0] as Buffer);
    if (!decoded.ok) throw new Error(decoded.reason);
    expect(decoded.packet.errorEstimate.synced).toBe(false);
    expect(errorEstimateSeconds(decoded.packet.errorEstimate)).toBeGreaterThanOrEqual(0.05);
  });

  it('rejects bad configuration, naming the key', () => {
    expect(() => new StampReflector({ port: 70_000 })).toThrow(/^stamp\.reflector\.port: /);
    expect(() => new StampReflector({ address: 'example.org' })).toThrow(
      'stamp.reflector.address: "example.org" is not an IP address',
    );
    expect(() => new StampReflector({ maxPacketLength: 20 })).toThrow(/^stamp\.reflector\.maxPacketLength: /);
    expect(() => new StampReflector({ burstPerSource: 0 })).toThrow(/^stamp\.reflector\.burstPerSource: /);
    expect(() => new StampReflector({ rateLimit: 5 } as StampReflectorConfigInput)).toThrow(
      /^stamp\.reflector: .*rateLimit/,
    );
  });

  it('reports a port already in use instead of crashing', async () => {
    const { port } = await reflector();
    const second = new StampReflector({ address: '127.0.0.1', port });
    await expect(second.start()).rejects.toThrow(/EADDRINUSE/);
    await second.close();
  });
});

describe('KeyedTokenBuckets', () => {
  it('allows a burst, refills at the rate, and keeps keys apart', () => {
    const b = new KeyedTokenBuckets({ ratePerSec: 10, burst: 3 }, 100);
    expect([1, 2, 3, 4].map(() => b.take('a', 0))).toEqual([true, true, true, false]);
    expect(b.take('b', 0)).toBe(true);
    expect(b.take('a', 50)).toBe(false); // 0.5 token after 50 ms
    expect(b.take('a', 100)).toBe(true); // 1 token after 100 ms
    expect(b.take('a', 100)).toBe(false);
    expect(b.take('a', 10_000)).toBe(true); // refills to the burst, not beyond
    expect([1, 2, 3].map(() => b.take('a', 10_000))).toEqual([true, true, false]);
  });

  it('forgets the least recently seen key when full, so memory stays bounded', () => {
    const b = new KeyedTokenBuckets({ ratePerSec: 1, burst: 1 }, 2);
    expect(b.take('a', 0)).toBe(true);
    expect(b.take('b', 0)).toBe(true);
    expect(b.take('a', 0)).toBe(false); // a is now the most recently seen
    expect(b.take('c', 0)).toBe(true); // evicts b
    expect(b.size).toBe(2);
    expect(b.take('a', 0)).toBe(false); // a was kept, still empty
    expect(b.take('b', 0)).toBe(true); // b was forgotten: a fresh bucket
    expect(() => new KeyedTokenBuckets({ ratePerSec: 0, burst: 1 }, 1)).toThrow(/ratePerSec/);
  });
});

describe('TokenBucket (the global cap)', () => {
  it('takes as one key of KeyedTokenBuckets does: a full burst, a refill at the rate, never beyond the burst', () => {
    const one = new TokenBucket({ ratePerSec: 10, burst: 3 });
    const keyed = new KeyedTokenBuckets({ ratePerSec: 10, burst: 3 }, 1);
    const times = [5, 5, 5, 5, 55, 105, 105, 10_000, 10_000, 10_000, 10_000];
    expect(times.map((t) => one.take(t))).toEqual(times.map((t) => keyed.take('*', t)));
    expect(times.map((t) => one.take(t + 20_000))).toEqual([
      true,
      true,
      true,
      false,
      false,
      true,
      false,
      true,
      true,
      true,
      false,
    ]);
    expect(() => new TokenBucket({ ratePerSec: 1, burst: 0 })).toThrow(/burst >= 1/);
  });
});

describe('StampReflector, replies that cannot be sent (issue 17.1)', () => {
  it('drops a request from source port 0 and a failed send, counts each, and answers the next probe', async () => {
    const { r, port } = await reflector();
    const c = await client(port);
    // No userspace socket can send from port 0, so the reply path is driven with a crafted rinfo.
    const crafted: RemoteInfo = { address: '127.0.0.1', family: 'IPv4', port: 0, size: 44 };
    expect(() => r['onMessage'](request(1), crafted)).not.toThrow();
    expect(() => r['onMessage'](request(2), { ...crafted, port: 70_000 })).not.toThrow();
    expect(() => r['onMessage'](request(3), { ...crafted, address: 'not-an-ip', port: 5000 })).not.toThrow();
    expect(r.stats()).toMatchObject({ received: 3, replied: 0, badDestination: 3, sendErrors: 0 });

    // A send that throws, then one whose callback reports an error: counted, never thrown.
    const socket = r['socket']!;
    const realSend = socket.send.bind(socket);
    socket.send = (() => {
      throw Object.assign(new Error('boom'), { code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' });
    }) as typeof socket.send;
    expect(() => r['onMessage'](request(4), { ...crafted, port: 5000 })).not.toThrow();
    socket.send = ((...args: unknown[]) => {
      const cb = args[args.length - 1] as (err: Error | null) => void;
      cb(new Error('EPERM'));
    }) as typeof socket.send;
    r['onMessage'](request(5), { ...crafted, port: 5000 });
    expect(r.stats()).toMatchObject({ badDestination: 3, sendErrors: 2, replied: 0 });
    socket.send = realSend;

    c.send(request(6));
    await c.waitFor(1);
    expect(c.replies[0]?.readUInt32BE(24)).toBe(6);
    expect(r.stats()).toMatchObject({ received: 6, replied: 1, badDestination: 3, sendErrors: 2 });
  });
});
