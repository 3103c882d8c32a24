import { beforeEach, describe, expect, it, vi } from 'vitest';
import type * as Catalog from '@meridian/catalog';

/**
 * What happens when a metric is renamed in the catalog: the generated JSON changes (so the staleness
 * test fails until `npm run build:dashboards` runs), or, for a metric a dashboard picks by name, the
 * build itself fails and names the metric.
 */
function mockRename(from: string, to: string): void {
  vi.doMock('@meridian/catalog', async (importOriginal) => {
    const orig = await importOriginal<typeof Catalog>();
    const METRICS = orig.METRICS.map((m) => (m.name === from ? { ...m, name: to } : m));
    return {
      ...orig,
      METRICS,
      metricsOf: (e: Catalog.Entity) => METRICS.filter((m) => m.entity === e),
      metricByName: (n: string) => METRICS.find((m) => m.name === n),
    };
  });
}

beforeEach(() => {
  vi.resetModules();
  vi.doUnmock('@meridian/catalog');
});

describe('renaming a catalog metric', () => {
  it('changes the generated GPU health dashboard', async () => {
    const before = (await import('@meridian/dashboards')).buildDashboards().find((d) => d.key === 'gpu');
    vi.resetModules();
    mockRename('clock_sm', 'clock_sm_mhz');
    const after = (await import('@meridian/dashboards')).buildDashboards().find((d) => d.key === 'gpu');
    const text = JSON.stringify(after?.json);
    expect(text).toContain('clock_sm_mhz');
    expect(text).not.toMatch(/\bclock_sm\b/);
    expect(JSON.stringify(before?.json)).not.toBe(text);
  });

  it('fails the build, naming the metric, when a dashboard picks it by name', async () => {
    mockRename('util_gpu', 'gpu_util');
    const { buildDashboards } = await import('@meridian/dashboards');
    expect(() => buildDashboards()).toThrow(/the catalog has no gpu metric "util_gpu"/);
  });
});
