/**
 * The STAMP counters on the agent's /metrics: the Session-Sender's send errors and invalid replies
 * per link, and the Session-Reflector's answers and refusals by reason. Real UDP on loopback, a
 * real agent; the store is a refused ClickHouse address, so batches only spool (nothing here needs
 * them).
 */
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  encodeSenderPacket,
  errorEstimateFromSeconds,
  parseConfig,
  startAgent,
  STAMP_PACKET_LENGTH,
  type Agent,
} from '@meridian/collector';
import { until } from './until.js';

const root = mkdtempSync(join(tmpdir(), 'meridian-stamp-metrics-'));
let agent: Agent | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  await agent?.stop({ deadlineMs: 0 });
  agent = undefined;
  for (const s of sockets.splice(0)) {
    try {
      s.close();
    } catch {
      // closed by the test already (the peer that goes away)
    }
  }
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function boundSocket(): Promise<Socket> {
  const s = createSocket('udp4');
  sockets.push(s);
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
}

/** A UDP port nothing listens on once this returns. */
async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function start(name: string, stamp: string): Promise<Agent> {
  const { config } = parseConfig(
    [
      `collector: { region: eu-west, host: ${name}, id: ${name} }`,
      // Port 1 on loopback refuses at once: the sink spools, and the counters are what is tested.
      'store: { clickhouse: "http://127.0.0.1:1" }',
      `spool: { dir: ${join(root, name)} }`,
      'sources: { nvidiaSmi: { enabled: false }, host: { enabled: false }, nic: { enabled: false } }',
      'telemetry: { listen: "127.0.0.1:0" }',
      stamp,
    ].join('\n'),
    'test.yaml',
    { env: {} },
  );
  return startAgent({ config, log: () => undefined });
}

/** The value of one series on /metrics, or undefined if it is not there. */
async function metric(a: Agent, series: string): Promise<number | undefined> {
  const text = await (await fetch(`${a.metricsUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('STAMP counters on /metrics', () => {
  it('counts the Session-Sender’s invalid replies and send errors per link', async () => {
    // A peer that answers its first 5 probes with 10 octets (no STAMP reply), then goes away, so
    // that the following probes meet ICMP port unreachable.
    const peer = await boundSocket();
    let junk = 0;
    peer.on('message', (_msg, rinfo) => {
      if (junk >= 5) return;
      junk++;
      // Closed once the 5th answer has left (closing at once could drop it).
      peer.send(Buffer.alloc(10), rinfo.port, rinfo.address, () => {
        if (junk === 5) peer.close();
      });
    });
    const port = peer.address().port;
    agent = await start(
      'sender',
      `stamp:\n  sender:\n    rate: 50\n    intervalMs: 1000\n    peers: [{ address: 127.0.0.1, port: ${port}, region: us-east, linkId: l1 }]`,
    );
    const a = agent;
    const errors = 'meridian_collector_stamp_send_errors_total{link_id="l1"}';
    await until(async () => ((await metric(a, errors)) ?? 0) >= 2, 'send errors', 5_000);
    expect(await metric(a, 'meridian_collector_stamp_invalid_replies_total{link_id="l1"}')).toBe(5);
    expect(await metric(a, errors)).toBeGreaterThanOrEqual(2);
    expect(await metric(a, 'meridian_collector_stamp_skipped_slots_total')).toBeGreaterThanOrEqual(0);
  });

  it('counts what the Session-Reflector answered and what it refused, by reason', async () => {
    const port = await freePort();
    // A burst of 2 and a refill of one token in 1000 s: the 3rd and 4th valid request are refused.
    agent = await start(
      'reflector',
      `stamp:\n  reflector: { address: 127.0.0.1, port: ${port}, ratePerSource: 0.001, burstPerSource: 2 }`,
    );
    const a = agent;
    const client = await boundSocket();
    let replies = 0;
    client.on('message', () => replies++);
    const valid = (seq: number): Buffer =>
      encodeSenderPacket({
        seq,
        timestampNs: BigInt(Date.now()) * 1_000_000n,
        errorEstimate: errorEstimateFromSeconds(0.001, false),
        ssid: 0,
      });
    const badEstimate = valid(10);
    badEstimate.writeUInt16BE(0, 12); // multiplier 0
    const mbz = valid(11);
    mbz[STAMP_PACKET_LENGTH - 1] = 1;
    for (const packet of [Buffer.alloc(10), badEstimate, mbz, valid(0), valid(1), valid(2), valid(3)])
      client.send(packet, port, '127.0.0.1');

    const dropped = (reason: string): Promise<number | undefined> =>
      metric(a, `meridian_collector_stamp_reflector_dropped_total{reason="${reason}"}`);
    await until(
      async () => replies === 2 && (await dropped('rate_limited')) === 2,
      'the reflector to see all 7 requests',
      5_000,
    );
    expect(await metric(a, 'meridian_collector_stamp_reflector_replied_total')).toBe(2);
    expect(await dropped('too_short')).toBe(1);
    expect(await dropped('bad_error_estimate')).toBe(1);
    expect(await dropped('mbz_not_zero')).toBe(1);
    expect(await dropped('rate_limited')).toBe(2);
    expect(await dropped('too_long')).toBe(0);
    expect(await dropped('send_error')).toBe(0);
    expect(await dropped('bad_destination')).toBe(0);
  });
});
