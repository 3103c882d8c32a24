/**
 * The per-node agent: config → sources → pipeline → sink (with its write-ahead spool) → store,
 * plus its own /metrics, /healthz and traces. `startAgent` returns once everything runs; `stop`
 * stops the sources, flushes every buffered row into the sink, gives the store a few seconds to
 * take the spool, and leaves the rest on disk for the next start.
 */
import { openStore, type Store } from '@meridian/store';
import type { CollectorConfig, CollectorSecrets } from '../config/index.js';
import { createPipeline, type Pipeline } from '../pipeline/index.js';
import { withLabels } from '../pipeline/processors.js';
import type { Target } from '../pipeline/types.js';
import { createStoreSink, reconnectingStore, type StoreSink } from '../sink/index.js';
import { SourceErrorCounters } from '../sources/errors.js';
import type { Emit, Source, SourceContext } from '../sources/source.js';
import { openFileSpool } from '../spool/index.js';
import {
  REFLECTOR_DROP_COUNTERS,
  StampReflector,
  StampSender,
  startChronyClock,
  type ChronyClock,
} from '../stamp/index.js';
import {
  createCollectorMetrics,
  serveMetrics,
  type CollectorMetrics,
  type MetricsServer,
} from '../telemetry/metrics.js';
import { startTracing, type Tracing } from '../telemetry/tracing.js';
import { throttledLog } from './throttled-log.js';

export interface AgentOptions {
  readonly config: CollectorConfig;
  readonly secrets?: CollectorSecrets;
  /** The sources to run. Default: those the config enables (see sources.ts). */
  readonly sources?: readonly Source[];
  readonly log?: (message: string) => void;
}

export interface Agent {
  readonly pipeline: Pipeline;
  readonly sink: StoreSink;
  readonly metrics: CollectorMetrics;
  readonly tracing: Tracing;
  readonly errors: SourceErrorCounters;
  /** Where /metrics and /healthz answer, if they are on. */
  readonly metricsUrl: string | undefined;
  /** Names of the sources that run, and of those that said they cannot run here. */
  readonly sources: readonly string[];
  readonly unavailable: ReadonlyMap<string, string>;
  stop(opts?: { deadlineMs?: number }): Promise<void>;
}

