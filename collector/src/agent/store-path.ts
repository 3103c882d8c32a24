/**
 * The agent's write path, from the pipeline down: the file spool, the (reconnecting) store and the
 * sink between them, each event of which becomes a metric and, where a human should know, a log
 * line. Only wiring: the behaviour lives in spool/, sink/ and pipeline/.
 */
import { openStore, type Store } from '@meridian/store';
import type { CollectorConfig, CollectorSecrets } from '../config/index.js';
import { createPipeline, type Pipeline } from '../pipeline/index.js';
import { withLabels } from '../pipeline/processors.js';
import type { Instrument } from '../pipeline/types.js';
import { createStoreSink, reconnectingStore, type ReconnectingStore, type SpooledStoreSink } from '../sink/index.js';
import type { SourceErrorCounters } from '../sources/errors.js';
import { openFileSpool, type Spool } from '../spool/index.js';
import type { CollectorMetrics } from '../telemetry/metrics.js';
import { throttledLog } from './throttled-log.js';

type Log = (message: string) => void;
const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export async function openAgentSpool(config: CollectorConfig, metrics: CollectorMetrics, log: Log): Promise<Spool> {
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
  return spool;
}

/** The store the config names, reopened after a failure; the embedded one migrates on open by default. */
export function openAgentStore(config: CollectorConfig, secrets: CollectorSecrets | undefined): ReconnectingStore {
  const embedded = !config.store.clickhouse;
  const migrate = config.store.migrate ?? embedded;
  return reconnectingStore<Store>(
    () =>
      openStore({
        ...(config.store.clickhouse ? { clickhouse: config.store.clickhouse } : { data: config.store.data }),
        ...(config.store.database ? { database: config.store.database } : {}),
        ...(config.store.user ? { user: config.store.user } : {}),
        ...(secrets?.clickhousePassword !== undefined ? { password: secrets.clickhousePassword } : {}),
        ...(config.store.tlsCaFile ? { tlsCaFile: config.store.tlsCaFile } : {}),
        requestTimeoutMs: config.store.requestTimeoutMs,
      }),
    async (s) => {
      if (migrate) await s.migrate();
    },
  );
}

export interface SinkWiring {
  readonly config: CollectorConfig;
  readonly store: ReconnectingStore;
  readonly spool: Spool;
  readonly metrics: CollectorMetrics;
  readonly errors: SourceErrorCounters;
  readonly log: Log;
}

export function createAgentSink({ config, store, spool, metrics, errors, log }: SinkWiring): SpooledStoreSink {
  let outageSince: number | undefined;
  const logSpoolError = throttledLog(log, config.pipeline.flushIntervalMs);
  return createStoreSink({
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
        `meridian collector: the spool in ${config.spool.dir} cannot take batches (${messageOf(err)}); sending them straight to the store`,
      );
    },
    onReplayError: (err) =>
      logSpoolError(
        `meridian collector: replaying the spool in ${config.spool.dir} failed (${messageOf(err)}); retrying with the next batch`,
      ),
    onPoison: (batch, err) => log(`meridian collector: batch ${batch.token} set aside: ${messageOf(err)}`),
    onWriteError: (err) => {
      metrics.writeErrors.inc();
      metrics.storeUp.set(0);
      if (outageSince === undefined) {
        outageSince = Date.now();
        // The message of a client error can carry the URL; the store's client never puts the password in it.
        log(`meridian collector: store write failed, spooling to ${config.spool.dir}: ${messageOf(err)}`);
      }
    },
  });
}

export function createAgentPipeline(
  config: CollectorConfig,
  sink: SpooledStoreSink,
  metrics: CollectorMetrics,
  instrument: Instrument,
  log: Log,
): Pipeline {
  const logLost = throttledLog(log, config.pipeline.flushIntervalMs);
  return createPipeline({
    sink,
    maxRows: config.pipeline.maxRows,
    flushIntervalMs: config.pipeline.flushIntervalMs,
    collectorId: config.collector.id,
    instrument,
    processors: [
      withLabels({ region: config.collector.region, host: config.collector.host }, ['gpu', 'host']),
      withLabels({ region_from: config.collector.region, host: config.collector.host }, ['link']),
    ],
    onSinkError: (err, batch) => {
      metrics.batches.inc({ target: batch.target, outcome: 'lost' });
      metrics.droppedRows.inc({ reason: 'unspoolable' }, batch.rows.length);
      // Once per flush interval at most: a full disk with the store away would otherwise log every batch.
      logLost(`meridian collector: lost ${batch.rows.length} ${batch.target} rows: ${messageOf(err)}`);
    },
  });
}
