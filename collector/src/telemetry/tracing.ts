/**
 * The collector's own traces: a span per collection cycle and per flush, exported over OTLP/gRPC.
 * Whether they are on, and the SDK, are @meridian/runtime's (the standard OTEL_* variables); the SDK
 * and the API are imported only when on, so a collector without tracing never loads them (it costs
 * memory on every GPU host).
 */
import type * as OtelApi from '@opentelemetry/api';
import { startTracingSdk } from '@meridian/runtime';
import type { Instrument } from '../pipeline/types.js';

export interface Tracing {
  readonly enabled: boolean;
  readonly instrument: Instrument;
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
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
  const sdk = await startTracingSdk(opts.serviceName ?? 'meridian-collector', opts.env ?? process.env);
  if (!sdk.enabled) return off;
  const api = await import('@opentelemetry/api');
  return { enabled: true, instrument: spanInstrument(api), shutdown: () => sdk.shutdown() };
}
