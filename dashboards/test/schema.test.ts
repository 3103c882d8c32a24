import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { createGenerator, type Schema } from 'ts-json-schema-generator';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDashboards, CLICKHOUSE_TYPE } from '@meridian/dashboards';

/**
 * Grafana's dashboard schema, as the foundation SDK types it: a JSON Schema is generated from the
 * SDK's own type declarations in node_modules (no network), then every generated dashboard is
 * validated against it, strictly (no unknown keys). The SDK types a panel query as an opaque
 * cog.Dataquery, so queries are checked against our ClickHouse query type or the SDK's Prometheus one,
 * and each panel's options against its plugin's Options type from the SDK.
 */
const here = path.dirname(fileURLToPath(import.meta.url));

const PANEL_OPTIONS: Record<string, string> = {
  timeseries: 'TimeseriesOptions',
  stat: 'StatOptions',
  table: 'TableOptions',
  statushistory: 'StatushistoryOptions',
  barchart: 'BarchartOptions',
};

let dashboardValidator: ValidateFunction;
const optionValidators = new Map<string, ValidateFunction>();

beforeAll(() => {
  const gen = createGenerator({
    path: path.join(here, 'schema-types.ts'),
    tsconfig: path.join(here, '../../tsconfig.test.json'),
    skipTypeCheck: true,
    additionalProperties: false,
    expose: 'all',
    topRef: true,
  });
  const dash = gen.createSchema('GrafanaDashboard');
  const defs = (dash.definitions ?? {}) as Record<string, Schema>;
  // The SDK types a panel query as an opaque marker interface: put the real query types in its place.
  const ch = gen.createSchema('MeridianClickHouseQuery');
  const prom = gen.createSchema('PrometheusQuery');
  const promDefs = { ...(prom.definitions ?? {}) } as Record<string, Schema>;
  // The SDK names Prometheus's query `Dataquery` too; keep its body under our alias, not the shared name.
  const promQuery = promDefs['Dataquery'];
  delete promDefs['Dataquery'];
  Object.assign(defs, ch.definitions, promDefs);
  if (promQuery) defs['PrometheusQuery'] = promQuery;
  defs['Dataquery'] = {
    anyOf: [{ $ref: '#/definitions/MeridianClickHouseQuery' }, { $ref: '#/definitions/PrometheusQuery' }],
  };
  const ajv = new Ajv({ allErrors: true, strict: false });
  dashboardValidator = ajv.compile(dash);
  for (const [kind, type] of Object.entries(PANEL_OPTIONS)) {
    optionValidators.set(kind, new Ajv({ allErrors: true, strict: false }).compile(gen.createSchema(type)));
  }
}, 120_000);

const dashboards = buildDashboards();

describe('generated dashboards validate against the foundation SDK dashboard schema', () => {
  it.each(dashboards.map((d) => [d.file, d] as const))('%s', (_file, d) => {
    const ok = dashboardValidator(d.json);
    expect(dashboardValidator.errors ?? [], JSON.stringify(dashboardValidator.errors?.slice(0, 5))).toEqual([]);
    expect(ok).toBe(true);
    for (const p of (d.json.panels ?? []).flatMap((x) =>
      x.type === 'row' ? ((x as { panels: typeof d.json.panels }).panels ?? []) : [x],
    )) {
      const v = optionValidators.get(p.type);
      if (!v) continue;
      const fine = v((p as { options?: unknown }).options);
      expect(
        v.errors ?? [],
        `${d.file} panel "${(p as { title?: string }).title}" options: ${JSON.stringify(v.errors?.slice(0, 3))}`,
      ).toEqual([]);
      expect(fine).toBe(true);
    }
  });

  it('rejects a dashboard that breaks the schema, naming the field', () => {
    const bad = JSON.parse(JSON.stringify(dashboards[0]?.json)) as Record<string, unknown>;
    bad['graphTooltip'] = 7;
    bad['panelz'] = [];
    expect(dashboardValidator(bad)).toBe(false);
    const text = JSON.stringify(dashboardValidator.errors);
    expect(text).toMatch(/graphTooltip/);
    expect(text).toMatch(/panelz/);
  });

  it('rejects a ClickHouse query with a misspelt field or a wrong format', () => {
    const bad = JSON.parse(JSON.stringify(dashboards[0]?.json)) as {
      panels: { targets?: Record<string, unknown>[] }[];
    };
    const target = bad.panels.find((p) => p.targets?.length)?.targets?.[0];
    expect(target).toBeDefined();
    if (!target) return;
    target['rawSQL'] = target['rawSql'];
    delete target['rawSql'];
    expect(dashboardValidator(bad)).toBe(false);
    expect(JSON.stringify(dashboardValidator.errors)).toMatch(/rawS(QL|ql)/);
  });

  it('uses the ClickHouse data source through the $datasource variable everywhere', () => {
    for (const d of dashboards) {
      const vars = d.json.templating.list ?? [];
      expect(vars.find((v) => v.name === 'datasource')?.query).toBe(CLICKHOUSE_TYPE);
      const text = JSON.stringify(d.json);
      // No installation-specific data source uid may appear: only variables.
      for (const m of text.matchAll(/"uid":"([^"]*)"/g)) {
        if (m[1] !== d.uid) expect(m[1]).toMatch(/^\$\{(datasource|prometheus)\}$/);
      }
    }
  });
});
