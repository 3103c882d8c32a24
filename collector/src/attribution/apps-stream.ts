/**
 * The GPU compute processes as ONE long-lived stream, not a spawn per reading:
 * `nvidia-smi --query-compute-apps=gpu_uuid,pid --format=csv,noheader,nounits -lms N` prints every
 * compute process each N ms. Each burst of lines is one reading. A loop that finds no process
 * prints nothing, so a stream that stays alive but silent for longer than 1.5 readings means "no
 * processes". A stream that exits is restarted with backoff; one that cannot run at all (no
 * nvidia-smi, no GPU) is reported once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Backoff } from '../sources/backoff.js';
import { NO_GPU } from '../sources/nvidia-smi/no-gpu.js';
import { stopChild } from '../sources/run-once.js';
import { COMPUTE_APPS_ARGS, parseComputeApps, type ComputeApp } from './processes.js';

/** How long a fresh stream may stay silent before its silence means "no processes". */
const STARTUP_GRACE_MS = 10_000;

export interface AppsStreamOptions {
  readonly command: string;
  readonly intervalMs: number;
  readonly env?: NodeJS.ProcessEnv;
  /** One reading: the processes of a burst (or none, after a silent period), and the lines it could not read. */
  readonly onApps: (apps: ComputeApp[], bad: string[]) => void;
  /** This host cannot run the stream (said once). */
  readonly onUnavailable: (reason: string) => void;
  /** The stream exited and will be restarted. */
  readonly onExit: (why: string) => void;
}

export class ComputeAppsStream {
  private child: ChildProcess | undefined;
  private silence: NodeJS.Timeout | undefined;
  private restart: NodeJS.Timeout | undefined;
  private stopping = false;
  private buffer = '';
  private flushQueued = false;
  private output = '';
  private readonly backoff = new Backoff({ initialMs: 1_000, maxMs: 60_000 });
  private unavailable = false;

  constructor(private readonly o: AppsStreamOptions) {}

  start(): void {
    this.stopping = false;
    this.spawn();
  }

  private spawn(): void {
    if (this.stopping || this.unavailable) return;
    const child = spawn(this.o.command, [...COMPUTE_APPS_ARGS, '-lms', String(this.o.intervalMs)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: this.o.env ? { ...process.env, ...this.o.env } : process.env,
    });
    this.child = child;
    this.output = '';
    const startedAt = Date.now();
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      this.buffer += chunk;
      if (this.output.length < 500) this.output += chunk.slice(0, 500);
      // The lines of one loop arrive together: read them once the current burst has been taken in.
      if (!this.flushQueued) {
        this.flushQueued = true;
        setImmediate(() => this.flush());
      }
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      if (this.output.length < 500) this.output += d.slice(0, 500);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'EACCES') this.giveUp(`processes: ${err.code}`);
    });
    child.on('exit', (code, signal) => {
      if (child !== this.child) return;
      this.child = undefined;
      clearTimeout(this.silence);
      if (this.stopping || this.unavailable) return;
      if (NO_GPU.test(this.output)) {
        this.giveUp(`processes: ${this.output.trim().split('\n')[0] ?? 'no GPU'}`);
        return;
      }
      if (Date.now() - startedAt >= this.backoff.resetAfterMs) this.backoff.reset();
      const delay = this.backoff.next();
      this.o.onExit(
        `nvidia-smi --query-compute-apps exited (code ${code ?? '-'}, signal ${signal ?? '-'}); restarting in ${delay} ms`,
      );
      this.restart = setTimeout(() => this.spawn(), delay);
      this.restart.unref();
    });
    // A fresh nvidia-smi can take seconds to print its first loop: silence then is start-up, not "no processes".
    this.armSilence(Math.max(Math.round(this.o.intervalMs * 1.5), STARTUP_GRACE_MS));
  }

  private giveUp(reason: string): void {
    if (this.unavailable) return;
    this.unavailable = true;
    clearTimeout(this.silence);
    this.o.onUnavailable(reason);
  }

  private flush(): void {
    this.flushQueued = false;
    const cut = this.buffer.lastIndexOf('\n');
    if (cut < 0) return; // a line still arriving
    const text = this.buffer.slice(0, cut);
    this.buffer = this.buffer.slice(cut + 1);
    if (NO_GPU.test(text)) return; // a message before the exit: handled there
    const { apps, bad } = parseComputeApps(text);
    this.armSilence();
    this.o.onApps(apps, bad);
  }

  /** No burst for 1.5 readings from a live stream: no compute process now. */
  private armSilence(ms = Math.round(this.o.intervalMs * 1.5)): void {
    clearTimeout(this.silence);
    this.silence = setTimeout(() => {
      if (!this.child || this.stopping) return;
      this.o.onApps([], []);
      this.armSilence();
    }, ms);
    this.silence.unref();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.silence);
    clearTimeout(this.restart);
    const child = this.child;
    this.child = undefined;
    await stopChild(child);
  }
}
