/**
 * Host metrics: memory through `systeminformation` (which reads /proc/meminfo, no child process),
 * CPU busy from os.cpus() tick deltas, the 1-minute load from os.loadavg(), disk from statfs on the watched mounts, and
 * per-interface counters from /proc/net/dev through the same parser `meridian parse proc-net-dev`
 * uses.
 *
 * Why not systeminformation for disks and interfaces: its fsSize() runs `df` and its
 * networkStats() runs a shell with seven `cat`s per interface on every call, i.e. processes per
 * sample, which the collector's CPU budget (0.5 % of a core) and its no-spawn-per-sample rule forbid.
 */
import { statfs, readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import si from 'systeminformation';
import { catalogMetric } from '../parsers/record.js';
import { parseProcNetDev } from '../parsers/proc-net-dev.js';
import { CounterTracker } from './counters.js';
import { emitRecords } from './emit.js';
import { BaseSource, type SourceContext } from './source.js';
import { RecordBuilder } from '../parsers/record.js';

export interface HostSourceOptions {
  /** Default 10 s. */
  readonly intervalMs?: number;
  /** Filesystems to sum for disk_used/disk_total. Default ["/"]. */
  readonly mounts?: readonly string[];
  /** Interfaces to report; default all but loopback. */
  readonly interfaces?: readonly string[];
  /** Default /proc/net/dev (tests point it at a file). */
  readonly procNetDev?: string;
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
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private readonly counters = new CounterTracker();
  readonly stats = { cycles: 0, samples: 0, counterResets: 0 };

  constructor(private readonly opts: HostSourceOptions = {}) {
    super();
  }

  async start(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    this.current = 'running';
    await this.collect();
    this.timer = setInterval(() => {
      if (!this.inFlight) this.inFlight = this.collect().finally(() => (this.inFlight = undefined));
    }, this.opts.intervalMs ?? 10_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.inFlight;
    this.current = 'stopped';
  }

  private lastCpu: { busy: number; total: number } | undefined;

  /**
   * CPU busy share since the previous sample, from the kernel's tick counters via os.cpus(). Not
   * systeminformation's currentLoad(): on Linux it spawns `cat /proc/stat | grep cpu` on every call,
   * a process per sample that cost about 2 % of a core at 1 Hz (bench:collector).
   */
  private cpuBusyPercent(): number | undefined {
    let busy = 0;
    let total = 0;
    for (const c of cpus()) {
      const t = c.times;
      busy += t.user + t.nice + t.sys + t.irq;
      total += t.user + t.nice + t.sys + t.irq + t.idle;
    }
    const prev = this.lastCpu;
    this.lastCpu = { busy, total };
    const dTotal = prev ? total - prev.total : total;
    const dBusy = prev ? busy - prev.busy : busy;
    if (!(dTotal > 0)) return undefined;
    return Math.min(100, Math.max(0, (dBusy / dTotal) * 100));
  }

  async collect(): Promise<void> {
    const ctx = this.ctx;
    if (!ctx) return;
    const ts = this.now();
    this.stats.cycles++;
    const b = new RecordBuilder('host', 'host');
    const mem = await si.mem().catch(() => undefined);
    const busy = this.cpuBusyPercent();
    if (busy !== undefined) b.setNumber(M.cpu, busy);
    if (mem) {
      // "active" excludes caches and buffers, as the catalog's mem_used says.
      b.setNumber(M.memUsed, mem.active);
      b.setNumber(M.memTotal, mem.total);
    }
    b.setNumber(M.load, loadavg()[0] ?? 0);
    let used = 0;
    let total = 0;
    let seen = 0;
    for (const mount of this.opts.mounts ?? ['/']) {
      try {
        const s = await statfs(mount);
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

    const path = this.opts.procNetDev ?? '/proc/net/dev';
    try {
      const parsed = parseProcNetDev(await readFile(path, 'utf8'));
      for (const e of parsed.errors) ctx.errors.countDocument(this.name, e);
      const wanted = this.opts.interfaces ? new Set(this.opts.interfaces) : undefined;
      for (const r of parsed.records) {
        const iface = String(r.labels.interface);
        if (wanted ? !wanted.has(iface) : iface === 'lo') continue;
        for (const [metric, v] of Object.entries(r.values)) {
          const s = this.counters.step(`${iface}/${metric}`, v);
          if (s.kind === 'reset' || s.kind === 'wrap') {
            this.stats.counterResets++;
            ctx.errors.count(this.name, metric, 'counter_reset');
          }
        }
        records.push(r);
      }
    } catch {
      this.reportUnavailable(`${path} is not readable (per-interface counters off)`, 'interfaces');
    }
    this.stats.samples += emitRecords(ctx, this.name, records, ts);
  }
}
