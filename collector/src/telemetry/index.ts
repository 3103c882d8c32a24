export { startTracing, spanInstrument } from './tracing.js';
export type { Tracing } from './tracing.js';
export { createCollectorMetrics, serveMetrics } from './metrics.js';
export type { CollectorMetrics, MetricsServer, Health } from './metrics.js';
