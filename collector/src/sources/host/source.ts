/**
 * Host metrics: CPU busy from the kernel's tick counters (the "cpu" line of /proc/stat), memory
 * from /proc/meminfo with systeminformation's own arithmetic (mem() itself where /proc is not
 * there), the 1-minute load from /proc/loadavg (os.loadavg() elsewhere), disk from statfs on the watched mounts, and
 * per-interface counters from /proc/net/dev through the same parser `meridian parse proc-net-dev`
 * uses.
 *
 * Why not systeminformation for everything: its currentLoad() spawns `cat /proc/stat | grep cpu`,
 * its fsSize() runs `df`, and its networkStats() runs a shell with seven `cat`s per interface, i.e.
 * processes per sample, which the collector's CPU budget (0.5 % of a core) and its no-spawn-per-
 * sample rule forbid. Its mem() reads /proc/meminfo through four thread-pool round trips; here each
 * /proc file stays open and is read with one synchronous pread (see proc-file.ts), and statfs is
 * synchronous too, so a cycle wakes the event loop once instead of about a dozen times.
 */
import { statfsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { catalogMetric } from '../../parsers/record.js';
import { parseProcNetDev } from '../../parsers/proc-net-dev.js';
import { CounterTracker } from '../counters.js';
import { emitRecords } from '../emit.js';
import { ProcFile } from './proc-file.js';
import { BaseSource, type SourceContext } from '../source.js';
import { RecordBuilder } from '../../parsers/record.js';

export interface HostSourceOptions {
  /** Default 10 s. */
  readonly intervalMs?: number;
  /** Filesystems to sum for disk_used/disk_total. Default ["/"]. */
  readonly mounts?: readonly string[];
  /** Interfaces to report; default all but loopback. */
  readonly interfaces?: readonly string[];
  /** Default /proc/net/dev (tests point it at a file). */
  readonly procNetDev?: string;
  /** Default /proc/meminfo (tests point it at a file). */
  readonly procMeminfo?: string;
  /** Default /proc/stat (tests point it at a file). */
  readonly procStat?: string;
  /** Default /proc/loadavg (tests point it at a file). */
  readonly procLoadavg?: string;
}

/** Memory as systeminformation's mem() computes it: `active` = total − available, in bytes. */
export interface HostMemory {
  readonly total: number;
  readonly active: number;
}

const KIB = 1024;

/**
 * /proc/meminfo → total and active, with the same arithmetic as systeminformation's mem(): "active"
 * excludes caches and buffers (total − MemAvailable; without MemAvailable, on kernels before 3.14,
 * available = MemFree + Buffers + Cached + Slab). Undefined without a MemTotal line.
 */
export function parseMeminfo(text: string): HostMemory | undefined {
  const kib = (key: string): number | undefined => {
    const at = text.indexOf(`\n${key}:`);
    const start = at >= 0 ? at + key.length + 2 : text.startsWith(`${key}:`) ? key.length + 1 : -1;
    if (start < 0) return undefined;
    const v = parseInt(text.slice(start, text.indexOf('\n', start) >>> 0), 10);
    return Number.isFinite(v) ? v * KIB : undefined;
  };
  const total = kib('MemTotal');
  if (!total) return undefined;
  const available =
    kib('MemAvailable') || (kib('MemFree') ?? 0) + (kib('Buffers') ?? 0) + (kib('Cached') ?? 0) + (kib('Slab') ?? 0);
  return { total, active: total - available };
}

/** Busy and total jiffies from the aggregate "cpu" line of /proc/stat (user nice system idle iowait irq …). */
export function parseProcStatCpu(text: string): { busy: number; total: number } | undefined {
  const end = text.indexOf('\n');
  const line = end < 0 ? text : text.slice(0, end);
  if (!line.startsWith('cpu ')) return undefined;
  const f = line.slice(4).trim().split(/\s+/).map(Number);
  const [user = NaN, nice = NaN, system = NaN, idle = NaN, , irq = 0] = f;
  // The fields os.cpus() reports, so the share means what it meant before: iowait is not busy.
  const busy = user + nice + system + irq;
  const total = busy + idle;
  return Number.isFinite(total) ? { busy, total } : undefined;
}

const M = {
  cpu: catalogMetric('cpu_util').name,
  memUsed: catalogMetric('mem_used').name,
  memTotal: catalogMetric('mem_total').name,
  load: catalogMetric('load_1m').name,
  diskUsed: catalogMetric('disk_used').name,
  diskTotal: catalogMetric('disk_total').name,
};

export class HostSource extends BaseSource {
  readonly name = 'host';
  private readonly task = this.periodic('cycle', () => this.collect());
  private readonly counters = new CounterTracker();
  private readonly stat: ProcFile;
  private readonly meminfo: ProcFile;
  private readonly netDev: ProcFile;
  private readonly loadFile: ProcFile;
  private readonly wanted: ReadonlySet<string> | undefined;
  readonly stats = { cycles: 0, samples: 0, counterResets: 0 };

  constructor(private readonly opts: HostSourceOptions = {}) {
    super();
    this.stat = new ProcFile(opts.procStat ?? '/proc/stat');
    this.meminfo = new ProcFile(opts.procMeminfo ?? '/proc/meminfo');
    this.netDev = new ProcFile(opts.procNetDev ?? '/proc/net/dev');
    this.loadFile = new ProcFile(opts.procLoadavg ?? '/proc/loadavg', 128);
    this.wanted = opts.interfaces ? new Set(opts.interfaces) : undefined;
  }

  async start(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    this.current = 'running';
    await this.task.runNow();
    this.task.start(this.opts.intervalMs ?? 10_000);
  }

  async stop(): Promise<void> {
    await this.task.stop();
    for (const f of [this.stat, this.meminfo, this.netDev, this.loadFile]) f.close();
    this.current = 'stopped';
  }

  private lastCpu: { busy: number; total: number } | undefined;

  /**
   * CPU busy share since the previous sample, from the kernel's tick counters. Not
   * systeminformation's currentLoad(): on Linux it spawns `cat /proc/stat | grep cpu` on every call,
   * a process per sample that cost about 2 % of a core at 1 Hz (bench:collector). Not os.cpus()
   * either: it reads /proc/stat and parses /proc/cpuinfo for every CPU's model and speed each time.
   */
  private cpuBusyPercent(): number | undefined {
    const text = this.stat.tryRead();
    const now = (text === undefined ? undefined : parseProcStatCpu(text)) ?? cpusTicks();
    const prev = this.lastCpu;
    this.lastCpu = now;
    const dTotal = prev ? now.total - prev.total : now.total;
    const dBusy = prev ? now.busy - prev.busy : now.busy;
    if (!(dTotal > 0)) return undefined;
    return Math.min(100, Math.max(0, (dBusy / dTotal) * 100));
  }

  /** Counter keys (`interface/metric`) per interface, made once rather than every sample. */
  private readonly counterKeys = new Map<string, Map<string, string>>();

  private counterKey(iface: string, metric: string): string {
    let keys = this.counterKeys.get(iface);
    if (!keys) this.counterKeys.set(iface, (keys = new Map()));
    let key = keys.get(metric);
    if (key === undefined) keys.set(metric, (key = `${iface}/${metric}`));
    return key;
  }

  /**
   * The 1-minute load from the kept /proc/loadavg descriptor (os.loadavg() opens, reads and closes
   * it on every call); os.loadavg() where it cannot be read.
   */
  private load1m(): number {
    const text = this.loadFile.tryRead();
    const v = text === undefined ? NaN : parseFloat(text);
    return Number.isFinite(v) ? v : (loadavg()[0] ?? 0);
  }

  /** Memory from /proc/meminfo; where it cannot be read (not Linux), from systeminformation's mem(). */
  private async memory(): Promise<HostMemory | undefined> {
    const text = this.meminfo.tryRead();
    const m = text === undefined ? undefined : parseMeminfo(text);
    if (m) return m;
    // systeminformation is loaded only on such a host.
    const si = (await import('systeminformation')).default;
    return si.mem().catch(() => undefined);
  }

  async collect(): Promise<void> {
    const ctx = this.ctx;
    if (!ctx) return;
    const ts = this.now();
    this.stats.cycles++;
    const b = new RecordBuilder('host', 'host');
    const mem = await this.memory();
    const busy = this.cpuBusyPercent();
    if (busy !== undefined) b.setNumber(M.cpu, busy);
    if (mem) {
      // "active" excludes caches and buffers, as the catalog's mem_used says.
      b.setNumber(M.memUsed, mem.active);
      b.setNumber(M.memTotal, mem.total);
    }
    b.setNumber(M.load, this.load1m());
    let used = 0;
    let total = 0;
    let seen = 0;
    for (const mount of this.opts.mounts ?? ['/']) {
      try {
        const s = statfsSync(mount);
        total += s.blocks * s.bsize;
        used += (s.blocks - s.bfree) * s.bsize;
        seen++;
      } catch {
        ctx.errors.count(this.name, M.diskUsed, 'unparseable');
      }
    }
    if (seen > 0) {
      b.setNumber(M.diskUsed, used);
      b.setNumber(M.diskTotal, total);
    }
    const records = [b.build()];

    const netDev = this.netDev.tryRead();
    if (netDev === undefined)
      this.reportUnavailable(`${this.netDev.path} is not readable (per-interface counters off)`, 'interfaces');
    else {
      const parsed = parseProcNetDev(netDev);
      for (const e of parsed.errors) ctx.errors.countDocument(this.name, e);
      const wanted = this.wanted;
      for (const r of parsed.records) {
        const iface = String(r.labels.interface);
        if (wanted ? !wanted.has(iface) : iface === 'lo') continue;
        for (const metric in r.values) {
          const s = this.counters.step(this.counterKey(iface, metric), r.values[metric]!);
          if (s.kind === 'reset' || s.kind === 'wrap') {
            this.stats.counterResets++;
            ctx.errors.count(this.name, metric, 'counter_reset');
          }
        }
        records.push(r);
      }
    }
    this.stats.samples += emitRecords(ctx, this.name, records, ts);
  }
}

/** Busy and total CPU time from os.cpus(), for hosts without /proc/stat. */
function cpusTicks(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const c of cpus()) {
    const t = c.times;
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busy, total };
}
