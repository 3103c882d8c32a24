/**
 * GPU telemetry from nvidia-smi without a process per sample:
 *
 * - ONE long-lived `nvidia-smi --query-gpu=<catalog fields> --format=csv,noheader,nounits -lms N`
 *   whose stdout is parsed line by line as it streams. If it dies, or goes silent for longer than
 *   `stallMs`, it is (killed and) restarted with exponential backoff.
 * - `nvidia-smi -q -x` at start-up and every `inventoryIntervalMs` for the inventory (UUID, serial,
 *   driver/CUDA, MIG, ECC, power limit, PCIe max) and for what the query interface cannot give:
 *   MIG instances' memory, BAR1, remapped rows, retired pages, PCIe replay and throughput.
 *
 * - NVRM XID events from the kernel log (/dev/kmsg, drained non-blocking every few seconds), joined to
 *   GPUs by PCI address from `-q -x`: xid_last and xid_count (XIDs seen since the collector started).
 *
 * A host without nvidia-smi (ENOENT), or whose nvidia-smi finds no GPU or no driver, is reported
 * unavailable once and the source goes quiet instead of respawning forever.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { uptime } from 'node:os';
import { COLLECTOR_QUERY_FIELDS, QUERY_ALIASES } from '../parsers/nvidia-smi-fields.js';
import { compileColumns, parseCsvLine, type CompiledColumns } from '../parsers/nvidia-smi-csv.js';
import { parseNvidiaSmiXml, type GpuAddress } from '../parsers/nvidia-smi-xml.js';
import { parseXidLine, pciKey } from '../parsers/xid.js';
import { catalogMetric, RecordBuilder } from '../parsers/record.js';
import { KernelLogFollower } from './kernel-log.js';
import { NVIDIA_SMI_QUERY_FIELDS } from '../parsers/catalog-fields.js';
import type { ParsedRecord } from '../parsers/record.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { emitRecords } from './emit.js';
import { runOnce } from './run-once.js';
import { BaseSource, type SourceContext } from './source.js';

export interface NvidiaSmiSourceOptions {
  /** Path of the nvidia-smi binary. Default "nvidia-smi" (on PATH). */
  readonly path?: string;
  /** Sampling interval handed to -lms. Default 1000 ms. */
  readonly intervalMs?: number;
  /** How often to re-read `-q -x`. Default 5 minutes; 0 reads it only at start. */
  readonly inventoryIntervalMs?: number;
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
  /** `-q -x` must finish within this. Default 30 s (it takes seconds on big hosts). */
  readonly xmlTimeoutMs?: number;
  /** Extra environment for the child (tests steer the simulated nvidia-smi with it). */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Kernel log to follow for NVRM XID events (xid_last, xid_count). Default /dev/kmsg; "" turns it
   * off. Unreadable (e.g. dmesg_restrict for a non-root agent) is reported once, the rest goes on.
   */
  readonly kernelLog?: string;
  /** How often the kernel log is drained. Default 5 s. */
  readonly xidPollMs?: number;
  /** How long start() waits for the first inventory read before returning. Default 5 s. */
  readonly startWaitMs?: number;
}

/** Output nvidia-smi prints when it can run but the host has nothing for it to read. */
const NO_GPU = /No devices were found|couldn't communicate with the NVIDIA driver|NVIDIA-SMI has failed/i;

/** What nvidia-smi says, then exits, when a query field is unknown to this driver. */
const INVALID_FIELD = /Field "([^"]+)" is not a valid field to query/;

const XID_LAST = catalogMetric('xid_last').name;
const XID_COUNT = catalogMetric('xid_count').name;

/** Metrics only the XML provides; the others come from the stream and are not duplicated. */
const QUERY_METRICS = new Set(NVIDIA_SMI_QUERY_FIELDS.map((f) => f.metric.name));

export interface NvidiaSmiStats {
  xids: number;
  lines: number;
  samples: number;
  restarts: number;
  stalls: number;
  inventoryReads: number;
}

