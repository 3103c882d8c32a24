/**
 * The STAMP Session-Sender as a source: it probes every peer and emits one link row per peer per
 * interval. A peer that cannot be resolved or reached at start is reported unavailable once, like
 * any source that cannot run here. On stop it drains (waits lossTimeoutMs for the last replies and
 * emits the last, partial, interval) before the pipeline closes.
 */
import type { ClockStatusSource } from '../../stamp/clock.js';
import { StampSender, type StampSenderStats } from '../../stamp/sender.js';
import type { CollectorMetrics } from '../../telemetry/metrics.js';
import { BaseSource, type SourceContext } from '../source.js';
import type { StampSenderSection } from './config.js';

export interface StampSenderSourceOptions {
  /** This host and its region (labels host and region_from). */
  readonly host: string;
  readonly region: string;
  readonly config: StampSenderSection;
  readonly clock?: ClockStatusSource;
}

export class StampSenderSource extends BaseSource {
  readonly name = 'stamp-sender';
  private sender: StampSender | undefined;

  constructor(private readonly opts: StampSenderSourceOptions) {
    super();
  }

  async start(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    const { peers, rate, intervalMs, lossTimeoutMs, maxClockErrorMs } = this.opts.config;
    const sender = new StampSender(
      { host: this.opts.host, region: this.opts.region, peers, rate, intervalMs, lossTimeoutMs, maxClockErrorMs },
      { ...(this.opts.clock ? { clock: this.opts.clock } : {}), onReport: (report) => ctx.emit('link', [report.row]) },
    );
    try {
      await sender.start();
    } catch (err) {
      this.current = 'unavailable';
      this.reportUnavailable(err instanceof Error ? err.message : String(err));
      return;
    }
    this.sender = sender;
    this.current = 'running';
  }

  async stop(): Promise<void> {
    await this.sender?.stop({ drain: true });
    if (this.current !== 'unavailable') this.current = 'stopped';
  }

  stats(): StampSenderStats | undefined {
    return this.sender?.stats();
  }

  collectMetrics(metrics: CollectorMetrics): void {
    const st = this.sender?.stats();
    if (!st) return;
    metrics.stampSendErrors.reset();
    metrics.stampInvalidReplies.reset();
    for (const peer of st.peers) {
      metrics.stampSendErrors.inc({ link_id: peer.linkId }, peer.sendErrors);
      metrics.stampInvalidReplies.inc({ link_id: peer.linkId }, peer.invalidReplies);
    }
    metrics.stampSkippedSlots.reset();
    metrics.stampSkippedSlots.inc(st.skippedSlots);
  }
}
