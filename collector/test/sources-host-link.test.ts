/**
 * Host and passive-link sources on this machine: real /proc, /sys and statfs, and
 * for ethtool (absent here, and no optics anyway) a SIMULATED ethtool that prints the real captures.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostSource, parseMeminfo, parseProcStatCpu } from '../src/sources/host.js';
import { LinkPassiveSource } from '../src/sources/link-passive.js';
import { CounterTracker } from '../src/sources/counters.js';
import { ProcFile } from '../src/sources/proc-file.js';
import { Backoff } from '../src/sources/backoff.js';
import { fixturePath } from './fixtures-helpers.js';
import { recorder } from './sources-helpers.js';

let stoppers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stoppers) await s();
  stoppers = [];
});

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'meridian-src-'));
}

describe('host source', () => {
  it('reads CPU, memory, load, disk and per-interface counters', async () => {
    const rec = recorder();
    const src = new HostSource({
      intervalMs: 60_000,
      procNetDev: fixturePath('link/proc-net-dev_node-exporter-fixture.txt'),
    });
    stoppers.push(() => src.stop());
    await src.start(rec.ctx);
    const whole = rec.host().find((r) => r.interface === undefined)!;
    expect(whole).toMatchObject({ source: 'host', region: 'eu-west', host: 'gpu-host-1' });
    expect(whole.mem_total).toBe(totalmem());
    expect(whole.cpu_util).toBeGreaterThanOrEqual(0);
    expect(whole.cpu_util).toBeLessThanOrEqual(100);
    expect(whole.disk_total).toBeGreaterThan(0);
    expect(whole.disk_used).toBeLessThanOrEqual(whole.disk_total as number);
    const eth0 = rec.host().find((r) => r.interface === 'eth0')!;
    expect(eth0.net_rx_bytes).toBe(68210035552);
    expect(rec.host().some((r) => r.interface === 'lo')).toBe(false); // loopback skipped by default
  });

  it('reads memory and CPU ticks from /proc text the way systeminformation and os.cpus() did', () => {
    const meminfo = [
      'MemTotal:       24683716 kB',
      'MemFree:        21764204 kB',
      'MemAvailable:   23835688 kB',
      'Buffers:           96524 kB',
      'Cached:          2176908 kB',
      'Slab:             166212 kB',
    ].join('\n');
    expect(parseMeminfo(meminfo)).toEqual({ total: 24683716 * 1024, active: (24683716 - 23835688) * 1024 });
    // Kernels before 3.14 have no MemAvailable: free + buffers + cached + slab is what is available.
    const old = meminfo.replace(/MemAvailable:.*\n/, '');
    expect(parseMeminfo(old)?.active).toBe((24683716 - 21764204 - 96524 - 2176908 - 166212) * 1024);
    expect(parseMeminfo('MemFree: 5 kB\n')).toBeUndefined();
    // user nice system idle iowait irq softirq steal: busy counts user, nice, system and irq.
    expect(parseProcStatCpu('cpu  100 5 50 1000 40 7 3 0 0 0\ncpu0 50 2 25 500 20 3 1 0 0 0\n')).toEqual({
      busy: 162,
      total: 1162,
    });
    expect(parseProcStatCpu('intr 1 2 3\n')).toBeUndefined();
  });

  it('a kept-open file is read whole however long it grows, and afresh after a rewrite in place', () => {
    const path = join(tmp(), 'stat');
    const long = Array.from({ length: 300 }, (_, i) => `cpu${i} ${i} 0 ${i * 2} 1000 0 0 0 0 0 0`).join('\n');
    writeFileSync(path, long);
    const f = new ProcFile(path, 16); // far smaller than the file: the buffer has to grow
    expect(f.read()).toBe(long);
    writeFileSync(path, 'cpu  1 2 3 4\n');
    expect(f.read()).toBe('cpu  1 2 3 4\n');
    f.close();
    expect(() => new ProcFile(join(path, 'nope')).read()).toThrow(/ENOTDIR|ENOENT/);
  });

  it('CPU busy share is the tick delta between two readings of /proc/stat', async () => {
    const dir = tmp();
    const stat = join(dir, 'stat');
    writeFileSync(stat, 'cpu  100 0 100 800 0 0 0 0 0 0\n');
    const rec = recorder();
    const src = new HostSource({ intervalMs: 60_000, procStat: stat, procNetDev: join(dir, 'missing') });
    stoppers.push(() => src.stop());
    await src.start(rec.ctx);
    writeFileSync(stat, 'cpu  130 0 130 840 0 0 0 0 0 0\n'); // 60 busy of 100 ticks
    await src.collect();
    expect(rec.host().map((r) => r.cpu_util)).toEqual([20, 60]);
  });

  it('notices a counter reset between cycles', async () => {
    const dir = tmp();
    const file = join(dir, 'dev');
    const dev = (rx: number): string =>
      `Inter-|   Receive |  Transmit\n face |bytes packets|bytes\n  eth7: ${rx} 10 0 0 0 0 0 0 500 5 0 0 0 0 0 0\n`;
    writeFileSync(file, dev(1_000_000));
    const rec = recorder();
    const src = new HostSource({ intervalMs: 60_000, procNetDev: file, interfaces: ['eth7'] });
    stoppers.push(() => src.stop());
    await src.start(rec.ctx);
    writeFileSync(file, dev(4_000));
    await src.collect();
    expect(rec.ctx.errors.get('host', 'net_rx_bytes', 'counter_reset')).toBe(1);
    expect(
      rec
        .host()
        .filter((r) => r.interface === 'eth7')
        .map((r) => r.net_rx_bytes),
    ).toEqual([1_000_000, 4_000]);
  });
});

/** A SIMULATED ethtool: prints the real captures for -S and -m, or fails like a port without DOM. */
function fakeEthtool(dir: string, opts: { noDom?: boolean } = {}): string {
  const path = join(dir, 'ethtool');
  const s = fixturePath('link/ethtool-S_mlx5_core-kernel-4.15_with-phy-counters_ethq-testdata.txt');
  const m = fixturePath('link/ethtool-m_qsfpplus-40g-sr4_sff8636_mlx4_1-of-4-lanes-lit_netdev-mail-excerpt.txt');
  writeFileSync(
    path,
    [
      '#!/bin/sh',
      `case "$1" in`,
      `  -S) cat '${s}' ;;`,
      opts.noDom ? `  -m) echo "netlink error: Operation not supported" >&2; exit 1 ;;` : `  -m) cat '${m}' ;;`,
      'esac',
    ].join('\n'),
  );
  chmodSync(path, 0o755);
  return path;
}

