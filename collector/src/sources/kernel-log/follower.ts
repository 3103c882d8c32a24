/**
 * Follows the kernel log without a process and without parking a libuv thread: /dev/kmsg is opened
 * non-blocking and drained on a timer (EAGAIN means "nothing new"). Each /dev/kmsg read returns one
 * record; a plain file (tests, or a dmesg capture) is read in chunks and split into lines, so both
 * work. EPIPE from /dev/kmsg means records were overwritten before we read them: reading goes on.
 */
import { constants, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

export class KernelLogFollower {
  private fh: FileHandle | undefined;
  private pending = '';
  private readonly buf = Buffer.alloc(16 * 1024); // /dev/kmsg refuses reads smaller than a record (EINVAL)
  lost = 0;

  constructor(readonly path: string) {}

  /** Opens the log; throws (with the errno code) where it is missing or not readable. */
  async open(): Promise<void> {
    this.fh = await open(this.path, constants.O_RDONLY | constants.O_NONBLOCK);
  }

  /** Returns the complete lines that arrived since the last call (at most `max`). */
  async drain(max = 10_000): Promise<string[]> {
    const fh = this.fh;
    if (!fh) return [];
    const lines: string[] = [];
    while (lines.length < max) {
      let n: number;
      try {
        // A synchronous read: the descriptor is non-blocking, so this returns at once (EAGAIN when
        // nothing is new), and a poll every few seconds costs no trip through libuv's thread pool.
        n = readSync(fh.fd, this.buf, 0, this.buf.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') break;
        if (code === 'EPIPE') {
          this.lost++;
          continue;
        }
        throw e;
      }
      if (n === 0) break;
      this.pending += this.buf.toString('utf8', 0, n);
      const parts = this.pending.split('\n');
      this.pending = parts.pop() ?? '';
      // kmsg continuation lines (" SUBSYSTEM=pci") start with a space: key/value metadata, not messages.
      for (const p of parts) if (p !== '' && !p.startsWith(' ')) lines.push(p);
    }
    return lines;
  }

  async close(): Promise<void> {
    await this.fh?.close();
    this.fh = undefined;
  }
}
