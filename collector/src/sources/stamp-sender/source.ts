/**
 * The STAMP Session-Sender as a source: it probes its peers and emits one link row per peer per
 * interval. The peers are the configured ones, or, when the config names none, those the fabric's
 * roster elects this host to probe (stamp/roster.ts), read again every `roster.intervalMs`; a change
 * drains the old sender (its partial intervals are reported) and starts one for the new peers. A
 * peer that cannot be resolved or reached at start is reported unavailable once, like any source
 * that cannot run here. On stop it drains before the pipeline closes.
 */
import type { ClockStatusSource } from '../../stamp/clock.js';
import type { StampPeerConfig } from '../../stamp/config.js';
import { readRosterInput, type RosterQuery } from '../../stamp/roster-read.js';
import { electProbers, probesOf } from '../../stamp/roster.js';
import type { StampSenderStats } from '../../stamp/sender.js';
import type { CollectorMetrics } from '../../telemetry/metrics.js';
import type { PeriodicTask } from '../periodic.js';
import { BaseSource, type SourceContext } from '../source.js';
import type { StampSenderSection } from './config.js';
import { inProcessSender, type SenderFactory, type SenderHandle } from './sender-handle.js';

export interface StampSenderSourceOptions {
  /** This host and its region (labels host and region_from). */
  readonly host: string;
  readonly region: string;
  readonly config: StampSenderSection;
  readonly clock?: ClockStatusSource;
  /** The store, for the roster; without it a sender with no configured peers probes nothing. */
  readonly query?: RosterQuery;
  /** Where each sender runs (sender-handle.ts). Default: in this process. */
  readonly senders?: SenderFactory;
}

export class StampSenderSource extends BaseSource {
  readonly name = 'stamp-sender';
  private sender: SenderHandle | undefined;
  private roster: PeriodicTask | undefined;
  /** The peers the running sender probes, as a comparable key ('' for none). */
  private peersKey = '';
  /** Whether peers come from the roster (no configured peers). */
  readonly fromRoster: boolean;

  constructor(private readonly opts: StampSenderSourceOptions) {
    super();
    this.fromRoster = opts.config.peers.length === 0;
  }

  async start(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    this.current = 'running';
    if (!this.fromRoster) {
      await this.probe(this.opts.config.peers);
      return;
    }
    const query = this.opts.query;
    if (!query) {
      this.current = 'unavailable';
      this.reportUnavailable('no stamp.sender.peers and no store to read the roster from');
      return;
    }
    this.roster = this.periodic('roster', () => this.applyRoster(query));
    // Not awaited: a store that is slow or down at start must not hold up the agent's other sources.
    // runNow never rejects; refreshRoster() joins this first read.
    void this.roster.runNow();
    this.roster.start(this.opts.config.roster.intervalMs);
  }

  /** Reads the roster now rather than at the next interval; resolves when it has been applied. */
  refreshRoster(): Promise<void> {
    return this.roster?.runNow() ?? Promise.resolve();
  }

  /** The peers this host probes now (empty: reflector only). */
  peers(): readonly StampPeerConfig[] {
    return this.sender?.config.peers ?? [];
  }

  private async applyRoster(query: RosterQuery): Promise<void> {
    const { probersPerPeer, staleAfterMs, port } = this.opts.config.roster;
    const input = await readRosterInput(query, staleAfterMs);
    const self = { host: this.opts.host, region: this.opts.region };
    const peers = probesOf(electProbers(input, probersPerPeer), self).map((p) => ({
      address: p.reflector,
      port,
      region: p.region,
      ssid: 0,
    }));
    if (JSON.stringify(peers) === this.peersKey) return;
    this.log(
      peers.length
        ? `elected to probe ${peers.map((p) => `${p.region} (via ${p.address})`).join(', ')}`
        : 'not elected to probe any region: reflector only',
    );
    await this.probe(peers);
  }

  /** Replaces the running sender with one for `peers` (none: no sender). */
  private async probe(peers: readonly StampPeerConfig[]): Promise<void> {
    const ctx = this.ctx;
    if (!ctx) return;
    await this.sender?.stop({ drain: true });
    this.sender = undefined;
    this.peersKey = JSON.stringify(peers);
    if (peers.length === 0) return;
    const { rate, intervalMs, lossTimeoutMs, maxClockErrorMs } = this.opts.config;
    const sender = (this.opts.senders ?? inProcessSender)(
      {
        host: this.opts.host,
        region: this.opts.region,
        peers: [...peers],
        rate,
        intervalMs,
        lossTimeoutMs,
        maxClockErrorMs,
      },
      {
        ...(this.opts.clock ? { clock: this.opts.clock } : {}),
        onReport: (report) => ctx.emit('link', [report.row]),
        log: (message) => this.log(message),
      },
    );
    try {
      await sender.start();
    } catch (err) {
      // A configured peer list that cannot start is this host's problem; an elected one is retried
      // at the next roster read (the key is cleared so that the same peers are tried again).
      this.peersKey = '';
      if (this.fromRoster) throw err;
      this.current = 'unavailable';
      this.reportUnavailable(err instanceof Error ? err.message : String(err));
      return;
    }
    this.sender = sender;
  }

  async stop(): Promise<void> {
    await this.roster?.stop();
    await this.sender?.stop({ drain: true });
    if (this.current !== 'unavailable') this.current = 'stopped';
  }

  stats(): StampSenderStats | undefined {
    return this.sender?.stats();
  }

  collectMetrics(metrics: CollectorMetrics): void {
    metrics.stampProbedPeers.set(this.peers().length);
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