export class NvidiaSmiSource extends BaseSource {
  readonly name = 'nvidia-smi';
  private readonly path: string;
  private readonly intervalMs: number;
  private readonly inventoryIntervalMs: number;
  private readonly stallMs: number;
  private readonly startupMs: number;
  private readonly xmlTimeoutMs: number;
  private compiled: CompiledColumns;
  private readonly backoff: Backoff;
  private child: ChildProcess | undefined;
  private childStartedAt = 0;
  private childLines = 0;
  private lastLineAt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private readonly inventoryTask = this.periodic('inventory', async () => {
    await this.readInventory();
  });
  private readonly xidTask = this.periodic('xid_last', () => this.readXids());
  private stopping = false;
  private stderrTail = '';
  private burst: ParsedRecord[] = [];
  private burstTs = 0;
  private readonly rejected = new Set<string>();
  readonly stats: NvidiaSmiStats = { xids: 0, lines: 0, samples: 0, restarts: 0, stalls: 0, inventoryReads: 0 };
  /** PCI key → GPU, from the latest -q -x, to attribute XID lines. */
  private byPci = new Map<string, GpuAddress>();
  private readonly xidCounts = new Map<string, number>();
  private kernelLog: KernelLogFollower | undefined;
  private bootUptimeAtStart = 0;

  constructor(private readonly opts: NvidiaSmiSourceOptions = {}) {
    super();
    this.path = opts.path ?? 'nvidia-smi';
    this.intervalMs = opts.intervalMs ?? 1000;
    this.inventoryIntervalMs = opts.inventoryIntervalMs ?? 300_000;
    this.stallMs = opts.stallMs ?? Math.max(5 * this.intervalMs, 10_000);
    this.startupMs = opts.startupMs ?? Math.max(this.stallMs, 30_000);
    this.xmlTimeoutMs = opts.xmlTimeoutMs ?? 30_000;
    this.compiled = compileColumns(opts.fields ?? COLLECTOR_QUERY_FIELDS);
    this.backoff = new Backoff(opts.backoff);
  }

  async start(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    this.stopping = false;
    this.current = 'running';
    // The stream starts at once; `-q -x` runs beside it (it can take seconds on a big host). Either
    // one finding no nvidia-smi or no GPU marks the source unavailable (reported once).
    this.spawnStream();
    if (this.inventoryIntervalMs > 0) this.inventoryTask.start(this.inventoryIntervalMs);
    // XID lines are joined to GPUs by the PCI addresses the first inventory gives, so the kernel log
    // is followed once it is in. start() waits for that at most `startWaitMs`, then lets it finish
    // alone; its failures take the periodic tasks' one error path (counted, logged, never thrown).
    const first = this.periodic('inventory', async () => {
      if ((await this.readInventory()) && !this.stopping) await this.followKernelLog();
    }).runNow();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([first, new Promise<void>((r) => (timer = setTimeout(r, this.opts.startWaitMs ?? 5000)))]);
    clearTimeout(timer);
    if (this.state() === 'unavailable') await this.stop();
  }

  private async followKernelLog(): Promise<void> {
    const path = this.opts.kernelLog ?? '/dev/kmsg';
    if (path === '') return;
    const follower = new KernelLogFollower(path);
    try {
      await follower.open();
    } catch (e) {
      this.reportUnavailable(`${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)} (XID events off)`, 'xid');
      return;
    }
    this.kernelLog = follower;
    this.bootUptimeAtStart = uptime();
    await this.xidTask.runNow();
    this.xidTask.start(this.opts.xidPollMs ?? 5000);
  }

