/**
 * GPU telemetry from nvidia-smi without a process per sample: ONE long-lived
 * `nvidia-smi --query-gpu=<catalog fields> --format=csv,noheader,nounits -lms N` whose stdout is
 * parsed line by line as it streams. If it dies, or goes silent for longer than `stallMs`, it is
 * (killed and) restarted with exponential backoff. (`nvidia-smi -q -x` is the inventory source,
 * ../inventory/; XID events are the kernel-log source, ../kernel-log/.)
 *
 * A host without nvidia-smi (ENOENT), or whose nvidia-smi finds no GPU or no driver, is reported
 * unavailable once and the source goes quiet instead of respawning forever.
 *
 * Where the pipeline offers a drain at each flush (the agent), the lines read are held, stamped
 * with the time their burst was read, and parsed at the flush: ten bursts in one pass, where the
 * parser is hot, instead of one cold pass a second (bench:collector, collector/README.md). The
 * rows reach the same batch, with the same timestamps, as if emitted when read.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { COLLECTOR_QUERY_FIELDS, QUERY_ALIASES } from '../../parsers/nvidia-smi-fields.js';
import { compileColumns, parseCsvLine, type CompiledColumns } from '../../parsers/nvidia-smi-csv.js';
import type { ParsedRecord } from '../../parsers/record.js';
import { Backoff, type BackoffOptions } from '../backoff.js';
import { emitRecords } from '../emit.js';
import { stopChild } from '../run-once.js';
import { BaseSource, type SourceContext } from '../source.js';
import { NO_GPU } from './no-gpu.js';

export interface NvidiaSmiSourceOptions {
  /** Path of the nvidia-smi binary. Default "nvidia-smi" (on PATH). */
  readonly path?: string;
  /** Sampling interval handed to -lms. Default 1000 ms. */
  readonly intervalMs?: number;
  /** No line for this long means the stream is stuck: kill and restart. Default max(5 × interval, 10 s). */
  readonly stallMs?: number;
  /**
   * Grace for a fresh child's first line. nvidia-smi can take seconds to initialise on a large host
   * (or without persistenced), which is slow start-up, not a stall. Default max(stallMs, 30 s).
   */
  readonly startupMs?: number;
  readonly backoff?: BackoffOptions;
  /** Query fields; default: identity plus every catalog field with an nvidia-smi query name. */
  readonly fields?: readonly string[];
  /** Extra environment for the child (tests steer the simulated nvidia-smi with it). */
  readonly env?: NodeJS.ProcessEnv;
}

/** Held text beyond this is parsed at once, whatever the pipeline's cadence: it bounds the memory. */
const MAX_HELD_CHARS = 1 << 20;

/** What nvidia-smi says, then exits, when a query field is unknown to this driver. */
const INVALID_FIELD = /Field "([^"]+)" is not a valid field to query/;

export interface NvidiaSmiStats {
  lines: number;
  samples: number;
  restarts: number;
  stalls: number;
}

export class NvidiaSmiSource extends BaseSource {
  readonly name = 'nvidia-smi';
  private readonly path: string;
  private readonly intervalMs: number;
  private readonly stallMs: number;
  private readonly startupMs: number;
  private compiled: CompiledColumns;
  private readonly backoff: Backoff;
  private child: ChildProcess | undefined;
  private childStartedAt = 0;
  private childLines = 0;
  private lastLineAt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private stderrTail = '';
  private burst: ParsedRecord[] = [];
  private burstTs = 0;
  /** When the burst being read began, and when its last chunk came (see onChunk). */
  private readAt = 0;
  private lastChunkAt = -Infinity;
  /** Complete lines read but not yet parsed, a chunk's worth each, and when each was read. */
  private held: string[] = [];
  private heldAt: number[] = [];
  private heldChars = 0;
  private unhook: (() => void) | undefined;
  private readonly rejected = new Set<string>();
  readonly stats: NvidiaSmiStats = { lines: 0, samples: 0, restarts: 0, stalls: 0 };

