import { describe, expect, it } from 'vitest';
import { createCollectorMetrics } from '@meridian/collector';
import { COLLECTOR_SELF_METRICS } from '@meridian/catalog';

/** The collector-health dashboard queries the agent's /metrics by the catalog's names: the agent must expose each. */
describe('collector metrics contract', () => {
  it('exposes every metric the collector-health dashboard reads', async () => {
    const m = createCollectorMetrics({ processMetrics: false });
    const names = new Set((await m.registry.getMetricsAsJSON()).map((x) => x.name));
    for (const name of Object.values(COLLECTOR_SELF_METRICS)) expect(names.has(name), name).toBe(true);
  });
});
