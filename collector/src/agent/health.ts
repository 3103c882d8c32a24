/**
 * The agent's /metrics and /healthz. Gauges and error counters are read when /metrics is scraped,
 * not kept up to date per sample; counters a source keeps itself (STAMP's) are copied then too.
 */
import type { CollectorConfig } from '../config/index.js';
import type { Pipeline } from '../pipeline/index.js';
import type { SpooledStoreSink } from '../sink/index.js';
import { errorKey, type SourceErrorCounters } from '../sources/errors.js';
import type { Source } from '../sources/source.js';
import type { Spool } from '../spool/index.js';
import { serveMetrics, type CollectorMetrics, type MetricsServer } from '../telemetry/metrics.js';

export interface HealthWiring {
  readonly config: CollectorConfig;
  readonly metrics: CollectorMetrics;
  readonly errors: SourceErrorCounters;
  readonly spool: Spool;
  readonly sink: SpooledStoreSink;
  readonly pipeline: Pipeline;
  readonly started: readonly Source[];
  readonly unavailable: ReadonlyMap<string, string>;
}

/** Wires the scrape hook, and serves both endpoints when `telemetry.listen` is set. */
export async function serveHealth(w: HealthWiring): Promise<MetricsServer | undefined> {
  const { config, metrics, errors, spool, sink, pipeline, started, unavailable } = w;
  /** Each counter's count at the last scrape (counters only grow, and none goes away). */
  const reportedErrors = new Map<string, number>();
  const collect = (): void => {
    const st = spool.stats();
    metrics.spoolBytes.set(st.bytes);
    metrics.spoolBatches.set(st.batches);
    for (const { source, field, reason, count } of errors.snapshot()) {
      const key = errorKey(source, field, reason);
      const delta = count - (reportedErrors.get(key) ?? 0);
      if (delta > 0) metrics.errors.inc({ source, field, reason }, delta);
      reportedErrors.set(key, count);
    }
  };
  metrics.onScrape(() => {
    collect();
    for (const s of started) s.collectMetrics?.(metrics);
  });

  if (!config.telemetry.listen) return undefined;
  const startedAt = Date.now();
  return serveMetrics(config.telemetry.listen, metrics, () => {
    collect();
    const ps = pipeline.stats();
    const last = ps.lastFlushAt ?? startedAt;
    // Alive means flushing: a wedged pipeline is the failure a restart can fix. A store
    // outage is not: the spool is doing its job, and a restart would not bring the store back.
    const ok = Date.now() - last < 3 * config.pipeline.flushIntervalMs + 5_000;
    return {
      ok,
      storeUp: sink.stats().storeUp,
      spoolBatches: spool.stats().batches,
      spoolBytes: spool.stats().bytes,
      lastFlushAt: ps.lastFlushAt,
      sources: started.map((s) => ({ name: s.name, state: s.state() })),
      unavailable: Object.fromEntries(unavailable),
    };
  });
}