function sysfs(dir: string, iface: string, crc: number, downs: number): string {
  const root = join(dir, 'net');
  mkdirSync(join(root, iface, 'statistics'), { recursive: true });
  writeFileSync(join(root, iface, 'statistics', 'rx_crc_errors'), `${crc}\n`);
  writeFileSync(join(root, iface, 'carrier_down_count'), `${downs}\n`);
  return root;
}

describe('passive link source', () => {
  it('reads sysfs counters, ethtool -S and ethtool -m (one row per lane, dark lanes without rx power)', async () => {
    const dir = tmp();
    const rec = recorder();
    const src = new LinkPassiveSource({
      interfaces: ['eth2'],
      sysfsRoot: sysfs(dir, 'eth2', 5, 2),
      ethtoolPath: fakeEthtool(dir),
      countersIntervalMs: 60_000,
      ethtoolIntervalMs: 60_000,
    });
    stoppers.push(() => src.stop());
    await src.start(rec.ctx);
    const byMethod = (m: string) => rec.link().filter((r) => r.method === m);
    expect(byMethod('sysfs')).toEqual([
      expect.objectContaining({
        link_id: 'eth2',
        region_from: 'eu-west',
        host: 'gpu-host-1',
        crc_errors: 5,
        link_down_events: 2,
      }),
    ]);
    const ethtool = byMethod('ethtool');
    const port = ethtool.find((r) => r.source === 'ethtool' && r.symbol_errors !== undefined)!;
    expect(port).toMatchObject({ link_id: 'eth2', crc_errors: 0, symbol_errors: 0, link_down_events: 0 });
    const lanes = ethtool.filter((r) => r.optic_temp !== undefined);
    expect(lanes.map((r) => r.lane)).toEqual([1, 2, 3, 4]);
    expect(lanes[0]).toMatchObject({ optic_rx_power: -1.15, optic_dark: 0, optic_bias: 6.662 });
    expect(lanes[1]).toMatchObject({ optic_dark: 1 });
    expect(lanes[1]).not.toHaveProperty('optic_rx_power');
    // Module thresholds travel as extra metrics; the -inf ones are counted as field errors.
    expect(
      rec.extra().find((x) => x.name === 'optic_rx_power_low_alarm_threshold' && x.labels.lane === '1')?.value,
    ).toBe(-13.51);
    expect(rec.ctx.errors.get('link-passive', 'optic_tx_power_high_alarm_threshold', 'out_of_range')).toBe(4);
  });

  it('detects a counter reset, and reads the real /sys/class/net/lo', async () => {
    const dir = tmp();
    const root = sysfs(dir, 'eth3', 100, 7);
    const rec = recorder();
    const src = new LinkPassiveSource({
      interfaces: ['eth3'],
      sysfsRoot: root,
      ethtoolPath: '',
      countersIntervalMs: 60_000,
    });
    stoppers.push(() => src.stop());
    await src.start(rec.ctx);
    sysfs(dir, 'eth3', 3, 7);
    await src.readCounters();
    expect(rec.ctx.errors.get('link-passive', 'crc_errors', 'counter_reset')).toBe(1);
    expect(rec.link().map((r) => r.crc_errors)).toEqual([100, 3]); // stored raw

    const lo = recorder();
    const real = new LinkPassiveSource({ interfaces: ['lo'], ethtoolPath: '', countersIntervalMs: 60_000 });
    stoppers.push(() => real.stop());
    await real.start(lo.ctx);
    expect(lo.link()[0]).toMatchObject({ link_id: 'lo', method: 'sysfs', crc_errors: 0 });
  });

  it('without ethtool, a missing interface, or a port without DOM: each reported once, the rest goes on', async () => {
    const dir = tmp();
    const root = sysfs(dir, 'eth4', 1, 0);
    const rec = recorder();
    const src = new LinkPassiveSource({
      interfaces: ['eth4', 'nosuch0'],
      sysfsRoot: root,
      ethtoolPath: join(dir, 'missing-ethtool'),
      countersIntervalMs: 60_000,
    });
    stoppers.push(() => src.stop());
    await src.start(rec.ctx);
    await src.readCounters();
    await src.readEthtool();
    expect(rec.unavailable).toEqual([
      `link-passive (nosuch0): ${join(root, 'nosuch0')} has no counters (no such interface?)`,
      `link-passive (ethtool): ${join(dir, 'missing-ethtool')}: ENOENT (FEC, PCS and optics off; sysfs counters go on)`,
    ]);
    expect(rec.link().filter((r) => r.link_id === 'eth4')).toHaveLength(2);

    const rec2 = recorder();
    const noDom = new LinkPassiveSource({
      interfaces: ['eth4'],
      sysfsRoot: root,
      ethtoolPath: fakeEthtool(tmp(), { noDom: true }),
      countersIntervalMs: 60_000,
      ethtoolIntervalMs: 60_000,
    });
    stoppers.push(() => noDom.stop());
    await noDom.start(rec2.ctx);
    await noDom.readEthtool();
    expect(rec2.unavailable).toEqual([
      'link-passive (eth4 optics): ethtool -m eth4: no module DOM (netlink error: Operation not supported)',
    ]);
    expect(noDom.stats.ethtoolRuns).toBe(3); // -S, -m, then -S only
  });
});

