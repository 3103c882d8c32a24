/**
 * Follows the kernel log, so that each record is read when it arrives and nothing runs in between,
 * in the one way Node can wait for each kind of path:
 * - **A FIFO** (the DaemonSet's kmsg-relay, `deploy/kubernetes`) is read as a stream: `net.Socket`
 *   takes a pipe's descriptor and libuv waits for it in epoll. When every writer has gone (the
 *   relay restarted) the stream ends; the caller opens it again.
 * - **The device itself** (/dev/kmsg, a character device) goes through the same relay as in the
 *   DaemonSet, run here as a child: `cat` gets a descriptor this process opened (so the child needs
 *   no privilege: the kernel checks CAP_SYSLOG at open) and blocks in read(2) until the next record;
 *   its stdout is a pipe, read as above. Node cannot wait on the device directly: `net.Socket`
 *   refuses any descriptor but a pipe's or a socket's (libuv's `uv_guess_handle` calls a character
 *   device a FILE), and `fs` reads run in libuv's thread pool, where a blocking read would hold one
 *   of its four threads until the next kernel message and could not be cancelled on stop. The child
 *   is killed on close (and, were this process killed, dies of SIGPIPE at the next record it
 *   copies; under systemd the unit's cgroup goes with it). Where no `cat` can be started the
 *   device is drained like a file.
 * - **A plain file** (a dmesg capture) is opened non-blocking and drained on the caller's timer.
 *
 * Each /dev/kmsg read returns one record; a pipe or a file gives chunks, which are split into
 * lines, so all of them work. EPIPE from /dev/kmsg means records were overwritten before they were
 * read: a drained device reads on, and `cat` stops with "Broken pipe" and is started again on a new
 * descriptor, which begins at the oldest record the ring still holds (the caller skips the ones it
 * has by sequence number). Either way `takeDropped()` counts it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';

/** One kmsg record is at most ~8 KiB with its dictionary; longer text without a newline is not one. */
const MAX_LINE = 64 * 1024;

export interface KernelLogEvents {
  /** Stream mode: lines (or an overrun) are waiting for `drain()` and `takeDropped()`. */
  readonly onReadable: () => void;
  /** Stream mode: every writer of the FIFO has gone, the relay ended, or reading failed; the reader is closed. */
  readonly onEnd: (err?: Error) => void;
}

/** The relay a device is read through: `cat` copies its stdin, one record a read, to a pipe. */
const RELAY: readonly string[] = ['cat'];
/** What the relay said on stderr is kept up to this length, for the error that ends the stream. */
const MAX_STDERR = 1024;
/** strerror(EPIPE) in the C locale, as GNU and busybox `cat` report a read that failed with it. */
const OVERRUN = /Broken pipe/;

export class KernelLogFollower {
  /** 'stream': lines arrive by themselves and `onReadable` says so; 'poll': `drain()` reads. */
  readonly mode: 'stream' | 'poll';
  /** A character device drained on the caller's timer because its relay could not be started. */
  readonly relayRefused: boolean = false;
  /** Times the kernel overwrote records before they were read (EPIPE). */
  private lost = 0;
  private overlong = 0;
  private skipping = false;
  private fd: number | undefined;
  private socket: Socket | undefined;
  private child: ChildProcess | undefined;
  private pending = '';
  private ready: string[] = [];
  private readonly buf = Buffer.alloc(16 * 1024); // /dev/kmsg refuses reads smaller than a record (EINVAL)
  private readonly decoder = new StringDecoder('utf8'); // a UTF-8 character split between two reads is joined

  /**
   * Opens the log; throws (with the errno code) where it is missing or not readable. `relay` is
   * the command a character device is copied through (tests give one that fails as `cat` does).
   */
  constructor(
    readonly path: string,
    private readonly events: KernelLogEvents,
    private readonly relay: readonly string[] = RELAY,
  ) {
    // Opening non-blocking returns at once for a FIFO with no writer, a device and a file alike.
    const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const stat = fstatSync(fd);
    if (stat.isFIFO()) {
      this.mode = 'stream';
      const socket = new Socket({ fd, readable: true, writable: false });
      this.listen(socket);
      socket.once('end', () => void this.close().then(() => events.onEnd()));
      socket.once('error', (err) => void this.close().then(() => events.onEnd(err)));
      this.socket = socket;
    } else if (stat.isCharacterDevice() && this.startRelay()) {
      this.mode = 'stream';
      closeSync(fd);
    } else {
      this.relayRefused = stat.isCharacterDevice();
      this.mode = 'poll';
      this.fd = fd;
    }
  }

  /** The relay's process id while one runs (a device followed as a stream). */
  get relayPid(): number | undefined {
    return this.child?.pid;
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
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        child.once('close', () => resolve());
        child.kill();
      });
    }
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /**
   * Starts `cat` on a blocking descriptor of its own (cat waits in read(2); the non-blocking one
   * would answer EAGAIN at once). False where it cannot be started (no `cat` on PATH).
   */
  private startRelay(): boolean {
    const fd = openSync(this.path, constants.O_RDONLY);
    let child: ChildProcess;
    try {
      // The C locale, so that an overrun reads "Broken pipe" whatever the host's language.
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' };
      child = spawn(this.relay[0]!, this.relay.slice(1), { stdio: [fd, 'pipe', 'pipe'], env });
    } finally {
      closeSync(fd); // the child holds its own copy; spawn returns once it has exec'd
    }
    const { stdout, stderr } = child;
    if (child.pid === undefined || !stdout || !stderr) {
      child.once('error', () => undefined); // ENOENT, reported asynchronously: the caller drains instead
      return false;
    }
    this.listen(stdout);
    let said = '';
    stderr.setEncoding('utf8');
    stderr.on('data', (text: string) => {
      if (said.length < MAX_STDERR) said += text.slice(0, MAX_STDERR - said.length);
    });
    child.once('close', (code, signal) => this.relayEnded(child, said.trim(), code, signal));
    this.child = child;
    return true;
  }

  /** The relay exited by itself (a `close()` has already let go of it). */
  private relayEnded(child: ChildProcess, said: string, code: number | null, signal: string | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    let err =
      code === 0 ? undefined : new Error(`${this.relay[0]} exited (${signal ?? code})${said ? `: ${said}` : ''}`);
    if (OVERRUN.test(said)) {
      // The kernel overwrote records before cat read them: a new descriptor begins at the oldest
      // record left, and the caller skips the ones it already has.
      this.lost++;
      try {
        if (this.startRelay()) return this.events.onReadable();
      } catch (e) {
        err = e as Error; // the device could not be opened again: the caller reopens it later
      }
    }
    void this.close().then(() => this.events.onEnd(err));
  }

  /** Lines from a stream (the FIFO, or the relay's stdout), handed over as they arrive. */
  private listen(stream: Readable): void {
    stream.setEncoding('utf8'); // as the decoder does for reads
    stream.on('data', (text: string) => {
      this.take(text);
      if (this.ready.length > 0) this.events.onReadable();
    });
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
