/**
 * The STAMP sender with no configured peers, on a real store (chDB) and real UDP: it reads the
 * roster from the hosts that report and the topology, probes only when elected, hands a stale
 * prober's pair to the next host, and keeps probing through a store that stops answering.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '@meridian/store';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/index.js';
import { stampSenderFactory } from '../../src/sources/stamp-sender/index.js';
import { inProcessSender, type SenderFactory } from '../../src/sources/stamp-sender/sender-handle.js';
import { StampSenderSource } from '../../src/sources/stamp-sender/source.js';
import { StampReflector } from '../../src/stamp/index.js';
import { readRosterInput, type RosterQuery } from '../../src/stamp/roster-read.js';
import { recorder, until, type Recorder } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'meridian-roster-'));
let store: Store;
let reflector: StampReflector;
let port: number;
const started: StampSenderSource[] = [];

/** A collector config from its YAML, as the agent reads it (no environment overrides). */
function parseCollectorConfig(input: object) {
  return parseConfig(stringify({ store: { clickhouse: 'http://127.0.0.1:8123' }, ...input }), 'collector.yaml', {
    env: {},
  }).config;
}

/** Host rows for `hosts` at `ts` (the 1-minute host rollup, which the roster reads, fills from them). */
async function report(region: string, hosts: readonly string[], ts = Date.now()): Promise<void> {
  await store.writer('host').write(hosts.map((host) => ({ ts, source: 'host', region, host, cpu_util: 10 })));
}

beforeAll(async () => {
  store = await openStore({ data: join(dir, 'data') });
  await store.migrate();
  reflector = new StampReflector({ address: '127.0.0.1', port: 0, ratePerSource: 10_000, burstPerSource: 10_000 });
  port = (await reflector.start()).port;
  // Region b's one reporting host is this machine's loopback address, where the reflector listens.
  await report('a', ['a-1', 'a-2', 'a-3']);
  await report('b', ['127.0.0.1']);
  // A twin host in region a must never be elected: no collector runs on it.
  await store.writer('host').write([{ ts: Date.now(), source: 'sim', region: 'a', host: 'a-sim', cpu_util: 1 }]);
  await store.insert('topology', [
    { updated: Date.now(), source: 'topology', kind: 'link', id: 'a->b', region: 'a', region_to: 'b' },
  ]);
});

afterEach(async () => {
  for (const s of started.splice(0)) await s.stop();
});