/** The real ethtool (Debian package) where installed, on this machine's first real NIC. */
const realEthtool = ['/usr/sbin/ethtool', '/sbin/ethtool', '/usr/bin/ethtool'].find((p) => existsSync(p));
const realNic = existsSync('/sys/class/net')
  ? readdirSync('/sys/class/net').find((n) => n !== 'lo' && existsSync(join('/sys/class/net', n, 'device')))
  : undefined;

describe('passive link source with the real ethtool', () => {
  it.skipIf(!realEthtool || !realNic)(
    'reads ethtool -S of a real NIC; a NIC without optics is reported once',
    async () => {
      const rec = recorder();
      const src = new LinkPassiveSource({
        interfaces: [realNic!],
        ethtoolPath: realEthtool!,
        countersIntervalMs: 60_000,
        ethtoolIntervalMs: 60_000,
      });
      stoppers.push(() => src.stop());
      await src.start(rec.ctx);
      await src.readEthtool();
      const ethtoolRows = rec.link().filter((r) => r.method === 'ethtool');
      expect(ethtoolRows).toHaveLength(2); // one -S row per read; no lane rows without a module
      expect(ethtoolRows[0]).toMatchObject({ link_id: realNic, source: 'ethtool', lane: 0 });
      expect(rec.unavailable.filter((u) => u.includes('optics'))).toHaveLength(1);
      expect(rec.ctx.errors.get('link-passive', 'ethtool -S', 'process_exit')).toBe(0);
    },
  );
});

describe('counter tracker and backoff', () => {
  it('tells deltas, 32-bit wraps and resets apart', () => {
    const t = new CounterTracker();
    expect(t.step('a', 10)).toEqual({ kind: 'first' });
    expect(t.step('a', 15)).toEqual({ kind: 'delta', delta: 5 });
    expect(t.step('b', 2 ** 32 - 10)).toEqual({ kind: 'first' });
    expect(t.step('b', 5)).toEqual({ kind: 'wrap', delta: 15 });
    expect(t.step('a', 3)).toEqual({ kind: 'reset', delta: 3 });
  });

  it('doubles up to the ceiling and resets', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 500, jitter: 0 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 500, 500]);
    b.reset();
    expect(b.next()).toBe(100);
    expect(() => new Backoff({ initialMs: 0 })).toThrow(/initialMs/);
  });
});
