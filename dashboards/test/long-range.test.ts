import { describe, expect, it } from 'vitest';
import {
  ALL,
  buildDashboards,
  calculateIntervalMs,
  CLICKHOUSE_TYPE,
  expandMacros,
  panelQueries,
  tablesRead,
  type VariableValue,
} from '@meridian/dashboards';

const DAY = 86_400_000;
const TO = Date.UTC(2026, 11, 7);
const ALL_VARS = { region: ALL, host: ALL, gpu: ALL, link: ALL, namespace: ALL, workload: ALL };

const tables = buildDashboards().flatMap((d) =>
  panelQueries(d.json)
    .filter((q) => q.datasourceType === CLICKHOUSE_TYPE && q.panelType === 'table' && !q.timeFrom && q.rawSql)
    .map((q) => [`${d.key}: ${q.panelTitle}`, q] as const),
);

function expand(sql: string, days: number, vars: Record<string, VariableValue> = ALL_VARS): string {
  const from = TO - days * DAY;
  return expandMacros(sql, { from, to: TO, intervalMs: calculateIntervalMs(from, TO, 1000), vars });
}

describe('tables over 30 and 90 days read the day tier', () => {
  it('covers the per-GPU, per-link and per-region tables', () => {
    const names = tables.map(([n]) => n);
    for (const t of ['links: Links', 'fleet: Regions', 'gpu: MIG instances']) expect(names).toContain(t);
  });

  it.each(tables)('%s', (_name, q) => {
    for (const days of [30, 90]) {
      const read = tablesRead(expand(q.rawSql ?? '', days));
      // Rollup tiers: only days. (Audit and attribution tables have no tiers.)
      expect(
        read.filter((t) => /_(samples|1m|1h)$/.test(t)),
        `${days} d reads ${read.join('+')}`,
      ).toEqual([]);
    }
  });

  it('aggregates the per-GPU, per-link and per-region tables in key order', () => {
    for (const name of [
      'links: Links',
      'fleet: Regions',
      'gpu: MIG instances',
      'gpu: NVLink error rates per GPU, worst first',
    ])
      expect(tables.find(([n]) => n === name)?.[1].rawSql).toMatch(/SETTINGS optimize_aggregation_in_order = 1$/);
  });

  it('leaves the workload subquery out of the SQL while namespace and workload are All', () => {
    for (const [, q] of tables)
      expect(expand(q.rawSql ?? '', 30)).not.toMatch(/IN \(SELECT host, gpu_uuid FROM \(SELECT .* AS held/);
  });

  it('narrows to the GPUs the picked namespace or workload held, whichever is picked', () => {
    const mig = tables.find(([n]) => n === 'gpu: MIG instances')?.[1].rawSql ?? '';
    const byNs = expand(mig, 30, { ...ALL_VARS, namespace: ['team-a'] });
    expect(byNs).toMatch(
      /\(host, gpu_uuid\) IN \(SELECT host, gpu_uuid FROM \(SELECT .* AS held WHERE held\.namespace IN \('team-a'\) AND 1=1\)/,
    );
    const byWl = expand(mig, 30, { ...ALL_VARS, workload: ['w1'] });
    expect(byWl).toMatch(/ AS held WHERE 1=1 AND held\.workload_id IN \('w1'\)\)/);
    expect(byWl).not.toContain('namespace IN');
  });
});
