/**
 * A small text file read again and again (/proc/stat, /proc/meminfo, /proc/net/dev), kept open and
 * read with one synchronous pread from offset 0.
 *
 * Why not fs.promises.readFile: it is an open, fstat, read and close, each a hop through libuv's
 * thread pool and a wake-up of the event loop, for a file the kernel renders in microseconds. At
 * 1 Hz that bookkeeping cost more than the reading (bench:collector). A procfs file never changes
 * inode, so the descriptor stays valid; a file rewritten in place (tests) is read afresh too.
 */
import { closeSync, openSync, readSync } from 'node:fs';

export class ProcFile {
  private fd: number | undefined;
  private buf: Buffer;

  constructor(
    readonly path: string,
    initialBytes = 4096,
  ) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** The whole file as text. Throws (with the path in the error) if it cannot be opened or read. */
  read(): string {
    this.fd ??= openSync(this.path, 'r');
    let length = 0;
    for (;;) {
      if (length === this.buf.length) {
        const bigger = Buffer.allocUnsafe(this.buf.length * 2);
        this.buf.copy(bigger, 0, 0, length);
        this.buf = bigger;
      }
      const n = readSync(this.fd, this.buf, length, this.buf.length - length, length);
      if (n === 0) break;
      length += n;
    }
    return this.buf.toString('utf8', 0, length);
  }

  /** The whole file as text, or undefined if it cannot be opened or read (not Linux, say). */
  tryRead(): string | undefined {
    try {
      return this.read();
    } catch {
      return undefined;
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}
