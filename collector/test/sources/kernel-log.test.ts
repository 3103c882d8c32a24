/**
 * The kernel-log (XID) source: a kmsg-format file stands in for /dev/kmsg, and the GPUs' PCI
 * addresses come from the inventory source reading the SIMULATED nvidia-smi's v13 capture.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, uptime } from 'node:os';
import { join } from 'node:path';
import { GpuDirectory } from '../../src/sources/gpu-directory.js';
import { NvidiaSmiInventorySource } from '../../src/sources/inventory/source.js';
import { KernelLogSource } from '../../src/sources/kernel-log/source.js';
import type { Source } from '../../src/sources/source.js';
import { REPO_ROOT } from '../fixtures-helpers.js';
import { recorder, until } from './helpers.js';

const FAKE = join(REPO_ROOT, 'test', 'fake-nvidia-smi', 'nvidia-smi');
let running: Source[] = [];

afterEach(async () => {
  for (const s of running) await s.stop();
  running = [];
});

describe('kernel-log source', () => {
  it('follows the kernel log for XIDs: history sets xid_last, new ones are counted per GPU', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-kmsg-'));
    const kmsg = join(dir, 'kmsg');
    // /dev/kmsg records: "prio,seq,usec since boot,flags;message". The first was logged at boot.
    writeFileSync(kmsg, '3,100,1000000,-;NVRM: Xid (PCI:0000:81:00): 13, pid=42, name=python, Graphics Exception\n');
    const rec = recorder();
    const gpus = new GpuDirectory();
    const source = new KernelLogSource({ path: kmsg, pollMs: 60_000, gpus });
    const inventory = new NvidiaSmiInventorySource({ path: FAKE, intervalMs: 0, gpus });
    running = [source, inventory];
    // Started before the inventory has read: it waits for the GPUs, then reads the history.
    await source.start(rec.ctx);
    await inventory.start(rec.ctx);
    const xidRows = () => rec.gpu().filter((r) => r.xid_last !== undefined);
    await until(() => xidRows().length > 0, 'the historic XID');
    // 81:00.0 is minor 1 in the v13 capture the simulated nvidia-smi prints for -q -x.
    expect(xidRows()).toEqual([
      expect.objectContaining({
        source: 'nvidia-smi',
        gpu_uuid: 'GPU-12345678-aaaa-bbbb-cccc-0123456789ab',
        gpu_index: 1,
        xid_last: 13,
        xid_count: 0,
      }),
    ]);
    const now = Math.round((uptime() + 5) * 1e6);
    appendFileSync(
      kmsg,
      [
        `4,101,${now},-;NVRM: Xid (PCI:0000:81:00): 79, pid=42, name=python, GPU has fallen off the bus.`,
        ' SUBSYSTEM=pci',
        `4,102,${now + 10},-;NVRM: Xid (PCI:0000:c1:00): 48, pid=7, name=train, An uncorrectable double bit error`,
        `4,103,${now + 20},-;NVRM: Xid (PCI:0000:c1:00): 63, pid=7, name=train, Row remapping event`,
        `4,104,${now + 30},-;NVRM: Xid (PCI:0000:99:00): 31, pid=1, name=x, MMU Fault`,
        '',
      ].join('\n'),
    );
    await source.readXids();
    expect(xidRows().slice(1)).toEqual([
      expect.objectContaining({ gpu_uuid: 'GPU-12345678-aaaa-bbbb-cccc-0123456789ab', xid_last: 79, xid_count: 1 }),
      expect.objectContaining({
        gpu_uuid: 'GPU-12345678-aaaa-bbbb-cccc-0123456789cd',
        gpu_index: 0,
        xid_last: 63,
        xid_count: 2,
      }),
    ]);
    expect(rec.ctx.errors.get('nvidia-smi', 'xid_last', 'unattributed')).toBe(1); // 99:00 is no GPU of this host
    expect(source.stats.xids).toBe(3);
  });

  it('an unreadable kernel log turns XIDs off, reported once', async () => {
    const rec = recorder();
    const gpus = new GpuDirectory();
    gpus.update([{ gpu_uuid: 'GPU-1', pci_bus_id: '00000000:81:00.0' }]);
    const source = new KernelLogSource({ path: '/nonexistent/kmsg', gpus });
    running = [source];
    await source.start(rec.ctx);
    expect(rec.unavailable).toEqual(['kernel-log: /nonexistent/kmsg: ENOENT (XID events off)']);
    expect(source.state()).toBe('running');
  });
});
