/**
 * The collector's own traces: a span per collection cycle and per flush, exported over OTLP/gRPC.
 * Off unless the standard OTEL_* variables ask for it, and then the SDK is imported lazily, so a
 * collector without tracing never loads it (it costs memory on every GPU host).
 *
 * On when OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT is set, or when
 * OTEL_TRACES_EXPORTER lists "otlp". Off when OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none.
 * The exporter itself reads the endpoint, headers, TLS and timeout variables; the batch span
 * processor reads OTEL_BSP_*; the resource reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
 */
import type * as OtelApi from '@opentelemetry/api';
import type { Instrument } from '../pipeline/types.js';

export interface Tracing {
  readonly enabled: boolean;
  readonly instrument: Instrument;
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}

export function tracingWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env['OTEL_SDK_DISABLED'] ?? '').toLowerCase() === 'true') return false;
  const exporters = (env['OTEL_TRACES_EXPORTER'] ?? '').split(',').map((s) => s.trim().toLowerCase());
  if (exporters.includes('none')) return false;
  return Boolean(
    env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_ENDPOINT'] || exporters.includes('otlp'),
  );
}

const TRACER = 'meridian-collector';

/** An Instrument that runs `work` inside a span; an exception marks the span failed and is rethrown. */
export function spanInstrument(api: typeof OtelApi): Instrument {
  const tracer = api.trace.getTracer(TRACER);
  return (name, attributes, work) =>
    tracer.startActiveSpan(name, { attributes }, async (span) => {
      try {
        return await work();
      } catch (err) {
        span.recordException(err instanceof Error ? err : new Error(String(err)));
        span.setStatus({ code: api.SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
        throw err;
      } finally {
        span.end();
      }
    });
}

const off: Tracing = { enabled: false, instrument: (_n, _a, work) => work(), shutdown: async () => {} };

export async function startTracing(opts: { serviceName?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Tracing> {
  const env = opts.env ?? process.env;
  if (!tracingWanted(env)) return off;
  // Imported here, not at the top: a collector without tracing never loads any of it.
  const [api, { NodeSDK }, { OTLPTraceExporter }] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-grpc'),
  ]);
  const sdk = new NodeSDK({
    serviceName: env['OTEL_SERVICE_NAME'] ?? opts.serviceName ?? 'meridian-collector',
    traceExporter: new OTLPTraceExporter(),
    // Traces only: the collector's metrics are on /metrics, and it has no logs pipeline.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();
  return { enabled: true, instrument: spanInstrument(api), shutdown: () => sdk.shutdown() };
}
