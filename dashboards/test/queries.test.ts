import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedStore } from '@meridian/app';
import { seedFleet, type FleetSeedResult } from '@meridian/sim';
import { openStore, type Store } from '@meridian/store';
import {
  ALL,
  annotationQueries,
  buildDashboards,
  calculateIntervalMs,
  CLICKHOUSE_TYPE,
  expandMacros,
  intervalToMs,
  panelQueries,
  variableQueries,
  type PanelQuery,
  type VariableValue,
} from '@meridian/dashboards';

/**
 * Every ClickHouse query of every dashboard, expanded the way Grafana and the data source expand it,
 * for three ranges (15 min, 24 h, 30 d) and with the variables at All and at one value, run on the
 * real embedded engine. The store holds five minutes of the twin's `default` scenario (seeded through
 * the collector pipeline, as `meridian up` would) and, beside it, a small fleet written from the
 * catalog (@meridian/sim's seedFleet) that fills every catalog metric, MIG, and 31 days of history so that each
 * rollup has rows. Each query must succeed, return what its panel needs, and return rows.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'meridian-dashboards-'));
let store: Store;
let seed: FleetSeedResult;

beforeAll(async () => {
  store = await openStore({ data: dir });
  await store.migrate();
  const twin = await seedStore(store, { scenario: 'default', durationS: 300 });
  expect(twin.rows.gpu).toBeGreaterThan(0);
  seed = await seedFleet(store, { regions: ['catalog-a', 'catalog-b'] });
}, 180_000);

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Result {
  names: string[];
  types: string[];
  rows: unknown[][];
}

const memo = new Map<string, Promise<Result>>();

/** Runs a query once: panels whose SQL ignores a variable or the range expand to the same text. */
function run(sql: string): Promise<Result> {
  let r = memo.get(sql);
  if (!r) {
    r = runOnce(sql);
    memo.set(sql, r);
  }
  return r;
}

async function runOnce(sql: string): Promise<Result> {
  const rs = await store.client.query({ query: sql, format: 'JSONCompactEachRowWithNamesAndTypes' });
  const all = await rs.json<unknown[]>();
  return { names: (all[0] ?? []) as string[], types: (all[1] ?? []) as string[], rows: all.slice(2) };
}