  constructor(private readonly opts: NvidiaSmiSourceOptions = {}) {
    super();
    this.path = opts.path ?? 'nvidia-smi';
    this.intervalMs = opts.intervalMs ?? 1000;
    this.stallMs = opts.stallMs ?? Math.max(5 * this.intervalMs, 10_000);
    this.startupMs = opts.startupMs ?? Math.max(this.stallMs, 30_000);
    this.compiled = compileColumns(opts.fields ?? COLLECTOR_QUERY_FIELDS);
    this.backoff = new Backoff(opts.backoff);
  }

  /** How many reads are held for the next flush. */
  heldReads(): number {
    return this.held.length;
  }

  async start(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    this.stopping = false;
    this.current = 'running';
    this.unhook = ctx.beforeCut?.(() => this.drain());
    this.spawnStream();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.current !== 'unavailable') this.current = 'stopped';
    clearTimeout(this.restartTimer);
    clearTimeout(this.stallTimer);
    this.drain();
    this.unhook?.();
    this.unhook = undefined;
    const child = this.child;
    this.child = undefined;
    await stopChild(child);
  }

  private childEnv(): NodeJS.ProcessEnv {
    return this.opts.env ? { ...process.env, ...this.opts.env } : process.env;
  }

  private spawnStream(): void {
    if (this.stopping) return;
    const args = [
      `--query-gpu=${this.compiled.fields.join(',')}`,
      '--format=csv,noheader,nounits',
      '-lms',
      String(this.intervalMs),
    ];
    const child = spawn(this.path, args, { stdio: ['ignore', 'pipe', 'pipe'], env: this.childEnv() });
    this.child = child;
    this.childStartedAt = this.now();
    this.lastLineAt = this.childStartedAt;
    this.childLines = 0;
    this.stderrTail = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      this.stderrTail = (this.stderrTail + d).slice(-500);
    });
    // Lines are cut here rather than by node:readline, whose per-line events and bookkeeping cost
    // more than the parsing at 8 lines a second. A line may arrive split across chunks.
    let partial = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      const nl = chunk.lastIndexOf('\n');
      if (nl < 0) {
        partial += chunk;
        return;
      }
      const lines = partial + chunk.slice(0, nl + 1);
      partial = chunk.slice(nl + 1);
      this.onChunk(lines);
    });
    child.stdout?.on('end', () => {
      if (partial !== '') this.onChunk(`${partial}\n`);
      partial = '';
    });
    this.armStall(this.startupMs);
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'EACCES') {
        this.current = 'unavailable';
        this.reportUnavailable(`${this.path}: ${err.code}`);
        return;
      }
      this.ctx?.errors.count(this.name, 'process', 'spawn_failed');
    });
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
  }

  /**
   * Complete lines as read. nvidia-smi writes one burst of lines (one per GPU) per interval, and a
   * burst split across reads is one burst: a chunk within half an interval of the previous one
   * belongs to its burst and shares its timestamp. Until the child's first sample, and where no
   * pipeline drains it, a chunk is parsed at once; after that it is held for the next flush.
   */
  private onChunk(lines: string): void {
    const at = this.now();
    if (at - this.lastChunkAt >= this.intervalMs / 2) this.readAt = at;
    this.lastChunkAt = at;
    this.lastLineAt = at;
    if (this.childLines === 0 || this.unhook === undefined) {
      this.parse(lines, this.readAt);
      this.flushBurst();
      return;
    }
    this.held.push(lines);
    this.heldAt.push(this.readAt);
    this.heldChars += lines.length;
    if (this.heldChars > MAX_HELD_CHARS) this.drain();
  }

  /** Parses and emits every held line: at each pipeline flush, when the child exits and on stop. */
  private drain(): void {
    const held = this.held;
    const heldAt = this.heldAt;
    if (held.length === 0) return;
    this.held = [];
    this.heldAt = [];
    this.heldChars = 0;
    for (let i = 0; i < held.length; i++) this.parse(held[i] as string, heldAt[i] as number);
    this.flushBurst();
  }

  /** Parses complete lines read at `readAt`; a new read time closes the burst before it. */
  private parse(lines: string, readAt: number): void {
    if (readAt !== this.burstTs) this.flushBurst();
    this.burstTs = readAt;
    let start = 0;
    for (let nl = lines.indexOf('\n'); nl >= 0; nl = lines.indexOf('\n', start)) {
      const line = lines.slice(start, nl);
      start = nl + 1;
      this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line, readAt);
    }
  }

  private onLine(line: string, readAt: number): void {
    if (line.trim() === '') return;
    const ctx = this.ctx;
    if (!ctx) return;
    this.stats.lines++;
    if (NO_GPU.test(line) || INVALID_FIELD.test(line)) {
      this.stderrTail = line;
      return; // a message, not a sample
    }
    // From the first sample on, silence is judged by stallMs, no longer by the start-up grace.
    if (this.childLines++ === 0) this.armStall(this.stallMs);
    const r = parseCsvLine(line, this.compiled);
    if (!r.ok) {
      ctx.errors.countDocument(this.name, r.error);
      return;
    }
    // A burst's lines share one timestamp and reach the pipeline as one push.
    this.burst.push(r.record);
    if (readAt - this.childStartedAt >= this.backoff.resetAfterMs) this.backoff.reset();
  }

  private flushBurst(): void {
    const ctx = this.ctx;
    if (!ctx || this.burst.length === 0) return;
    const records = this.burst;
    this.burst = [];
    this.stats.samples += emitRecords(ctx, this.name, records, this.burstTs);
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return; // an old child we already replaced
    this.child = undefined;
    // Its lines are parsed with its own field list and judged as its own, before anything changes.
    this.drain();
    if (this.stopping || this.current === 'unavailable') return;
    if (this.childLines === 0 && NO_GPU.test(this.stderrTail)) {
      this.current = 'unavailable';
      this.reportUnavailable(this.stderrTail.trim().split('\n')[0] ?? 'no GPU');
      return;
    }
    const invalid = INVALID_FIELD.exec(this.stderrTail)?.[1];
    if (invalid !== undefined && this.dropField(invalid)) {
      this.spawnStream(); // a changed field list is not a failure: no backoff
      return;
    }
    this.ctx?.errors.count(this.name, 'process', 'process_exit');
    const delay = this.backoff.next();
    this.log(`stream exited (code ${code ?? '-'}, signal ${signal ?? '-'}); restarting in ${delay} ms`);
    this.restartTimer = setTimeout(() => {
      this.stats.restarts++;
      this.spawnStream();
    }, delay);
    this.restartTimer.unref();
  }

  /**
   * Query fields differ by driver (e.g. `clocks_event_reasons.*` is the R535+ name of
   * `clocks_throttle_reasons.*`). A rejected field is swapped for its alias if it has one, else
   * dropped, and the stream restarts with the rest. Returns false if nothing could be changed.
   */
  private dropField(field: string): boolean {
    const fields = [...this.compiled.fields];
    const i = fields.indexOf(field);
    if (i < 0) return false;
    const alias = QUERY_ALIASES.find(([c, a]) => c === field || a === field);
    const other = alias ? (alias[0] === field ? alias[1] : alias[0]) : undefined;
    const triedAlias = other !== undefined && this.rejected.has(other);
    this.rejected.add(field);
    if (other !== undefined && !triedAlias) fields[i] = other;
    else fields.splice(i, 1);
    this.ctx?.errors.count(this.name, field, 'unsupported_field');
    this.log(
      `this nvidia-smi does not know "${field}"; ${fields[i] === other ? `using "${other}"` : 'dropped'} and restarting`,
    );
    this.compiled = compileColumns(fields);
    return true;
  }

  /**
   * Watches for a silent stream with one timer that is re-armed for the time left, not a periodic
   * check: while lines keep coming it wakes the process once per stall period, not every second.
   */
  private armStall(limitMs: number): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => this.checkStall(), limitMs);
    this.stallTimer.unref();
  }

  private checkStall(): void {
    const child = this.child;
    if (!child || this.stopping) return;
    const limit = this.childLines === 0 ? this.startupMs : this.stallMs;
    const silentMs = this.now() - this.lastLineAt;
    if (silentMs < limit) {
      this.armStall(limit - silentMs);
      return;
    }
    this.stats.stalls++;
    this.ctx?.errors.count(this.name, 'process', 'stall');
    this.log(`no output for ${silentMs} ms; killing the stream to restart it`);
    this.lastLineAt = this.now(); // one kill per stall
    child.kill('SIGKILL'); // onExit restarts it with backoff
    this.armStall(limit); // and if it does not die, it is killed again
  }
}