export async function startAgent(opts: AgentOptions): Promise<Agent> {
  const { config } = opts;
  const log = opts.log ?? ((m: string) => console.error(m));
  const metrics = createCollectorMetrics();
  const tracing = await startTracing();
  const errors = new SourceErrorCounters();
  const unavailable = new Map<string, string>();

  const spool = await openFileSpool({
    dir: config.spool.dir,
    maxBytes: config.spool.maxBytes,
    maxAgeMs: config.spool.maxAgeMs,
    fsync: config.spool.fsync,
    onDrop: (d) => {
      metrics.droppedRows.inc({ reason: d.reason }, d.entry.rows);
      const why =
        d.reason === 'bytes' || d.reason === 'age'
          ? `the spool's ${d.reason} bound was reached; oldest first`
          : d.reason === 'corrupt'
            ? `unreadable batch file, moved to ${config.spool.dir}/corrupt`
            : `the store refuses this batch while taking others, moved to ${config.spool.dir}/rejected`;
      log(`meridian collector: dropped ${d.entry.rows} ${d.entry.target} rows: ${why}`);
    },
  }).catch((err: NodeJS.ErrnoException) => {
    // Most often a collector started as a user that cannot write there: say which key to change.
    throw new Error(
      `spool.dir: cannot use ${config.spool.dir} (${err.code ?? err.message}); it must be a directory the collector's user can write`,
    );
  });
  if (spool.entries().length > 0) {
    const s = spool.stats();
    log(`meridian collector: replaying ${s.batches} batches (${s.rows} rows) left in ${config.spool.dir}`);
  }

  const embedded = !config.store.clickhouse;
  const migrate = config.store.migrate ?? embedded;
  const store = reconnectingStore<Store>(
    () =>
      openStore({
        ...(config.store.clickhouse ? { clickhouse: config.store.clickhouse } : { data: config.store.data }),
        ...(config.store.database ? { database: config.store.database } : {}),
        ...(config.store.user ? { user: config.store.user } : {}),
        ...(opts.secrets?.clickhousePassword !== undefined ? { password: opts.secrets.clickhousePassword } : {}),
        ...(config.store.tlsCaFile ? { tlsCaFile: config.store.tlsCaFile } : {}),
        requestTimeoutMs: config.store.requestTimeoutMs,
      }),
    async (s) => {
      if (migrate) await s.migrate();
    },
  );

  let outageSince: number | undefined;
  const logSpoolError = throttledLog(log, config.pipeline.flushIntervalMs);
  const logLost = throttledLog(log, config.pipeline.flushIntervalMs);
  const sink = createStoreSink({
    store,
    spool,
    onWritten: (batch, written, rejected) => {
      metrics.batches.inc({ target: batch.target, outcome: 'written' });
      metrics.rowsWritten.inc({ target: batch.target }, written);
      metrics.storeUp.set(1);
      for (const r of rejected) errors.count(`store:${batch.target}`, r.field, 'out_of_range');
      if (rejected.length > 0) metrics.droppedRows.inc({ reason: 'invalid' }, new Set(rejected.map((r) => r.row)).size);
      if (outageSince !== undefined) {
        log(
          `meridian collector: store is back after ${Math.round((Date.now() - outageSince) / 1000)} s; replaying the spool`,
        );
        outageSince = undefined;
      }
    },
    onSpoolError: (err, batch) => {
      // Not lost yet: the sink sends it straight to the store. Counted, so a full disk shows.
      metrics.batches.inc({ target: batch.target, outcome: 'unspooled' });
      logSpoolError(
        `meridian collector: the spool in ${config.spool.dir} cannot take batches (${err instanceof Error ? err.message : String(err)}); sending them straight to the store`,
      );
    },
    onPoison: (batch, err) =>
      log(`meridian collector: batch ${batch.token} set aside: ${err instanceof Error ? err.message : String(err)}`),
    onWriteError: (err) => {
      metrics.writeErrors.inc();
      metrics.storeUp.set(0);
      if (outageSince === undefined) {
        outageSince = Date.now();
        // The message of a client error can carry the URL; the store's client never puts the password in it.
        log(
          `meridian collector: store write failed, spooling to ${config.spool.dir}: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    },
  });

  const pipeline = createPipeline({
    sink,
    maxRows: config.pipeline.maxRows,
    flushIntervalMs: config.pipeline.flushIntervalMs,
    collectorId: config.collector.id,
    instrument: tracing.instrument,
    processors: [
      withLabels({ region: config.collector.region, host: config.collector.host }, ['gpu', 'host']),
      withLabels({ region_from: config.collector.region, host: config.collector.host }, ['link']),
    ],
    onSinkError: (err, batch) => {
      metrics.batches.inc({ target: batch.target, outcome: 'lost' });
      metrics.droppedRows.inc({ reason: 'unspoolable' }, batch.rows.length);
      logLost(
        `meridian collector: lost ${batch.rows.length} ${batch.target} rows: ${err instanceof Error ? err.message : String(err)}`,
      );
    },
  });

  // Gauges and error counters are read when /metrics is scraped, not kept up to date per sample.
  let reportedErrors = new Map<string, number>();
  const collect = (): void => {
    const st = spool.stats();
    metrics.spoolBytes.set(st.bytes);
    metrics.spoolBatches.set(st.batches);
    const next = new Map<string, number>();
    for (const e of errors.snapshot()) {
      const k = `${e.source}\u0000${e.field}`;
      next.set(k, (next.get(k) ?? 0) + e.count);
    }
    for (const [k, n] of next) {
      const delta = n - (reportedErrors.get(k) ?? 0);
      const [source = '', field = ''] = k.split('\u0000');
      if (delta > 0) metrics.errors.inc({ source, field }, delta);
    }
    reportedErrors = next;
  };
  metrics.storeUp.set(1);

  const sourceEmit = (name: string): Emit => {
    const push = <T extends Target>(target: T, rows: readonly Parameters<Pipeline['push']>[1][number][]): void => {
      metrics.samples.inc({ source: name, target }, rows.length);
      pipeline.push(target, rows as never);
    };
    if (!tracing.enabled) return push as Emit;
    // One span per collection cycle: each time a source hands over what it read.
    return ((target, rows) =>
      void tracing.instrument('meridian.collect', { source: name, target, rows: rows.length }, async () =>
        push(target, rows),
      )) as Emit;
  };
  const ctxFor = (name: string): SourceContext => ({
    region: config.collector.region,
    host: config.collector.host,
    emit: sourceEmit(name),
    errors,
    unavailable: (source, reason) => {
      unavailable.set(source, reason);
      metrics.sourceUp.set({ source }, 0);
    },
    log,
  });

  const markUnavailable = (name: string, err: unknown): void => {
    const why = err instanceof Error ? err.message : String(err);
    unavailable.set(name, why);
    metrics.sourceUp.set({ source: name }, 0);
    log(`meridian collector: ${name} is not available on this host: ${why}`);
  };

  const sources = opts.sources ?? (await import('./sources.js')).createSources(config);
  const started: Source[] = [];
  for (const s of sources) {
    metrics.sourceUp.set({ source: s.name }, 1);
    try {
      await s.start(ctxFor(s.name));
      started.push(s);
    } catch (err) {
      // A source that cannot start must not take the others down.
      unavailable.set(s.name, err instanceof Error ? err.message : String(err));
      metrics.sourceUp.set({ source: s.name }, 0);
      log(`meridian collector: source ${s.name} failed to start: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  let sender: StampSender | undefined;
  const senderCfg = config.stamp.sender;
  const reflCfg = config.stamp.reflector;
  const probing = (senderCfg.enabled && senderCfg.peers.length > 0) || Boolean(reflCfg?.enabled);
  let chrony: ChronyClock | undefined;
  if (probing && config.stamp.clock.source === 'chrony') {
    // Both ends advertise their clock error in every packet; without it no one-way delay is stored.
    chrony = startChronyClock({
      command: config.stamp.clock.command,
      intervalMs: config.stamp.clock.intervalMs,
      onError: (m) =>
        log(`meridian collector: clock status from chrony unavailable (${m}); one-way delays are not reported`),
    });
  }
  const clockOpt = chrony ? { clock: chrony.status } : {};
  if (senderCfg.enabled && senderCfg.peers.length > 0) {
    const emit = sourceEmit('stamp');
    sender = new StampSender(
      {
        host: config.collector.host,
        region: config.collector.region,
        peers: senderCfg.peers,
        rate: senderCfg.rate,
        intervalMs: senderCfg.intervalMs,
        lossTimeoutMs: senderCfg.lossTimeoutMs,
        maxClockErrorMs: senderCfg.maxClockErrorMs,
      },
      { ...clockOpt, onReport: (report) => emit('link', [report.row]) },
    );
    await sender.start().catch((err: unknown) => {
      // Like any source: say once that it cannot run here, and carry on with the others.
      markUnavailable('stamp-sender', err);
      sender = undefined;
    });
  }
  let reflector: StampReflector | undefined;
  if (reflCfg?.enabled) {
    const { enabled: _enabled, ...rest } = reflCfg;
    reflector = new StampReflector(rest, clockOpt);
    await reflector.start().catch((err: unknown) => {
      // EACCES on port 862 without CAP_NET_BIND_SERVICE is the usual one (see deploy/README.md).
      markUnavailable('stamp-reflector', err);
      reflector = undefined;
    });
  }

  // The STAMP counters live in the sender and the reflector; /metrics copies them when scraped.
  const copyStampCounters = (): void => {
    if (sender) {
      const st = sender.stats();
      metrics.stampSendErrors.reset();
      metrics.stampInvalidReplies.reset();
      for (const peer of st.peers) {
        metrics.stampSendErrors.inc({ link_id: peer.linkId }, peer.sendErrors);
        metrics.stampInvalidReplies.inc({ link_id: peer.linkId }, peer.invalidReplies);
      }
      metrics.stampSkippedSlots.reset();
      metrics.stampSkippedSlots.inc(st.skippedSlots);
    }
    if (reflector) {
      const st = reflector.stats();
      metrics.stampReflected.reset();
      metrics.stampReflected.inc(st.replied);
      metrics.stampReflectorDropped.reset();
      // The reflector's reasons, in Prometheus label style (too-short → too_short).
      for (const [reason, key] of Object.entries(REFLECTOR_DROP_COUNTERS))
        metrics.stampReflectorDropped.inc({ reason: reason.replaceAll('-', '_') }, st[key]);
    }
  };

  let server: MetricsServer | undefined;
  const startedAt = Date.now();
  if (config.telemetry.listen) {
    server = await serveMetrics(config.telemetry.listen, metrics, () => {
      collect();
      const ps = pipeline.stats();
      const last = ps.lastFlushAt ?? startedAt;
      // Alive means flushing: a wedged pipeline is the failure a restart can fix. A store
      // outage is not: the spool is doing its job, and a restart would not bring the store back.
      const ok = Date.now() - last < 3 * config.pipeline.flushIntervalMs + 5_000;
      const st = sink.stats();
      return {
        ok,
        storeUp: st.storeUp,
        spoolBatches: spool.stats().batches,
        spoolBytes: spool.stats().bytes,
        lastFlushAt: ps.lastFlushAt,
        sources: started.map((s) => ({ name: s.name, state: s.state() })),
        unavailable: Object.fromEntries(unavailable),
      };
    });
  }
  metrics.onScrape(() => {
    collect();
    copyStampCounters();
  });

  let stopping: Promise<void> | undefined;
  return {
    pipeline,
    sink,
    metrics,
    tracing,
    errors,
    metricsUrl: server?.url,
    sources: started.map((s) => s.name),
    unavailable,
    stop(stopOpts) {
      stopping ??= (async () => {
        await Promise.allSettled(started.map((s) => s.stop()));
        await sender?.stop({ drain: true });
        await reflector?.close();
        chrony?.stop();
        await pipeline.close({ deadlineMs: stopOpts?.deadlineMs ?? config.pipeline.drainOnStopMs });
        await store.close();
        await server?.close();
        await tracing.shutdown();
      })();
      return stopping;
    },
  };
}
