/**
 * Follows the kernel log, in the one way Node can wait for each kind of path without parking a
 * libuv thread:
 * - **A FIFO** (the DaemonSet's kmsg-relay, `deploy/kubernetes`) is read as a stream: `net.Socket`
 *   takes a pipe's descriptor and libuv waits for it in epoll, so a record is read when it arrives
 *   and nothing runs in between. When every writer has gone (the relay restarted) the stream ends;
 *   the caller opens it again.
 * - **The device itself** (/dev/kmsg, a character device) or **a plain file** (a dmesg capture) is opened
 *   non-blocking and drained on the caller's timer (EAGAIN means "nothing new"). Node offers
 *   readiness only for pipes and sockets: `net.Socket` refuses any other descriptor (libuv's
 *   `uv_guess_handle` calls a character device a FILE), and `fs` reads run in libuv's thread pool,
 *   where a blocking read of /dev/kmsg would hold one of its four threads until the next kernel
 *   message and could not be cancelled on stop.
 *
 * Each /dev/kmsg read returns one record; a pipe or a file gives chunks, which are split into
 * lines, so all three work. EPIPE from /dev/kmsg means records were overwritten before we read
 * them: reading goes on, and `takeDropped()` counts it.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';

/** One kmsg record is at most ~8 KiB with its dictionary; longer text without a newline is not one. */
const MAX_LINE = 64 * 1024;

export interface KernelLogEvents {
  /** Stream mode: lines are waiting for `drain()`. */
  readonly onReadable: () => void;
  /** Stream mode: every writer of the FIFO has gone, or reading it failed; the reader is closed. */
  readonly onEnd: (err?: Error) => void;
}

export class KernelLogFollower {
  /** 'stream': lines arrive by themselves and `onReadable` says so; 'poll': `drain()` reads. */
  readonly mode: 'stream' | 'poll';
  /** Times the kernel overwrote records before they were read (EPIPE). */
  private lost = 0;
  private overlong = 0;
  private skipping = false;
  private fd: number | undefined;
  private socket: Socket | undefined;
  private pending = '';
  private ready: string[] = [];
  private readonly buf = Buffer.alloc(16 * 1024); // /dev/kmsg refuses reads smaller than a record (EINVAL)
  private readonly decoder = new StringDecoder('utf8'); // a UTF-8 character split between two reads is joined

  /** Opens the log; throws (with the errno code) where it is missing or not readable. */
  constructor(
    readonly path: string,
    events: KernelLogEvents,
  ) {
    // Opening non-blocking returns at once for a FIFO with no writer, a device and a file alike.
    const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    if (!fstatSync(fd).isFIFO()) {
      this.mode = 'poll';
      this.fd = fd;
      return;
    }
    this.mode = 'stream';
    const socket = new Socket({ fd, readable: true, writable: false });
    socket.setEncoding('utf8'); // as the decoder does for reads
    socket.on('data', (text: string) => {
      this.take(text);
      if (this.ready.length > 0) events.onReadable();
    });
    socket.once('end', () => void this.close().then(() => events.onEnd()));
    socket.once('error', (err) => void this.close().then(() => events.onEnd(err)));
    this.socket = socket;
  }

  /** The complete lines that arrived since the last call (at most `max`). */
  drain(max = 10_000): string[] {
    if (this.fd !== undefined) this.read(max);
    return this.ready.splice(0, max);
  }

  /**
   * What never became a line since the last call: `overlong` lines longer than a record could be,
   * dropped; `lost` overruns (EPIPE: the kernel overwrote records before they were read).
   */
  takeDropped(): { overlong: number; lost: number } {
    const dropped = { overlong: this.overlong, lost: this.lost };
    this.overlong = 0;
    this.lost = 0;
    return dropped;
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket && !socket.destroyed) {
      await new Promise<void>((resolve) => socket.once('close', () => resolve()).destroy());
    }
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private read(max: number): void {
    const fd = this.fd;
    if (fd === undefined) return;
    while (this.ready.length < max) {
      let n: number;
      try {
        // A synchronous read: the descriptor is non-blocking, so this returns at once.
        n = readSync(fd, this.buf, 0, this.buf.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return;
        if (code === 'EPIPE') {
          this.lost++;
          continue;
        }
        throw e;
      }
      if (n === 0) return;
      this.take(this.decoder.write(this.buf.subarray(0, n)));
    }
  }

  private take(text: string): void {
    const parts = (this.pending + text).split('\n');
    this.pending = parts.pop() ?? '';
    for (const p of parts) {
      if (this.skipping) {
        this.skipping = false; // the end of a line already dropped
        continue;
      }
      if (p.length > MAX_LINE) this.overlong++;
      // kmsg continuation lines (" SUBSYSTEM=pci") start with a space: key/value metadata, not messages.
      else if (p !== '' && !p.startsWith(' ')) this.ready.push(p);
    }
    // Memory stays bounded whoever writes: an overlong partial line is dropped up to its newline.
    if (this.pending.length > MAX_LINE) {
      if (!this.skipping) this.overlong++;
      this.skipping = true;
      this.pending = '';
    }
  }
}
