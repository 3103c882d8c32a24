/**
 * Exports the scheduler's spans (one per pass, one child per phase) over OTLP/gRPC when the standard
 * OTEL_* variables ask for it. Off otherwise, and then the SDK is never loaded; the spans go to the
 * no-op tracer of @opentelemetry/api. On when OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
 * OTEL_EXPORTER_OTLP_ENDPOINT is set, or OTEL_TRACES_EXPORTER lists "otlp"; off when
 * OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none.
 */

export function tracingWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env['OTEL_SDK_DISABLED'] ?? '').toLowerCase() === 'true') return false;
  const exporters = (env['OTEL_TRACES_EXPORTER'] ?? '').split(',').map((s) => s.trim().toLowerCase());
  if (exporters.includes('none')) return false;
  return Boolean(
    env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_ENDPOINT'] || exporters.includes('otlp'),
  );
}

/** Starts the OpenTelemetry SDK if wanted; returns its shutdown (a no-op when off). */
export async function startTracing(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ enabled: boolean; shutdown: () => Promise<void> }> {
  if (!tracingWanted(env)) return { enabled: false, shutdown: async () => {} };
  const [{ NodeSDK }, { OTLPTraceExporter }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-grpc'),
  ]);
  const sdk = new NodeSDK({
    serviceName: env['OTEL_SERVICE_NAME'] ?? 'meridian-scheduler',
    traceExporter: new OTLPTraceExporter(),
    // Traces only: the scheduler's metrics are on /metrics.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();
  return { enabled: true, shutdown: () => sdk.shutdown() };
}
