/**
 * NVRM XID events from the kernel log (/dev/kmsg by default, through a `cat` child; or a FIFO from
 * the DaemonSet's relay: either is read as each record arrives, `follower.ts`), joined to GPUs by the PCI
 * addresses the inventory source puts in the GpuDirectory: xid_last and xid_count (the XIDs seen
 * since the collector started) per GPU. The log is followed from the first successful inventory on,
 * so that the history already in it can be attributed. An XID logged before start sets xid_last
 * (the state is still true) but is not counted. A relay that restarts replays the kernel's whole
 * ring, and so does a `cat` started again after an overrun: records at or below the last kmsg
 * sequence number already read are skipped.
 *
 * Rows and error counters carry "nvidia-smi", as when this was part of the nvidia-smi source.
 */
import { uptime } from 'node:os';
import type { GpuAddress } from '../../parsers/nvidia-smi-xml.js';
import { catalogMetric, RecordBuilder, type ParsedRecord } from '../../parsers/record.js';
import { parseXidLine } from '../../parsers/xid.js';
import { emitRecords } from '../emit.js';
import type { GpuDirectory } from '../gpu-directory.js';
import { BaseSource, type SourceContext } from '../source.js';
import { KernelLogFollower } from './follower.js';

export interface KernelLogSourceOptions {
  /** The log to follow. Default /dev/kmsg. */
  readonly path?: string;
  /**
   * How soon a FIFO whose writers have all gone, or a device whose relay ended, is opened again, and
   * how often a plain file is drained. Default 5 s.
   */
  readonly pollMs?: number;
  /** PCI address → GPU, filled by the inventory source. */
  readonly gpus: GpuDirectory;
}

const TOOL = 'nvidia-smi';
const XID_LAST = catalogMetric('xid_last').name;
const XID_COUNT = catalogMetric('xid_count').name;

export class KernelLogSource extends BaseSource {
  readonly name = 'kernel-log';
  private follower: KernelLogFollower | undefined;
  /** Uptime when the log was first followed: XIDs logged before it are history, not counted. */
  private bootUptimeAtStart: number | undefined;
  /** The last kmsg sequence number read, so that a relay's replay of the ring is not read twice. */
  private lastSeq = -1;
  private reopen: NodeJS.Timeout | undefined;
  private stopping = false;
  private readonly xidCounts = new Map<string, number>();
  private readonly task = this.periodic('xid_last', () => this.readXids());
  /** Opening the log, once the GPUs are known: the same one error path as the periodic drain. */
  private readonly opening = this.periodic('open', () => this.follow());
  readonly stats = { xids: 0 };

  constructor(private readonly opts: KernelLogSourceOptions) {
    super();
  }

  async start(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    this.stopping = false;
    this.current = 'running';
    // Already known (the inventory source started first and read): follow now, so that a file's
    // history is in before start() returns (a device's or a FIFO's arrives as the relay copies it).
    // Otherwise from the first inventory on.
    if (this.opts.gpus.loaded) await this.opening.runNow();
    else this.opts.gpus.whenLoaded(() => void this.opening.runNow());
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.reopen);
    await this.task.stop();
    await this.opening.stop();
    await this.follower?.close();
    this.follower = undefined;
    if (this.current !== 'unavailable') this.current = 'stopped';
  }

  private async follow(): Promise<void> {
    if (this.stopping || this.follower) return;
    const path = this.opts.path ?? '/dev/kmsg';
    let follower: KernelLogFollower;
    try {
      follower = new KernelLogFollower(path, {
        onReadable: () => void this.task.runNow(),
        onEnd: (err) => this.ended(follower, err),
      });
    } catch (e) {
      this.reportUnavailable(`${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)} (XID events off)`);
      return;
    }
    this.follower = follower;
    if (follower.relayRefused)
      this.log(`${path}: no \`cat\` could be started to follow it; drained every ${this.pollMs()} ms instead`);
    this.bootUptimeAtStart ??= uptime();
    await this.task.runNow();
    if (follower.mode === 'poll') this.task.start(this.pollMs());
  }

  /** A FIFO's writers or the device's relay have gone (or reading failed): opened again after `pollMs`. */
  private ended(follower: KernelLogFollower, err: Error | undefined): void {
    if (this.follower !== follower) return;
    if (err) this.log(`kernel log read failed: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
    // The lines read before the end are handed over first.
    void this.task.runNow().then(() => {
      if (this.follower === follower) this.follower = undefined;
      if (this.stopping) return;
      this.reopen = setTimeout(() => void this.opening.runNow(), this.pollMs());
      this.reopen.unref();
    });
  }

  private pollMs(): number {
    return this.opts.pollMs ?? 5000;
  }

  /** Drains new kernel-log lines and emits one row per GPU that had an XID. */
  async readXids(): Promise<void> {
    const ctx = this.ctx;
    const follower = this.follower;
    if (!ctx || !follower) return;
    let lines: string[];
    try {
      lines = follower.drain();
    } catch (e) {
      ctx.errors.count(TOOL, 'xid_last', 'malformed');
      this.log(`kernel log read failed: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      return;
    }
    const { overlong, lost } = follower.takeDropped();
    if (overlong > 0) ctx.errors.count(TOOL, 'xid_last', 'malformed', overlong);
    if (lost > 0) {
      ctx.errors.count(TOOL, 'xid_last', 'overrun', lost);
      this.log(
        `kernel log overran ${lost} time(s): records were overwritten before they were read, and an XID among them is missed`,
      );
    }
    const latest = new Map<string, { addr: GpuAddress; xid: number }>();
    for (const line of lines) {
      const ev = parseXidLine(line);
      if (!ev) continue;
      if (ev.seq !== undefined) {
        if (ev.seq <= this.lastSeq) continue;
        this.lastSeq = ev.seq;
      }
      const addr = this.opts.gpus.at(ev.pci);
      if (!addr) {
        ctx.errors.count(TOOL, 'xid_last', 'unattributed');
        continue;
      }
      const historic = ev.uptimeSec !== undefined && ev.uptimeSec < (this.bootUptimeAtStart ?? 0) - 1;
      if (!historic) {
        this.xidCounts.set(addr.gpu_uuid, (this.xidCounts.get(addr.gpu_uuid) ?? 0) + 1);
        this.stats.xids++;
      }
      latest.set(addr.gpu_uuid, { addr, xid: ev.xid });
    }
    if (latest.size === 0) return;
    const ts = this.now();
    const records: ParsedRecord[] = [...latest.values()].map(({ addr, xid }) => {
      const b = new RecordBuilder('gpu', TOOL);
      b.label('gpu_uuid', addr.gpu_uuid).label('gpu_index', addr.gpu_index);
      b.setNumber(XID_LAST, xid);
      b.setNumber(XID_COUNT, this.xidCounts.get(addr.gpu_uuid) ?? 0);
      return b.build();
    });
    emitRecords(ctx, TOOL, records, ts);
  }
}
