/** The long-haul link simulation itself: seeded decisions, and what it does on the wire. */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { decide, holdMs, LongHaulLinkSim, NO_IMPAIRMENT, type Impairment } from './long-haul-link-sim.js';

const imp: Impairment = { delayMs: 9.8, jitterMs: 1.5, lossPct: 5, duplicatePct: 2, reorderPct: 3, reorderExtraMs: 12 };

describe('decide', () => {
  it('is a pure function of seed, direction, key and occurrence', () => {
    for (let key = 0; key < 200; key++) {
      expect(decide(7, 'forward', key, 0, imp)).toEqual(decide(7, 'forward', key, 0, imp));
    }
    const pattern = (seed: number): string =>
      Array.from({ length: 2000 }, (_, k) => (decide(seed, 'forward', k, 0, imp).dropped ? '1' : '0')).join('');
    expect(pattern(7)).toBe(pattern(7));
    expect(pattern(7)).not.toBe(pattern(8));
    // Directions and repeat occurrences draw independently.
    const fwd = Array.from({ length: 2000 }, (_, k) => decide(7, 'forward', k, 0, imp).dropped);
    const rev = Array.from({ length: 2000 }, (_, k) => decide(7, 'reverse', k, 0, imp).dropped);
    const again = Array.from({ length: 2000 }, (_, k) => decide(7, 'forward', k, 1, imp).dropped);
    expect(fwd).not.toEqual(rev);
    expect(fwd).not.toEqual(again);
  });

  it('injects the configured rates and delays', () => {
    const n = 40_000;
    let dropped = 0;
    let duplicated = 0;
    let reordered = 0;
    let delaySum = 0;
    let delays = 0;
    const outOfRange: number[] = [];
    for (let key = 0; key < n; key++) {
      const d = decide(20261125, 'forward', key, 0, imp);
      if (d.dropped) {
        if (d.delaysMs.length !== 0) outOfRange.push(-1);
        dropped++;
        continue;
      }
      if (d.delaysMs.length === 2) duplicated++;
      if (d.reordered) reordered++;
      for (const ms of d.delaysMs) {
        const base = ms - (d.reordered ? imp.reorderExtraMs : 0);
        if (base < imp.delayMs - imp.jitterMs - 1e-9 || base > imp.delayMs + imp.jitterMs + 1e-9) outOfRange.push(ms);
        if (!d.reordered) {
          delaySum += ms;
          delays++;
        }
      }
    }
    expect(outOfRange).toEqual([]);
    // Binomial: 5% of 40,000 has a standard deviation of 0.11 percentage points.
    expect((dropped / n) * 100).toBeGreaterThan(4.6);
    expect((dropped / n) * 100).toBeLessThan(5.4);
    expect((duplicated / (n - dropped)) * 100).toBeGreaterThan(1.7);
    expect((duplicated / (n - dropped)) * 100).toBeLessThan(2.3);
    expect((reordered / (n - dropped)) * 100).toBeGreaterThan(2.6);
    expect((reordered / (n - dropped)) * 100).toBeLessThan(3.4);
    expect(delaySum / delays).toBeGreaterThan(9.75);
    expect(delaySum / delays).toBeLessThan(9.85);
  });

  it('never plans a negative delay', () => {
    for (let key = 0; key < 1000; key++) {
      for (const ms of decide(3, 'reverse', key, 0, { ...NO_IMPAIRMENT, delayMs: 0.2, jitterMs: 5 }).delaysMs)
        expect(ms).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('LongHaulLinkSim on loopback', () => {
  const sockets: Socket[] = [];
  let sim: LongHaulLinkSim | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
    for (const s of sockets.splice(0)) s.close();
  });

  async function echoServer(): Promise<number> {
    const s = createSocket('udp4');
    sockets.push(s);
    s.on('message', (m, r) => s.send(m, r.port, r.address));
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
    return s.address().port;
  }

  async function exchange(
    forward: Impairment,
    reverse: Impairment,
    count: number,
    waitMs: number,
  ): Promise<{ got: number[]; sim: LongHaulLinkSim }> {
    const port = await echoServer();
    sim = new LongHaulLinkSim({
      target: { address: '127.0.0.1', port },
      forward,
      reverse,
      seed: 11,
      keyOf: (b) => b.readUInt32BE(0),
    });
    const front = await sim.start();
    const client = createSocket('udp4');
    sockets.push(client);
    const got: number[] = [];
    client.on('message', (m) => got.push(m.readUInt32BE(0)));
    await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
    for (let i = 0; i < count; i++) {
      const b = Buffer.alloc(8);
      b.writeUInt32BE(i, 0);
      client.send(b, front.port, front.address);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await new Promise((resolve) => setTimeout(resolve, waitMs));
    return { got, sim };
  }

  it('delivers every datagram both ways after at least the planned delay, and records it', async () => {
    const { got, sim } = await exchange({ ...NO_IMPAIRMENT, delayMs: 5 }, { ...NO_IMPAIRMENT, delayMs: 3 }, 50, 100);
    expect([...got].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(sim.records.filter((r) => r.direction === 'forward')).toHaveLength(50);
    expect(sim.records.filter((r) => r.direction === 'reverse')).toHaveLength(50);
    for (const r of sim.records) {
      expect(r.dropped).toBe(false);
      expect(r.copies).toHaveLength(1);
      const copy = r.copies[0];
      if (!copy) throw new Error('no copy');
      // libuv starts a timer from the loop's cached clock, so it can fire up to ~1.5 ms before
      // the planned delay has passed since the datagram's arrival; the record keeps the truth.
      expect(holdMs(r, copy)).toBeGreaterThan(copy.plannedMs - 2);
      expect(holdMs(r, copy)).toBeLessThan(copy.plannedMs + 100);
    }
  });

  it('drops everything at 100% loss and duplicates everything at 100% duplication', async () => {
    const lossy = await exchange({ ...NO_IMPAIRMENT, lossPct: 100 }, NO_IMPAIRMENT, 20, 50);
    expect(lossy.got).toEqual([]);
    expect(lossy.sim.records.every((r) => r.dropped && r.copies.length === 0)).toBe(true);
    await sim?.close();
    sim = undefined;
    const dup = await exchange({ ...NO_IMPAIRMENT, duplicatePct: 100 }, NO_IMPAIRMENT, 10, 50);
    // Each request arrives twice at the echo server, so each comes back twice.
    expect(dup.got.length).toBe(20);
  });

  it('rejects impossible impairments, naming the field', () => {
    const target = { address: '127.0.0.1', port: 9 };
    expect(
      () =>
        new LongHaulLinkSim({ target, forward: { ...NO_IMPAIRMENT, lossPct: 101 }, reverse: NO_IMPAIRMENT, seed: 1 }),
    ).toThrow('forward.lossPct must be at most 100, got 101');
    expect(
      () =>
        new LongHaulLinkSim({ target, forward: NO_IMPAIRMENT, reverse: { ...NO_IMPAIRMENT, delayMs: -1 }, seed: 1 }),
    ).toThrow('reverse.delayMs must be a finite number >= 0, got -1');
  });
});
