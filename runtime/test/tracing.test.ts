import { describe, expect, it } from 'vitest';
import { startTracingSdk, tracingWanted } from '../src/tracing.js';

describe('tracing switch', () => {
  it('follows the standard OTEL_* variables', async () => {
    expect(tracingWanted({})).toBe(false);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4317' })).toBe(true);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4317' })).toBe(true);
    expect(tracingWanted({ OTEL_TRACES_EXPORTER: 'console, otlp' })).toBe(true);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4317', OTEL_SDK_DISABLED: 'TRUE' })).toBe(false);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4317', OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
    expect((await startTracingSdk('meridian-test', {})).enabled).toBe(false);
  });
});
