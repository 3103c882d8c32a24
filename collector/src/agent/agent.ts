/**
 * The per-node agent: config → sources → pipeline → sink (with its write-ahead spool) → store,
 * plus its own /metrics, /healthz and traces. `startAgent` returns once everything runs; `stop`
 * stops the sources, flushes every buffered row into the sink, gives the store a few seconds to
 * take the spool, and leaves the rest on disk for the next start.
 *
 * Wiring only: the sources come from the one factory list (sources/registry.ts), the write path
 * from store-path.ts, the health endpoints from health.ts.
 */
import type { CollectorConfig, CollectorSecrets } from '../config/index.js';
import type { Pipeline } from '../pipeline/index.js';
import type { Target } from '../pipeline/types.js';
import type { SpooledStoreSink } from '../sink/index.js';
import { SourceErrorCounters } from '../sources/errors.js';
import { GpuDirectory } from '../sources/gpu-directory.js';
import { createSources } from '../sources/registry.js';
import type { Emit, Source, SourceContext, SourceDeps } from '../sources/source.js';
import type { SenderFactory } from '../sources/stamp-sender/sender-handle.js';
import { startChronyClock, type ChronyClock } from '../stamp/chrony.js';
import { createCollectorMetrics, type CollectorMetrics } from '../telemetry/metrics.js';
import { startTracing, type Tracing } from '../telemetry/tracing.js';
import { serveHealth } from './health.js';
import { createAgentPipeline, createAgentSink, openAgentSpool, openAgentStore } from './store-path.js';

export interface AgentOptions {
  readonly config: CollectorConfig;
  readonly secrets?: CollectorSecrets;
  /** The sources to run instead of those the config enables (sources/registry.ts): tests, the twin. */
  readonly sources?: readonly Source[];
  readonly log?: (message: string) => void;
  /**
   * Where the STAMP sender runs: the collect command gives it a process of its own
   * (sources/stamp-sender/sender-process.ts); absent, it runs in this one.
   */
  readonly stampSenders?: SenderFactory;
}

export interface Agent {
  readonly pipeline: Pipeline;
  readonly sink: SpooledStoreSink;
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

  const spool = await openAgentSpool(config, metrics, log);
  const store = openAgentStore(config, opts.secrets);
  const sink = createAgentSink({ config, store, spool, metrics, errors, log });
  const pipeline = createAgentPipeline(config, sink, metrics, tracing.instrument, log);
  metrics.storeUp.set(1);

  const sourceEmit = (name: string): Emit => {
    // The counter's child per target, looked up once: inc() with a label object hashes it every time.
    const counted = new Map<Target, { inc(n: number): void }>();
    const push = <T extends Target>(target: T, rows: readonly Parameters<Pipeline['push']>[1][number][]): void => {
      let child = counted.get(target);
      if (!child) counted.set(target, (child = metrics.samples.labels({ source: name, target })));
      child.inc(rows.length);
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
    beforeCut: (drain) => pipeline.beforeCut(drain),
  });

  let chrony: ChronyClock | undefined;
  const deps: SourceDeps = {
    gpus: new GpuDirectory(),
    storeQuery: (sql, params) => store.query(sql, params),
    ...(opts.stampSenders ? { stampSenders: opts.stampSenders } : {}),
    // Started by the first STAMP source that asks: both ends advertise their clock error in every
    // packet, and without it no one-way delay is stored.
    stampClock: () => {
      if (config.stamp.clock.source !== 'chrony') return undefined;
      chrony ??= startChronyClock({
        command: config.stamp.clock.command,
        intervalMs: config.stamp.clock.intervalMs,
        onError: (m) =>
          log(`meridian collector: clock status from chrony unavailable (${m}); one-way delays are not reported`),
      });
      return chrony.status;
    },
  };
  const started = await startSources(opts.sources ?? createSources(config, deps), ctxFor, metrics, unavailable, log);

  const server = await serveHealth({ config, metrics, errors, spool, sink, pipeline, started, unavailable });

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
        // The STAMP sender drains here too, into the pipeline, before it closes.
        await Promise.allSettled(started.map((s) => s.stop()));
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

/** Starts each source in turn; one that cannot start is reported and must not take the others down. */
async function startSources(
  sources: readonly Source[],
  ctxFor: (name: string) => SourceContext,
  metrics: CollectorMetrics,
  unavailable: Map<string, string>,
  log: (message: string) => void,
): Promise<Source[]> {
  const started: Source[] = [];
  for (const s of sources) {
    metrics.sourceUp.set({ source: s.name }, 1);
    try {
      await s.start(ctxFor(s.name));
      started.push(s);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      unavailable.set(s.name, why);
      metrics.sourceUp.set({ source: s.name }, 0);
      log(`meridian collector: source ${s.name} failed to start: ${why}`);
    }
  }
  return started;
}
