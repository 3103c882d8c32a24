/**
 * The kernel log overrunning its reader. /dev/kmsg answers a read whose next record the ring has
 * already overwritten with EPIPE once, then goes on from the oldest record it still holds
 * (Documentation/ABI/testing/dev-kmsg). Overrunning this machine's real ring would overwrite its
 * kernel log for everyone, so here a SIMULATED device does what the kernel documents: `readSync` of
 * the followed file throws EPIPE once, and the next read returns the records that survived.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, uptime } from 'node:os';
import { join } from 'node:path';
import { GpuDirectory } from '../../src/sources/gpu-directory.js';
import { KernelLogSource } from '../../src/sources/kernel-log/source.js';
import { kmsgXid, recorder } from './helpers.js';

const device = vi.hoisted(() => ({ path: '', fd: -1, overruns: 0 }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    openSync: (...args: Parameters<typeof fs.openSync>) => {
      const fd = fs.openSync(...args);
      if (args[0] === device.path) device.fd = fd;
      return fd;
    },
    readSync: (...args: Parameters<typeof fs.readSync>) => {
      if (args[0] === device.fd && device.overruns > 0) {
        device.overruns--;
        throw Object.assign(new Error('EPIPE: broken pipe, read'), { code: 'EPIPE' });
      }
      return fs.readSync(...args);
    },
  };
});

let source: KernelLogSource | undefined;
afterEach(async () => {
  await source?.stop();
  source = undefined;
});

describe('kernel-log source, overrun (simulated /dev/kmsg)', () => {
  it('counts an overrun as overrun, logs that XIDs may be missed, and reads on from the records left', async () => {
    device.path = join(mkdtempSync(join(tmpdir(), 'meridian-kmsg-')), 'kmsg');
    writeFileSync(device.path, kmsgXid(100, 1_000_000, '81', 13));
    const gpus = new GpuDirectory();
    gpus.update([
      { gpu_uuid: 'GPU-A', gpu_index: 0, pci_bus_id: '00000000:81:00.0' },
      { gpu_uuid: 'GPU-B', gpu_index: 1, pci_bus_id: '00000000:C1:00.0' },
    ]);
    const rec = recorder();
    source = new KernelLogSource({ path: device.path, pollMs: 3_600_000, gpus });
    await source.start(rec.ctx);
    const xids = () => rec.gpu().filter((r) => r.xid_last !== undefined);
    expect(xids()).toHaveLength(1);
    expect(device.fd).toBeGreaterThanOrEqual(0);

    // Records 101–102 were overwritten before the next drain; 103 survived.
    const now = Math.round((uptime() + 5) * 1e6);
    appendFileSync(device.path, kmsgXid(103, now, 'c1', 48));
    device.overruns = 1;
    await source.readXids();
    expect(device.overruns).toBe(0);
    expect(rec.ctx.errors.get('nvidia-smi', 'xid_last', 'overrun')).toBe(1);
    expect(rec.logs.filter((l) => l.includes('overran'))).toEqual([
      expect.stringContaining('kernel log overran 1 time(s)'),
    ]);
    expect(xids()[1]).toMatchObject({ gpu_uuid: 'GPU-B', xid_last: 48, xid_count: 1 });

    // Counted once: a drain with no overrun adds none.
    appendFileSync(device.path, kmsgXid(104, now + 10, '81', 79));
    await source.readXids();
    expect(rec.ctx.errors.get('nvidia-smi', 'xid_last', 'overrun')).toBe(1);
    expect(xids()[2]).toMatchObject({ gpu_uuid: 'GPU-A', xid_last: 79, xid_count: 1 });
  });
});