afterAll(async () => {
  await reflector.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function sender(
  host: string,
  query: RosterQuery,
  rec: Recorder = recorder(),
): { src: StampSenderSource; rec: Recorder; probing: boolean[] } {
  const config = parseCollectorConfig({
    collector: { region: 'a', host },
    stamp: { sender: { rate: 50, intervalMs: 200, lossTimeoutMs: 100, roster: { port, intervalMs: 60_000 } } },
  }).stamp.sender;
  // Its senders, recorded: true when one starts probing, false when one stops.
  const probing: boolean[] = [];
  const senders: SenderFactory = (input, opts) => {
    const s = inProcessSender(input, opts);
    return {
      config: s.config,
      stats: () => s.stats(),
      start: async () => {
        await s.start();
        probing.push(true);
      },
      stop: async (o) => {
        await s.stop(o);
        probing.push(false);
      },
    };
  };
  const src = new StampSenderSource({ host, region: 'a', config, query, senders });
  started.push(src);
  return { src, rec, probing };
}

const storeQuery: RosterQuery = (sql, params) => store.query(sql, params);

describe('the STAMP roster on a real store', () => {
  it("reads the reporting hosts (never the twin's) and the declared links", async () => {
    const input = await readRosterInput(storeQuery, 180_000);
    expect(input.hosts).toEqual([
      { region: 'a', host: 'a-1' },
      { region: 'a', host: 'a-2' },
      { region: 'a', host: 'a-3' },
      { region: 'b', host: '127.0.0.1' },
    ]);
    expect(input.links).toEqual([{ region: 'a', regionTo: 'b' }]);
  });

  it('elects two of the three hosts of region a to probe region b; the third only reflects', async () => {
    const senders = ['a-1', 'a-2', 'a-3'].map((h) => sender(h, storeQuery));
    for (const { src, rec } of senders) await src.start(rec.ctx);
    for (const { src } of senders) await src.refreshRoster();
    const probing = senders.filter(({ src }) => src.peers().length > 0);
    expect(probing).toHaveLength(2);
    for (const { src } of probing) expect(src.peers()).toEqual([{ address: '127.0.0.1', port, region: 'b', ssid: 0 }]);
    // The elected ones measure the link: rows with probes answered by the far reflector.
    for (const { rec } of probing) {
      await until(() => rec.link().some((r) => Number(r['probes_received']) > 0), 'an answered probe interval');
      expect(rec.link()[0]).toMatchObject({ link_id: 'a->b', region_from: 'a', region_to: 'b', method: 'stamp' });
    }
    const idle = senders.find(({ src }) => src.peers().length === 0)!;
    expect(idle.rec.logs.join('\n')).toMatch(/not elected to probe any region: reflector only/);
    expect(idle.rec.link()).toEqual([]);
  });

  it('hands a prober that stopped reporting over to the host that did not probe', async () => {
    const senders = new Map(['a-1', 'a-2', 'a-3'].map((h) => [h, sender(h, storeQuery)] as const));
    for (const { src, rec } of senders.values()) await src.start(rec.ctx);
    for (const { src } of senders.values()) await src.refreshRoster();
    const elected = [...senders].filter(([, s]) => s.src.peers().length > 0).map(([h]) => h);
    const spare = [...senders.keys()].find((h) => !elected.includes(h))!;
    const gone = elected[0]!;
    // The host's rows age out of the window: here they are deleted, which the roster cannot tell apart.
    await store.query(`ALTER TABLE host_1m DELETE WHERE host = {h:String} SETTINGS mutations_sync = 1`, { h: gone });
    for (const { src } of senders.values()) await src.refreshRoster();
    expect(
      senders
        .get(spare)!
        .src.peers()
        .map((p) => p.region),
    ).toEqual(['b']);
    expect(
      senders
        .get(elected[1]!)!
        .src.peers()
        .map((p) => p.region),
    ).toEqual(['b']);
    expect(senders.get(gone)!.src.peers()).toEqual([]);
    // A sender starts where a host is elected and stops where it no longer is (the collect command
    // runs each in a process of its own: started and stopped here).
    expect(senders.get(gone)!.probing).toEqual([true, false]);
    expect(senders.get(spare)!.probing).toEqual([true]);
    expect(senders.get(elected[1]!)!.probing).toEqual([true]);
    await senders.get(spare)!.src.stop();
    expect(senders.get(spare)!.probing).toEqual([true, false]);
    await report('a', [gone]);
  });

  it('keeps probing what it was elected for while the store does not answer, and counts the failure', async () => {
    let down = false;
    const flaky: RosterQuery = (sql, params) =>
      down ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:8123')) : storeQuery(sql, params);
    const all = ['a-1', 'a-2', 'a-3'].map((h) => sender(h, flaky));
    for (const { src, rec } of all) await src.start(rec.ctx);
    for (const { src } of all) await src.refreshRoster();
    const prober = all.find(({ src }) => src.peers().length > 0)!;
    down = true;
    await prober.src.refreshRoster();
    expect(prober.src.peers().map((p) => p.region)).toEqual(['b']);
    expect(prober.rec.ctx.errors.snapshot()).toContainEqual(
      expect.objectContaining({ source: 'stamp-sender', field: 'roster', reason: 'task_failed', count: 1 }),
    );
    expect(prober.rec.logs.join('\n')).toMatch(/roster failed: connect ECONNREFUSED/);
  });

  it('is off, or says it cannot run, when there is neither a peer nor a roster', async () => {
    const off = parseCollectorConfig({
      collector: { region: 'a', host: 'h' },
      stamp: { sender: { roster: { enabled: false } } },
    });
    expect(stampSenderFactory.enabled(off)).toBe(false);
    const on = parseCollectorConfig({ collector: { region: 'a', host: 'h' } });
    expect(stampSenderFactory.enabled(on)).toBe(true);
    const rec = recorder();
    const src = new StampSenderSource({ host: 'h', region: 'a', config: on.stamp.sender });
    started.push(src);
    await src.start(rec.ctx);
    expect(src.state()).toBe('unavailable');
    expect(rec.unavailable.join('\n')).toMatch(/no stamp.sender.peers and no store to read the roster from/);
  });

  it('refuses a roster setting out of range, naming the key', () => {
    expect(() =>
      parseCollectorConfig({
        collector: { region: 'a', host: 'h' },
        stamp: { sender: { roster: { probersPerPeer: 0 } } },
      }),
    ).toThrow(/stamp\.sender\.roster\.probersPerPeer/);
  });
});
