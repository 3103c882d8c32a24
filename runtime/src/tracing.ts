/**
 * Whether a Meridian process exports its own spans, and the OpenTelemetry SDK that does it. Off
 * unless the standard OTEL_* variables ask for it, and then the SDK is imported lazily, so a process
 * without tracing (a collector on a GPU host) never loads it.
 *
 * On when OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT is set, or when
 * OTEL_TRACES_EXPORTER lists "otlp". Off when OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none.
 * The exporter itself reads the endpoint, headers, TLS and timeout variables; the batch span
 * processor reads OTEL_BSP_*; the resource reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
 */
export function tracingWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env['OTEL_SDK_DISABLED'] ?? '').toLowerCase() === 'true') return false;
  const exporters = (env['OTEL_TRACES_EXPORTER'] ?? '').split(',').map((s) => s.trim().toLowerCase());
  if (exporters.includes('none')) return false;
  return Boolean(
    env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_ENDPOINT'] || exporters.includes('otlp'),
  );
}

export interface TracingSdk {
  readonly enabled: boolean;
  /** Exports what is buffered and stops (a no-op when off). */
  shutdown(): Promise<void>;
}

/**
 * Starts the SDK with an OTLP/gRPC trace exporter when tracingWanted(env); traces only, since every
 * Meridian process serves its metrics on /metrics and has no logs pipeline. Spans made through
 * @opentelemetry/api go to its no-op tracer when this is off.
 */
export async function startTracingSdk(serviceName: string, env: NodeJS.ProcessEnv = process.env): Promise<TracingSdk> {
  if (!tracingWanted(env)) return { enabled: false, shutdown: async () => {} };
  const [{ NodeSDK }, { OTLPTraceExporter }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-grpc'),
  ]);
  const sdk = new NodeSDK({
    serviceName: env['OTEL_SERVICE_NAME'] ?? serviceName,
    traceExporter: new OTLPTraceExporter(),
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();
  return { enabled: true, shutdown: () => sdk.shutdown() };
}
