/**
 * Passive fiber-link telemetry for the interfaces named in config:
 *
 * - every `countersIntervalMs`: /sys/class/net/<if>/statistics/rx_crc_errors and
 *   /sys/class/net/<if>/carrier_down_count (plain file reads);
 * - every `ethtoolIntervalMs` (slow: each is a process): `ethtool -S <if>` for FEC, PCS/symbol and
 *   CRC counters under their driver names, and `ethtool -m <if>` for optical DOM per lane.
 *
 * Counters are emitted raw and cumulative; the CounterTracker notices wraps and resets and counts
 * them, so a reboot or NIC re-init is visible rather than silently read as a huge rate.
 * No ethtool on the host, or an interface that does not exist, is reported once; the rest goes on.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseEthtoolM } from '../../parsers/ethtool-m.js';
import { parseEthtoolS } from '../../parsers/ethtool-s.js';
import { catalogMetric, RecordBuilder, type ParsedRecord } from '../../parsers/record.js';
import { CounterTracker } from '../counters.js';
import { emitRecords } from '../emit.js';
import { runOnce } from '../run-once.js';
import { BaseSource, type SourceContext } from '../source.js';

export interface LinkPassiveOptions {
  readonly interfaces: readonly string[];
  /** Default /sys/class/net. */
  readonly sysfsRoot?: string;
  /** Default "ethtool"; "" turns the ethtool reads off. */
  readonly ethtoolPath?: string;
  /** Default 10 s. */
  readonly countersIntervalMs?: number;
  /** Default 60 s. */
  readonly ethtoolIntervalMs?: number;
  /** Default 10 s per ethtool call. */
  readonly ethtoolTimeoutMs?: number;
}

const CRC = catalogMetric('crc_errors').name;
const LINK_DOWN = catalogMetric('link_down_events').name;

/** sysfs files per catalog metric, relative to /sys/class/net/<if>/. */
const SYSFS_COUNTERS: readonly (readonly [metric: string, file: string])[] = [
  [CRC, 'statistics/rx_crc_errors'],
  [LINK_DOWN, 'carrier_down_count'],
];

export class LinkPassiveSource extends BaseSource {
  readonly name = 'link-passive';
  private readonly countersTask = this.periodic('counters', () => this.readCounters());
  private readonly ethtoolTask = this.periodic('ethtool', () => this.readEthtool());
  private readonly tracker = new CounterTracker();
  /** Interfaces whose `ethtool -m` failed once: the module has no DOM or the driver refuses; not retried. */
  private readonly noDom = new Set<string>();
  private ethtoolMissing = false;
  readonly stats = { counterReads: 0, ethtoolRuns: 0, samples: 0, counterResets: 0 };

  constructor(private readonly opts: LinkPassiveOptions) {
    super();
  }

  async start(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    this.current = 'running';
    if (this.opts.interfaces.length === 0) {
      this.current = 'unavailable';
      this.reportUnavailable('no interfaces configured');
      return;
    }
    await this.countersTask.runNow();
    await this.ethtoolTask.runNow();
    this.countersTask.start(this.opts.countersIntervalMs ?? 10_000);
    if (this.ethtoolEnabled()) this.ethtoolTask.start(this.opts.ethtoolIntervalMs ?? 60_000);
  }

  async stop(): Promise<void> {
    await Promise.all([this.countersTask.stop(), this.ethtoolTask.stop()]);
    if (this.current !== 'unavailable') this.current = 'stopped';
  }

  private ethtoolEnabled(): boolean {
    return (this.opts.ethtoolPath ?? 'ethtool') !== '' && !this.ethtoolMissing;
  }

  /** Counts wraps and resets of every counter in the record (by interface, lane and metric). */
  private watch(r: ParsedRecord): void {
    for (const [metric, v] of Object.entries(r.values)) {
      if (catalogMetric(metric).kind !== 'counter') continue;
      const s = this.tracker.step(
        `${String(r.labels.link_id)}/${String(r.labels.lane)}/${r.labels.method}/${metric}`,
        v,
      );
      if (s.kind === 'reset' || s.kind === 'wrap') {
        this.stats.counterResets++;
        this.ctx?.errors.count(this.name, metric, 'counter_reset');
      }
    }
  }

  async readCounters(): Promise<void> {
    const ctx = this.ctx;
    if (!ctx) return;
    const root = this.opts.sysfsRoot ?? '/sys/class/net';
    const ts = this.now();
    const records: ParsedRecord[] = [];
    for (const iface of this.opts.interfaces) {
      const b = new RecordBuilder('link', 'sysfs');
      b.label('link_id', iface).label('lane', 0).label('method', 'sysfs');
      let found = 0;
      for (const [metric, file] of SYSFS_COUNTERS) {
        let raw: string;
        try {
          raw = await readFile(join(root, iface, file), 'utf8');
        } catch {
          continue;
        }
        found++;
        const v = raw.trim();
        if (/^\d+$/.test(v)) b.setNumber(metric, Number(v));
        else b.error({ field: metric, reason: 'unparseable', message: `${metric}: ${file} reads "${v}"` });
      }
      if (found === 0) {
        this.reportUnavailable(`${join(root, iface)} has no counters (no such interface?)`, iface);
        continue;
      }
      const r = b.build();
      this.watch(r);
      records.push(r);
    }
    this.stats.counterReads++;
    this.stats.samples += emitRecords(ctx, this.name, records, ts);
  }

  async readEthtool(): Promise<void> {
    const ctx = this.ctx;
    if (!ctx || !this.ethtoolEnabled()) return;
    const path = this.opts.ethtoolPath ?? 'ethtool';
    const timeout = this.opts.ethtoolTimeoutMs ?? 10_000;
    for (const iface of this.opts.interfaces) {
      const ts = this.now();
      const s = await runOnce(path, ['-S', iface], timeout);
      this.stats.ethtoolRuns++;
      if (s.kind === 'missing') {
        this.ethtoolMissing = true;
        this.ethtoolTask.cancel();
        this.reportUnavailable(`${path}: ${s.code} (FEC, PCS and optics off; sysfs counters go on)`, 'ethtool');
        return;
      }
      if (s.kind === 'timeout') ctx.errors.count(this.name, 'ethtool -S', 'timeout');
      else if (s.code !== 0) ctx.errors.count(this.name, 'ethtool -S', 'process_exit');
      else {
        const parsed = parseEthtoolS(s.stdout, { iface });
        parsed.records.forEach((r) => this.watch(r));
        this.stats.samples += emitRecords(ctx, this.name, parsed.records, ts);
      }
      if (this.noDom.has(iface)) continue;
      const m = await runOnce(path, ['-m', iface], timeout);
      this.stats.ethtoolRuns++;
      if (m.kind !== 'done' || m.code !== 0) {
        // Copper ports, DACs and some mlx4 netlink paths have no DOM: say so once, stop asking.
        this.noDom.add(iface);
        this.reportUnavailable(
          `ethtool -m ${iface}: no module DOM (${m.kind === 'done' ? m.stderr.trim().split('\n')[0] : m.kind})`,
          `${iface} optics`,
        );
        continue;
      }
      const parsed = parseEthtoolM(m.stdout, { iface });
      this.stats.samples += emitRecords(ctx, this.name, parsed.records, ts);
    }
  }
}
