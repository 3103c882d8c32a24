/**
 * The kernel log's character device, followed as records arrive through a `cat` relay (no timer).
 * The first test uses this machine's real /dev/kmsg and real `cat`: it writes one harmless marker
 * line into the kernel log (root only, as writing /dev/kmsg needs) and waits for it to come back.
 * The others give the follower /dev/null (a character device too) and a SIMULATED relay that ends
 * as `cat` does (GNU coreutils' cat.c reports a failed read as `cat: -: <strerror>` and exits 1;
 * an overrun is EPIPE, "Broken pipe" in the C locale), since overrunning the real ring would
 * overwrite this machine's kernel log for everyone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { accessSync, constants, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KernelLogFollower } from '../../src/sources/kernel-log/follower.js';
import { alive } from '../processes.js';
import { kmsgXid, until } from './helpers.js';

/**
 * Whether this process may log a line through /dev/kmsg: it can open it read-write (root), and the
 * kernel takes user-space lines (kernel.printk_devkmsg is not "off").
 */
const canLog = (): boolean => {
  try {
    accessSync('/dev/kmsg', constants.R_OK | constants.W_OK);
    return readFileSync('/proc/sys/kernel/printk_devkmsg', 'utf8').trim() !== 'off';
  } catch {
    return false;
  }
};

/** A follower and everything it handed over, through its events only. */
function follow(path: string, relay?: readonly string[]) {
  const seen = { lines: [] as string[], lost: 0, ends: [] as (Error | undefined)[] };
  const follower: KernelLogFollower = new KernelLogFollower(
    path,
    {
      onReadable: () => {
        seen.lines.push(...follower.drain());
        seen.lost += follower.takeDropped().lost;
      },
      onEnd: (err) => seen.ends.push(err),
    },
    relay,
  );
  return { follower, seen };
}

let open: KernelLogFollower | undefined;
afterEach(async () => {
  await open?.close();
  open = undefined;
});

describe('kernel-log follower on a character device', () => {
  it.skipIf(!canLog())(
    'reads a record written to the real /dev/kmsg as it arrives, and stops its relay on close',
    async () => {
      const { follower, seen } = follow('/dev/kmsg');
      open = follower;
      expect(follower.mode).toBe('stream');
      expect(follower.relayRefused).toBe(false);
      const pid = follower.relayPid!;
      expect(alive(pid)).toBe(true);
      // The ring's history comes first; then the marker, logged by the kernel with its own
      // priority, sequence number and timestamp.
      const marker = `meridian test: kernel-log follower ${process.pid} ${Date.now()}`;
      writeFileSync('/dev/kmsg', `${marker}\n`);
      await until(() => seen.lines.some((l) => l.endsWith(`;${marker}`)), 'the marker through the relay');
      expect(seen.lines.find((l) => l.endsWith(`;${marker}`))).toMatch(/^\d+,\d+,\d+,[-c+];/);
      await follower.close();
      expect(follower.relayPid).toBeUndefined();
      expect(alive(pid)).toBe(false);
      expect(seen.ends).toEqual([]); // a close is not an end
    },
  );

  it('counts an overrun, starts the relay again, and hands over the replay from the oldest record left', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'meridian-kmsg-')), 'overran');
    const rec = (seq: number) => kmsgXid(seq, 1000, '81', seq - 90); // a newline in sh's quotes is one
    // First start: one record, then the read fails with EPIPE (records 101-102 were overwritten).
    // Second start, on a new descriptor: the ring from its oldest record, then waiting for more.
    const script =
      `if [ -e '${state}' ]; then printf '${rec(100)}${rec(103)}'; exec sleep 3600; fi; ` +
      `touch '${state}'; printf '${rec(100)}'; echo 'cat: -: Broken pipe' >&2; exit 1`;
    const { follower, seen } = follow('/dev/null', ['sh', '-c', script]);
    open = follower;
    const first = follower.relayPid!;
    await until(() => seen.lines.length === 3, 'the replay after the overrun');
    expect(seen.lines.map((l) => l.split(',')[1])).toEqual(['100', '100', '103']);
    expect(seen.lost).toBe(1);
    expect(seen.ends).toEqual([]);
    const second = follower.relayPid!;
    expect(second).not.toBe(first);
    expect(alive(second)).toBe(true);
    await follower.close();
    expect(alive(second)).toBe(false);
  });

  it('after an overrun, a device that cannot be opened again ends the stream with why (no throw)', async () => {
    // The device, through a link the relay removes as it fails: the reopen finds nothing there.
    const link = join(mkdtempSync(join(tmpdir(), 'meridian-kmsg-')), 'kmsg');
    symlinkSync('/dev/null', link);
    const script = `rm '${link}'; echo 'cat: -: Broken pipe' >&2; exit 1`;
    const { follower, seen } = follow(link, ['sh', '-c', script]);
    open = follower;
    expect(follower.mode).toBe('stream');
    await until(() => seen.ends.length === 1, 'the end of the stream');
    expect((seen.ends[0] as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect(follower.takeDropped().lost).toBe(1);
    expect(follower.relayPid).toBeUndefined();
  });

  it('ends the stream with what the relay said when it fails otherwise, and closes', async () => {
    const { follower, seen } = follow('/dev/null', ['sh', '-c', "echo 'cat: -: Input/output error' >&2; exit 1"]);
    open = follower;
    await until(() => seen.ends.length === 1, 'the end of the stream');
    expect(seen.ends[0]?.message).toBe('sh exited (1): cat: -: Input/output error');
    expect(seen.lost).toBe(0);
    expect(follower.relayPid).toBeUndefined();
  });

  it('a relay that reaches the end (the real cat on /dev/null) ends the stream without an error', async () => {
    const { follower, seen } = follow('/dev/null');
    open = follower;
    expect(follower.mode).toBe('stream');
    await until(() => seen.ends.length === 1, 'the end of the stream');
    expect(seen.ends).toEqual([undefined]);
  });

  it('drains the device like a file where no relay can be started', () => {
    const { follower, seen } = follow('/dev/null', ['/nonexistent/cat']);
    open = follower;
    expect(follower.mode).toBe('poll');
    expect(follower.relayRefused).toBe(true);
    expect(follower.relayPid).toBeUndefined();
    expect(follower.drain()).toEqual([]);
    expect(seen.ends).toEqual([]);
  });
});
