/**
 * The Session-Sender against real reflectors on loopback: labels, multiple peers, an
 * unsynchronised far end, a peer that is down, and configuration errors.
 */
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import {
  parseStampSenderConfig,
  StampReflector,
  StampSender,
  type StampReport,
  type StampSenderConfigInput,
} from '../../src/stamp/index.js';
import { until } from '../until.js';

const synced = { synced: true, errorMs: 0.05 };
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0)) await f();
});

async function reflector(clock = synced): Promise<number> {
  const r = new StampReflector({ address: '127.0.0.1', port: 0 }, { clock });
  cleanup.push(() => r.close());
  return (await r.start()).port;
}

/** A loopback port with nothing listening on it. */
async function deadPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const base = { host: 'gpu-eu-01', region: 'eu-west', rate: 50, intervalMs: 500, lossTimeoutMs: 200 };

/** Probes until every peer has sent `probes` probes, then stops (draining): waits on the count, not a time. */
async function probe(
  config: StampSenderConfigInput,
  probes: number,
  clock = synced,
): Promise<{ reports: StampReport[]; sender: StampSender; elapsedMs: number }> {
  const reports: StampReport[] = [];
  const sender = new StampSender(config, { clock, onReport: (r) => reports.push(r) });
  await sender.start();
  const started = performance.now();
  await until(() => sender.stats().peers.every((p) => p.probesSent >= probes), `${probes} probes to each peer`);
  const elapsedMs = performance.now() - started;
  await sender.stop();
  return { reports, sender, elapsedMs };
}