const NUMERIC = /^(Nullable\()?(U?Int(8|16|32|64|128|256)|Float(32|64)|Decimal)/;
const TEXT = /^(LowCardinality\()?(Nullable\()?(String|Enum8|FixedString)/;

/** Asserts the columns a panel of this shape needs; returns a description of what came back. */
function checkShape(q: PanelQuery, r: Result): void {
  const where = `${q.dashboardUid} / "${q.panelTitle}" (${q.panelType})`;
  expect(r.names.length, `${where}: no columns`).toBeGreaterThan(0);
  if (q.shape === 'timeseries') {
    expect(r.names[0], `${where}: first column must be time`).toBe('time');
    expect(r.types[0], `${where}: time must be a DateTime`).toMatch(/^DateTime/);
    const rest = r.types.slice(1);
    const labels = rest.filter((t) => !NUMERIC.test(t));
    expect(labels.length, `${where}: at most one label column, got ${r.types.join(', ')}`).toBeLessThanOrEqual(1);
    if (labels.length === 1) expect(rest[0], `${where}: the label must come right after time`).toMatch(TEXT);
    expect(
      rest.some((t) => NUMERIC.test(t)),
      `${where}: needs a numeric value column: ${r.types.join(', ')}`,
    ).toBe(true);
    const times = r.rows.map((row) => String(row[0]));
    for (let i = 1; i < times.length; i++) {
      expect((times[i] as string) >= (times[i - 1] as string), `${where}: time not ascending at row ${i}`).toBe(true);
    }
  } else if (q.shape === 'values') {
    const [first, ...rest] = r.types;
    const values = first !== undefined && TEXT.test(first) ? rest : r.types;
    expect(values.length, `${where}: needs numeric columns`).toBeGreaterThan(0);
    for (const t of values) expect(t, `${where}: value column not numeric: ${r.names.join(', ')}`).toMatch(NUMERIC);
  }
}

const dashboards = buildDashboards();
const RANGES = { '15m': 15 * 60_000, '24h': 86_400_000, '30d': 30 * 86_400_000 } as const;

function variables(kind: 'all' | 'one'): Record<string, VariableValue> {
  // The GPU board's workload variables (gpu_assignments) stay at All: the GPU chosen below is the filter.
  if (kind === 'all') return { region: ALL, host: ALL, gpu: ALL, link: ALL, namespace: ALL, workload: ALL };
  const g = seed.gpus[0];
  return {
    region: [g?.region ?? ''],
    host: [g?.host ?? ''],
    gpu: [g?.gpu_uuid ?? ''],
    link: [seed.links[0] ?? ''],
    namespace: ALL,
    workload: ALL,
  };
}

const cases = dashboards.flatMap((d) =>
  panelQueries(d.json)
    .filter((q) => q.datasourceType === CLICKHOUSE_TYPE)
    .map((q) => [`${d.file} #${q.panelId} ${q.panelTitle} ${q.refId}`, q] as const),
);

describe('every panel query runs on the seeded store', () => {
  it('covers every dashboard and every GPU metric of the catalog', () => {
    expect(new Set(cases.map(([, q]) => q.dashboardUid)).size).toBe(5);
    expect(cases.length).toBeGreaterThan(100);
  });

  it.each(cases)('%s', async (_name, q) => {
    const runs = Object.entries(RANGES).flatMap(([rangeName, span]) =>
      (['all', 'one'] as const).map(async (kind) => {
        // A panel with a relative time override queries that range, as Grafana does.
        const to = seed.now;
        const from = to - (q.timeFrom ? intervalToMs(q.timeFrom) : span);
        const intervalMs = calculateIntervalMs(from, to, q.maxDataPoints ?? 1000);
        const sql = expandMacros(q.rawSql ?? '', { from, to, intervalMs, vars: variables(kind) });
        let r: Result;
        try {
          r = await run(sql);
        } catch (err) {
          throw new Error(
            `${q.dashboardUid} "${q.panelTitle}" ${rangeName} ${kind}: ${(err as Error).message}\n${sql}`,
            { cause: err },
          );
        }
        checkShape(q, r);
        expect(r.rows.length, `${q.dashboardUid} "${q.panelTitle}" ${rangeName} ${kind}: no rows`).toBeGreaterThan(0);
      }),
    );
    await Promise.all(runs);
  });
});

describe('variables and annotations', () => {
  const vq = dashboards.flatMap((d) => variableQueries(d.json).map((v) => [`${d.file} $${v.name}`, v] as const));
  it.each(vq)('%s lists values', async (_n, v) => {
    const to = seed.now;
    const sql = expandMacros(v.sql, { from: to - RANGES['15m'], to, intervalMs: 1000, vars: variables('all') });
    const r = await run(sql);
    expect(r.names).toHaveLength(1);
    expect(r.types[0]).toMatch(TEXT);
    expect(r.rows.length).toBeGreaterThan(0);
  });

  it('filters hosts by the selected region', async () => {
    const d = dashboards.find((x) => x.key === 'gpu');
    const host = variableQueries(d?.json ?? ({} as never)).find((v) => v.name === 'host');
    const to = seed.now;
    const sql = expandMacros(host?.sql ?? '', {
      from: to - RANGES['24h'],
      to,
      intervalMs: 1000,
      vars: { region: ['catalog-b'] },
    });
    const r = await run(sql);
    expect(r.rows.map((x) => x[0])).toEqual(seed.hosts.filter((h) => h.startsWith('catalog-b')));
  });

  const aq = dashboards.flatMap((d) => annotationQueries(d.json).map((a) => [`${d.file} ${a.name}`, a] as const));
  it.each(aq)('%s annotates with scheduler decisions', async (_n, a) => {
    const to = seed.now;
    const r = await run(expandMacros(a.sql, { from: to - RANGES['30d'], to, intervalMs: 3_600_000 }));
    expect(r.names.slice(0, 4)).toEqual(['time', 'title', 'text', 'tags']);
    expect(r.rows.length).toBeGreaterThanOrEqual(60);
  });
});
