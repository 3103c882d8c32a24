/**
 * The STAMP sender in a process of its own (sender-process-main.ts), as `meridian collect` runs it.
 *
 * Why a process: the agent caps V8 at its baseline compiler (agent/jit.ts), because its own work
 * runs a few times a second and TurboFan's compiles cost more than they save. A prober sends and
 * matches 80 probes a second, code TurboFan pays for; but V8's flags are per process, so lifting
 * the cap for the sender lifted it for the whole agent too, and TurboFan then compiled the
 * agent's batch code (the rows-to-columns loop, validation, the encoders) and re-compiled it each
 * time another target's rows deoptimised it: 0.17 to 0.24 % of a core for the first six or seven
 * minutes (collector/README.md). Alone in its process the sender gets TurboFan and the agent keeps
 * its cap. It also keeps every probe's send and receive off the event loop that parses, encodes
 * and spools.
 *
 * The process holds nothing the agent needs: reports come back as they are made, counters every
 * few seconds. If it dies it is started again (with backoff), and what it lost is its open
 * intervals, as when the roster moves this host's probing elsewhere.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readClockStatus, UNSYNCED_CLOCK, type ClockStatus } from '../../stamp/clock.js';
import { parseStampSenderConfig, type StampSenderConfig, type StampSenderConfigInput } from '../../stamp/config.js';
import type { StampSenderStats } from '../../stamp/sender.js';
import { Backoff, type BackoffOptions } from '../backoff.js';
import type { SenderFactory, SenderHandle, SenderHandleOptions } from './sender-handle.js';
import { readFromSender, type ToSender } from './sender-process-protocol.js';

export interface SenderProcessOptions {
  /** The process's entry module. Default: sender-process-main.js beside this module. */
  readonly entry?: string;
  /** Delays before a process that died is started again. Default: 1 s doubling to 1 min. */
  readonly backoff?: BackoffOptions;
  /** How often a clock status function is read, and a change sent on. Default 5 s (chrony is read every minute). */
  readonly clockPollMs?: number;
}

/** How long a stopping process gets beyond its loss timeout (its last replies) before SIGKILL. */
const STOP_GRACE_MS = 5_000;

const DEFAULT_ENTRY = fileURLToPath(new URL('./sender-process-main.js', import.meta.url));

/** A factory for the source: every sender it makes runs in a process of its own. */
export function senderProcess(options: SenderProcessOptions = {}): SenderFactory {
  return (config, opts) => new ProcessSender(config, opts, options);
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export class ProcessSender implements SenderHandle {
  readonly config: StampSenderConfig;
  private child: ChildProcess | undefined;
  private last: StampSenderStats = { peers: [], skippedSlots: 0, droppedReports: 0 };
  private clockSent: ClockStatus = UNSYNCED_CLOCK;
  private clockTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  private startedAt = 0;
  private running = false;
  /** Set while stop() waits for the process's 'stopped'. */
  private onStopped: (() => void) | undefined;

  constructor(
    input: StampSenderConfigInput,
    private readonly opts: SenderHandleOptions,
    private readonly options: SenderProcessOptions = {},
  ) {
    // Validated here, so that a bad config is refused by the agent with its key, before any fork.
    this.config = parseStampSenderConfig(input);
    this.backoff = new Backoff(options.backoff);
  }

  /** The running process's pid (undefined between a death and its restart). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    if (this.running) throw new Error('StampSender already started');
    try {
      await this.spawn();
    } catch (err) {
      // Nothing is left running when start() rejects: the process that refused is gone first.
      const child = this.child;
      if (child?.pid !== undefined) {
        if (child.connected) child.disconnect();
        await exited(child);
      }
      this.child = undefined;
      throw err;
    }
    this.running = true;
    if (typeof this.opts.clock === 'function')
      this.clockTimer = setInterval(() => this.forwardClock(), this.options.clockPollMs ?? 5000).unref();
  }

  async stop({ drain = true }: { drain?: boolean } = {}): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.clockTimer);
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child) return;
    const deadline = setTimeout(() => {
      this.opts.log(`the STAMP sender process (pid ${child.pid}) did not stop in time: killed`);
      child.kill('SIGKILL');
    }, this.config.lossTimeoutMs + STOP_GRACE_MS);
    // 'stopped' comes after the last report (one channel, in order); a process that dies first
    // ends the wait too.
    await new Promise<void>((resolve) => {
      this.onStopped = resolve;
      if (!this.tell({ kind: 'stop', drain })) resolve();
    });
    this.onStopped = undefined;
    // Closing the channel ends the process (sender-process-main.ts).
    if (child.connected) child.disconnect();
    await exited(child);
    clearTimeout(deadline);
  }

  stats(): StampSenderStats {
    return this.last;
  }

  /** Sends a message if the channel is open; false when there is nobody to send it to. */
  private tell(message: ToSender): boolean {
    const child = this.child;
    if (!child?.connected) return false;
    child.send(message);
    return true;
  }

  /** Forks a sender process and tells it to start; resolves once it probes. */
  private spawn(): Promise<void> {
    const child = fork(this.options.entry ?? DEFAULT_ENTRY, [], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (err?: Error): void => {
        if (settled) return;
        settled = true;
        if (err) reject(err);
        else resolve();
      };
      child.on('message', (raw) => {
        const m = readFromSender(raw);
        if (typeof m === 'string') {
          this.opts.log(`ignored a message from the STAMP sender process: ${m}`);
          return;
        }
        if (m.kind === 'report') this.opts.onReport(m.report);
        else if (m.kind === 'stats') this.last = m.stats;
        else if (m.kind === 'started') {
          this.startedAt = Date.now();
          settle();
        } else if (m.kind === 'failed') {
          settle(new Error(m.message));
          if (child.connected) child.disconnect();
        } else this.onStopped?.();
      });
      // A send on a channel that closed under it is reported here, not thrown.
      child.on('error', (err) => {
        settle(new Error(`cannot start the STAMP sender process: ${err.message}`));
        this.opts.log(`the STAMP sender process: ${err.message}`);
      });
      child.once('exit', (code, signal) => {
        if (this.child === child) this.child = undefined;
        const why = signal ?? `exit code ${code}`;
        settle(new Error(`the STAMP sender process ended (${why}) before it started probing`));
        this.onStopped?.();
        if (this.running) this.restartAfter(why);
      });
      this.clockSent = this.readClock();
      this.tell({ kind: 'start', config: this.config, clock: this.clockSent });
    });
  }

  /** A process that died while it should run is started again, later each time it keeps dying. */
  private restartAfter(why: string): void {
    if (Date.now() - this.startedAt >= this.backoff.resetAfterMs) this.backoff.reset();
    const delayMs = this.backoff.next();
    this.opts.log(
      `the STAMP sender process ended (${why}); its open intervals are lost; starting it again in ${delayMs} ms`,
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      // A failed restart ends its process too, and that exit schedules the next attempt.
      this.spawn().catch((err: Error) => this.opts.log(`the STAMP sender process did not start: ${err.message}`));
    }, delayMs);
  }

  /** This host's clock status now, as the message carries it (nothing else the source's object has). */
  private readClock(): ClockStatus {
    const { synced, errorMs } = readClockStatus(this.opts.clock ?? UNSYNCED_CLOCK);
    return { synced, errorMs };
  }

  private forwardClock(): void {
    const now = this.readClock();
    if (now.synced === this.clockSent.synced && now.errorMs === this.clockSent.errorMs) return;
    this.clockSent = now;
    this.tell({ kind: 'clock', clock: now });
  }
}
