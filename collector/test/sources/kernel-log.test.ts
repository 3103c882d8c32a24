/**
 * The kernel-log (XID) source: a kmsg-format file stands in for /dev/kmsg, and the GPUs' PCI
 * addresses come from the inventory source reading the SIMULATED nvidia-smi's v13 capture.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { appendFileSync, closeSync, constants, mkdtempSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir, uptime } from 'node:os';
import { join } from 'node:path';
import { GpuDirectory } from '../../src/sources/gpu-directory.js';
import { NvidiaSmiInventorySource } from '../../src/sources/inventory/source.js';
import { KernelLogSource } from '../../src/sources/kernel-log/source.js';
import type { Source } from '../../src/sources/source.js';
import { REPO_ROOT } from '../fixtures-helpers.js';
import { kmsgXid, recorder, until } from './helpers.js';

const FAKE = join(REPO_ROOT, 'test', 'fake-nvidia-smi', 'nvidia-smi');
let running: Source[] = [];

/** Writes all of `text` to a non-blocking FIFO, yielding to the reader while the pipe is full. */
async function writeAll(fd: number, text: string): Promise<void> {
  let rest = Buffer.from(text);
  while (rest.length > 0) {
    try {
      rest = rest.subarray(writeSync(fd, rest));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
const nowUsec = (): number => Math.round((uptime() + 5) * 1e6);
const xidRows = (rec: ReturnType<typeof recorder>) => rec.gpu().filter((r) => r.xid_last !== undefined);

/**
 * A FIFO like the DaemonSet's kmsg-relay volume holds, two GPUs known, and the relay's side: a
 * writer opened once the source holds the read end (until then, a non-blocking open is ENXIO).
 */
function relayFifo() {
  const fifo = join(mkdtempSync(join(tmpdir(), 'meridian-kmsg-')), 'kmsg');
  execFileSync('mkfifo', ['-m', '0600', fifo]);
  const gpus = new GpuDirectory();
  gpus.update([
    { gpu_uuid: 'GPU-A', gpu_index: 0, pci_bus_id: '00000000:81:00.0' },
    { gpu_uuid: 'GPU-B', gpu_index: 1, pci_bus_id: '00000000:C1:00.0' },
  ]);
  const tryOpen = (): number | undefined => {
    try {
      return openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENXIO') return undefined;
      throw e;
    }
  };
  const openWriter = async (): Promise<number> => {
    let fd: number | undefined;
    await until(() => (fd = tryOpen()) !== undefined, 'the source holding the FIFO open');
    return fd!;
  };
  /** Whether no reader holds the FIFO (a writer's probe that finds one closes again at once). */
  const letGo = (): boolean => {
    const fd = tryOpen();
    if (fd !== undefined) closeSync(fd);
    return fd === undefined;
  };
  return { fifo, gpus, openWriter, letGo };
}

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

  it('reads a FIFO (the relay) as each record arrives, with no timer', async () => {
    const { fifo, gpus, openWriter } = relayFifo();
    const rec = recorder();
    // An hour: a drain on a timer would come long after the waits below give up.
    const source = new KernelLogSource({ path: fifo, pollMs: 3_600_000, gpus });
    running = [source];
    await source.start(rec.ctx);
    const writer = await openWriter();
    try {
      writeSync(writer, kmsgXid(100, 1_000_000, '81', 13)); // logged at boot, before the collector started
      await until(() => xidRows(rec).length === 1, 'the historic record, read as it arrived');
      expect(xidRows(rec)[0]).toMatchObject({ gpu_uuid: 'GPU-A', gpu_index: 0, xid_last: 13, xid_count: 0 });
      // A hostile writer: 100 KB without a newline is no record (at most ~8 KiB); it is dropped
      // and counted, and the record after it is read.
      await writeAll(writer, 'x'.repeat(100_000) + '\n' + kmsgXid(101, nowUsec(), 'c1', 48));
      await until(() => xidRows(rec).length === 2, 'the new record, read as it arrived');
      expect(rec.ctx.errors.get('nvidia-smi', 'xid_last', 'malformed')).toBe(1);
      expect(xidRows(rec)[1]).toMatchObject({ gpu_uuid: 'GPU-B', gpu_index: 1, xid_last: 48, xid_count: 1 });
    } finally {
      closeSync(writer);
    }
  });

  it('opens the FIFO again when the relay restarts, and reads its replay of the ring once', async () => {
    const { fifo, gpus, openWriter, letGo } = relayFifo();
    const rec = recorder();
    const source = new KernelLogSource({ path: fifo, pollMs: 100, gpus });
    running = [source];
    await source.start(rec.ctx);
    const t = nowUsec();
    const ring = kmsgXid(100, 1_000_000, '81', 13) + kmsgXid(101, t, '81', 79);
    let writer = await openWriter();
    writeSync(writer, ring);
    await until(() => xidRows(rec).length > 0 && xidRows(rec).at(-1)?.xid_last === 79, 'the first relay');
    const before = xidRows(rec).length;
    expect(xidRows(rec).at(-1)).toMatchObject({ gpu_uuid: 'GPU-A', xid_count: 1 });
    // The relay restarts: every writer closes (the source sees the stream end and opens the FIFO
    // again), and the new relay's `cat /dev/kmsg` writes the kernel's whole ring, then a new record.
    closeSync(writer);
    await until(() => letGo(), 'the source closing the FIFO once the relay went');
    writer = await openWriter();
    try {
      writeSync(writer, ring + kmsgXid(102, t + 10, 'c1', 48));
      await until(() => xidRows(rec).some((r) => r.gpu_uuid === 'GPU-B'), 'the new record after the replay');
    } finally {
      closeSync(writer);
    }
    // Records 100 and 101 were not read again: one more row (GPU-B's), and two XIDs counted in all.
    expect(xidRows(rec).slice(before)).toEqual([
      expect.objectContaining({ gpu_uuid: 'GPU-B', xid_last: 48, xid_count: 1 }),
    ]);
    expect(source.stats.xids).toBe(2);
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