describe('StampSender', () => {
  it('probes several peers and labels each row from its peer', async () => {
    const [p1, p2] = [await reflector(), await reflector()];
    const { reports, elapsedMs } = await probe(
      {
        ...base,
        peers: [
          { address: '127.0.0.1', port: p1, region: 'us-east' },
          { address: '127.0.0.1', port: p2, region: 'us-east', linkId: 'eu-west->us-east#2' },
        ],
      },
      60, // 1.2 s at 50/s
    );
    const ids = new Set(reports.map((r) => r.row.link_id));
    expect(ids).toEqual(new Set(['eu-west->us-east', 'eu-west->us-east#2']));
    for (const id of ids) {
      const rows = reports.filter((r) => r.row.link_id === id).map((r) => r.row);
      const sent = rows.reduce((n, r) => n + Number(r.probes_sent), 0);
      const received = rows.reduce((n, r) => n + Number(r.probes_received), 0);
      // 50/s for 1.2 s (or longer, if a loaded machine woke the test late); none lost on loopback.
      expect(sent).toBeGreaterThanOrEqual(40);
      expect(sent).toBeLessThanOrEqual(Math.ceil((elapsedMs / 1000) * 50) + 2);
      expect(received).toBe(sent);
      for (const row of rows) {
        expect(row).toMatchObject({
          source: 'stamp',
          region_from: 'eu-west',
          region_to: 'us-east',
          host: 'gpu-eu-01',
          lane: 0,
          method: 'stamp',
          loss_pct: 0,
          clock_synced: 1,
        });
        expect(Number(row.rtt_min)).toBeGreaterThan(0);
        expect(Number(row.rtt_p50)).toBeLessThan(20); // loopback: well under a millisecond unless the machine is starved
        expect(typeof row.owd_forward).toBe('number');
      }
    }
  });

  it('stores no one-way delay when the reflector says its clock is unsynchronised', async () => {
    const port = await reflector({ synced: false, errorMs: 5 });
    const { reports } = await probe({ ...base, peers: [{ address: '127.0.0.1', port, region: 'ap-south' }] }, 35);
    expect(reports.length).toBeGreaterThan(0);
    for (const { row } of reports) {
      if (row.probes_received === 0) continue;
      expect(row.clock_synced).toBe(0);
      expect(Number(row.clock_error)).toBeGreaterThanOrEqual(5);
      expect(row).not.toHaveProperty('owd_forward');
      expect(row).not.toHaveProperty('owd_reverse');
      expect(Number(row.rtt_avg)).toBeGreaterThan(0);
    }
  });

  it('reports a peer that does not answer as 100% loss, and keeps going', async () => {
    const port = await deadPort();
    const { reports, sender } = await probe(
      { ...base, peers: [{ address: '127.0.0.1', port, region: 'us-west' }] },
      35,
    );
    expect(reports.length).toBeGreaterThan(0);
    for (const { row } of reports) {
      expect(row).toMatchObject({ probes_received: 0, loss_pct: 100 });
      expect(Number(row.probes_sent)).toBeGreaterThan(0);
      expect(row).not.toHaveProperty('rtt_avg');
    }
    // The counters outlive stop(), for a last scrape.
    const [peer] = sender.stats().peers;
    expect(peer?.probesSent).toBeGreaterThan(20);
    expect(peer?.repliesReceived).toBe(0);
  });

  it('queues reports for takeReports() when no callback is given', async () => {
    const port = await reflector();
    const sender = new StampSender({ ...base, peers: [{ address: '127.0.0.1', port, region: 'us-east' }] });
    await sender.start();
    // Over 0.6 s of probes: they span at least two 500 ms intervals.
    await until(() => (sender.stats().peers[0]?.probesSent ?? 0) > 30, '31 probes');
    const live = sender.stats();
    expect(live.peers[0]).toMatchObject({
      linkId: 'eu-west->us-east',
      sendErrors: 0,
      invalidReplies: 0,
      mismatchedReplies: 0,
    });
    expect(live.peers[0]?.probesSent).toBeGreaterThan(30);
    await sender.stop();
    const reports = sender.takeReports();
    expect(reports.length).toBeGreaterThanOrEqual(2);
    expect(reports.every((r) => r.row.link_id === 'eu-west->us-east')).toBe(true);
    expect(sender.takeReports()).toEqual([]);
  });

  it('rejects bad configuration, naming the key', () => {
    const peers = [{ address: '10.0.0.2', region: 'us-east' }];
    expect(() =>
      parseStampSenderConfig({ ...base, peers: [...peers, { address: '10.0.0.3', port: 0, region: 'us' }] }),
    ).toThrow(/^stamp\.sender\.peers\[1\]\.port: /);
    expect(() =>
      parseStampSenderConfig({ ...base, peers: [...peers, { address: '10.0.0.3', region: 'us-east' }] }),
    ).toThrow('stamp.sender.peers[1].linkId: link id "eu-west->us-east" is already used by peers[0]');
    expect(() => parseStampSenderConfig({ ...base, peers, rate: 1, intervalMs: 500 })).toThrow(
      /^stamp\.sender\.rate: at 1\/s no probe would be sent/,
    );
    expect(() => parseStampSenderConfig({ ...base, peers, rate: 0 })).toThrow(/^stamp\.sender\.rate: /);
    expect(() => parseStampSenderConfig({ ...base, peers, packetLength: 40 })).toThrow(
      /^stamp\.sender\.packetLength: /,
    );
    expect(() => parseStampSenderConfig({ ...base, peer: peers })).toThrow(/^stamp\.sender(\.peers)?: /);
    expect(() => parseStampSenderConfig({ region: 'eu-west', peers }, 'collector.stamp')).toThrow(
      /^collector\.stamp\.host: /,
    );
    const ok = parseStampSenderConfig({ host: 'h', region: 'eu-west', peers });
    expect(ok).toMatchObject({
      rate: 10,
      intervalMs: 60_000,
      lossTimeoutMs: 2_000,
      packetLength: 44,
      maxClockErrorMs: 1,
      peers: [{ port: 862, ssid: 0 }],
    });
  });
});

describe('StampSender start-up failures', () => {
  it('names the peer it cannot reach instead of hanging', async () => {
    // An IPv6 address on a udp6 socket: fine where IPv6 exists; where it does not, the error must
    // name the peer. Either way start() must settle.
    const sender = new StampSender({ ...base, peers: [{ address: '::1', port: 9, region: 'x' }] });
    const outcome = await sender.start().then(
      () => 'started',
      (err: Error) => err.message,
    );
    await sender.stop({ drain: false });
    expect(outcome === 'started' || outcome.startsWith('stamp.sender.peers[0]: cannot open a socket to ::1:9')).toBe(
      true,
    );
  });
});
