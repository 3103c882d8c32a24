/**
 * The passive-link source on this machine: real /sys, and for ethtool (absent here, and no optics
 * anyway) a SIMULATED ethtool that prints the real captures.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LinkPassiveSource } from '../../src/sources/link-passive/source.js';
import { fixturePath } from '../fixtures-helpers.js';
import { recorder } from './helpers.js';

let stoppers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stoppers) await s();
  stoppers = [];
});

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'meridian-src-'));
}

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