  /**
   * Drains new kernel-log lines. An XID logged before the collector started sets xid_last (the state
   * is still true) but is not counted; xid_count counts the XIDs seen since start, per GPU.
   */
  async readXids(): Promise<void> {
    const ctx = this.ctx;
    const follower = this.kernelLog;
    if (!ctx || !follower) return;
    let lines: string[];
    try {
      lines = await follower.drain();
    } catch (e) {
      ctx.errors.count(this.name, 'xid_last', 'malformed');
      this.log(`kernel log read failed: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      return;
    }
    const latest = new Map<string, { addr: GpuAddress; xid: number; counted: boolean }>();
    for (const line of lines) {
      const ev = parseXidLine(line);
      if (!ev) continue;
      const addr = this.byPci.get(ev.pci);
      if (!addr) {
        ctx.errors.count(this.name, 'xid_last', 'unattributed');
        continue;
      }
      const historic = ev.uptimeSec !== undefined && ev.uptimeSec < this.bootUptimeAtStart - 1;
      if (!historic) {
        this.xidCounts.set(addr.gpu_uuid, (this.xidCounts.get(addr.gpu_uuid) ?? 0) + 1);
        this.stats.xids++;
      }
      latest.set(addr.gpu_uuid, { addr, xid: ev.xid, counted: !historic });
    }
    if (latest.size === 0) return;
    const ts = this.now();
    const records: ParsedRecord[] = [...latest.values()].map(({ addr, xid }) => {
      const b = new RecordBuilder('gpu', 'nvidia-smi');
      b.label('gpu_uuid', addr.gpu_uuid).label('gpu_index', addr.gpu_index);
      b.setNumber(XID_LAST, xid);
      b.setNumber(XID_COUNT, this.xidCounts.get(addr.gpu_uuid) ?? 0);
      return b.build();
    });
    emitRecords(ctx, this.name, records, ts);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.current !== 'unavailable') this.current = 'stopped';
    clearTimeout(this.restartTimer);
    clearTimeout(this.stallTimer);
    // An inventory read in progress (up to xmlTimeoutMs) is not waited for: its rows are not needed.
    this.inventoryTask.cancel();
    await this.xidTask.stop();
    this.flushBurst();
    await this.kernelLog?.close();
    this.kernelLog = undefined;
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 2000).unref();
      });
    }
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
      let start = 0;
      for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
        const piece = chunk.slice(start, nl);
        start = nl + 1;
        const line = partial === '' ? piece : partial + piece;
        partial = '';
        this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
      }
      partial += chunk.slice(start);
    });
    child.stdout?.on('end', () => {
      if (partial !== '') this.onLine(partial);
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

  private onLine(line: string): void {
    if (line.trim() === '') return;
    const ctx = this.ctx;
    if (!ctx) return;
    this.lastLineAt = this.now();
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
    // nvidia-smi writes one burst of lines (one per GPU) per interval: they share one timestamp and
    // reach the pipeline as one push, flushed once the burst has been read.
    if (this.burst.length === 0) {
      this.burstTs = this.lastLineAt;
      setImmediate(() => this.flushBurst());
    }
    this.burst.push(r.record);
    if (this.now() - this.childStartedAt >= this.backoff.resetAfterMs) this.backoff.reset();
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

  /** Runs `-q -x` once; returns false when nvidia-smi cannot run here at all. */
  async readInventory(): Promise<boolean> {
    const ctx = this.ctx;
    if (!ctx) return false;
    const res = await runOnce(this.path, ['-q', '-x'], this.xmlTimeoutMs, this.childEnv());
    if (res.kind === 'missing') {
      this.current = 'unavailable';
      this.reportUnavailable(`${this.path}: ${res.code}`);
      return false;
    }
    if (res.kind === 'timeout') {
      ctx.errors.count(this.name, 'inventory', 'timeout');
      return true;
    }
    if (res.code !== 0 && NO_GPU.test(res.stdout + res.stderr)) {
      this.current = 'unavailable';
      this.reportUnavailable((res.stdout + res.stderr).trim().split('\n')[0] ?? 'no GPU');
      return false;
    }
    const parsed = parseNvidiaSmiXml(res.stdout);
    for (const e of parsed.errors) ctx.errors.countDocument(`${this.name}-xml`, e);
    if (parsed.addresses.length > 0) {
      this.byPci = new Map(
        parsed.addresses.flatMap((a) => {
          const k = pciKey(a.pci_bus_id);
          return k ? [[k, a] as const] : [];
        }),
      );
    }
    const ts = this.now();
    this.stats.inventoryReads++;
    if (parsed.inventory.length > 0) {
      ctx.emit(
        'inventory',
        parsed.inventory.map((i) => ({ ts, source: this.name, region: ctx.region, host: ctx.host, ...i })),
      );
    }
    emitRecords(ctx, `${this.name}-xml`, parsed.records.map(xmlOnly), ts);
    return true;
  }
}

/** Keeps a whole-GPU XML record to the metrics the stream lacks; MIG records are kept whole. */
function xmlOnly(r: ParsedRecord): ParsedRecord {
  if (r.labels.mig_instance !== undefined) return r;
  const values = Object.fromEntries(Object.entries(r.values).filter(([k]) => !QUERY_METRICS.has(k)));
  return { ...r, values, errors: r.errors.filter((e) => !QUERY_METRICS.has(e.field)) };
}
