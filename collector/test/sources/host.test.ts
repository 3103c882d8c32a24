/** The host source on this machine: real /proc and statfs. */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostSource, parseMeminfo, parseProcStatCpu } from '../../src/sources/host/source.js';
import { ProcFile } from '../../src/sources/host/proc-file.js';
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

  it('reads the 1-minute load from /proc/loadavg, and from os.loadavg() where that file is unreadable', async () => {
    const dir = tmp();
    const loadavg = join(dir, 'loadavg');
    writeFileSync(loadavg, '0.42 0.30 0.20 3/211 17805\n');
    const rec = recorder();
    const src = new HostSource({ intervalMs: 60_000, procLoadavg: loadavg, interfaces: [] });
    stoppers.push(() => src.stop());
    await src.start(rec.ctx);
    expect(rec.host()[0]!.load_1m).toBe(0.42);
    // Rewritten in place, it is read afresh (the descriptor is kept).
    writeFileSync(loadavg, '1.5 0.30 0.20 3/211 17805\n');
    await src.collect();
    expect(rec.host().at(-1)!.load_1m).toBe(1.5);

    for (const procLoadavg of [join(dir, 'missing'), join(dir, 'garbled')]) {
      writeFileSync(join(dir, 'garbled'), 'not a number\n');
      const other = recorder();
      const fallback = new HostSource({ intervalMs: 60_000, procLoadavg, interfaces: [] });
      stoppers.push(() => fallback.stop());
      await fallback.start(other.ctx);
      const load = other.host()[0]!.load_1m as number;
      expect(Number.isFinite(load) && load >= 0).toBe(true);
    }
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
