import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COLLECTOR_SELF_METRICS } from '@meridian/catalog';
import { ALERT_DATASOURCE_UID, PROM_RULES, RULES, alertFiles, toYaml } from '@meridian/dashboards';
import { SchedulerMetrics } from '@meridian/scheduler';

const dir = fileURLToPath(new URL('../alerting/', import.meta.url));

describe('the checked-in alert rules are the build output', () => {
  it.each(alertFiles().map((f) => [f.file, f.text] as const))(
    'dashboards/alerting/%s matches a fresh build',
    (file, text) => {
      expect(
        readFileSync(`${dir}${file}`, 'utf8') === text,
        `dashboards/alerting/${file} is stale: run npm run build:dashboards`,
      ).toBe(true);
    },
  );

  it('holds no file the generator no longer makes', () => {
    expect(readdirSync(dir).sort()).toEqual(
      alertFiles()
        .map((f) => f.file)
        .sort(),
    );
  });
});

interface GrafanaRuleDoc {
  apiVersion: number;
  groups: Array<{
    orgId: number;
    name: string;
    folder: string;
    interval: string;
    rules: Array<{
      uid: string;
      title: string;
      condition: string;
      for: string;
      labels: Record<string, string>;
      annotations: Record<string, string>;
      noDataState: string;
      execErrState: string;
      data: Array<{
        refId: string;
        datasourceUid: string;
        relativeTimeRange?: { from: number; to: number };
        model: Record<string, unknown>;
      }>;
    }>;
  }>;
}

describe('Grafana alerting provisioning file', () => {
  const doc = parse(readFileSync(`${dir}meridian-alert-rules.yaml`, 'utf8')) as GrafanaRuleDoc;
  const rules = doc.groups.flatMap((g) => g.rules);

  it('has the shape Grafana’s file provisioning reads (apiVersion 1, groups with org, folder, interval)', () => {
    expect(doc.apiVersion).toBe(1);
    for (const g of doc.groups) {
      expect(g.orgId, g.name).toBe(1);
      expect(g.folder, g.name).toBe('Meridian');
      expect(g.interval, g.name).toMatch(/^\d+[smh]$/);
    }
  });

  it('holds every rule once, with unique uids Grafana accepts (at most 40 characters, [A-Za-z0-9-_])', () => {
    expect(rules.map((r) => r.uid).sort()).toEqual(RULES.map((r) => r.uid).sort());
    expect(new Set(rules.map((r) => r.uid)).size).toBe(rules.length);
    for (const r of rules) expect(r.uid, r.uid).toMatch(/^[A-Za-z0-9_-]{1,40}$/);
  });

  it('queries the provisioned ClickHouse data source and thresholds the query it names', () => {
    for (const r of rules) {
      const [a, c] = r.data;
      expect(a?.datasourceUid, r.uid).toBe(ALERT_DATASOURCE_UID);
      expect(a?.relativeTimeRange?.from, r.uid).toBeGreaterThan(0);
      expect(a?.model).toMatchObject({ refId: 'A', format: 1, editorType: 'sql' });
      expect(c?.datasourceUid, r.uid).toBe('__expr__');
      expect(c?.model).toMatchObject({ type: 'threshold', expression: 'A' });
      expect(r.condition).toBe('C');
      expect(r.for, r.uid).toMatch(/^\d+[smh]$/);
      expect(['OK', 'NoData', 'Alerting', 'KeepLast']).toContain(r.noDataState);
      expect(['OK', 'Error', 'Alerting', 'KeepLast']).toContain(r.execErrState);
      expect(r.labels).toMatchObject({ app: 'meridian' });
      expect(r.annotations.summary, r.uid).toBeTruthy();
    }
  });
});

describe('Prometheus rules file', () => {
  const doc = parse(readFileSync(`${dir}meridian-prometheus-rules.yaml`, 'utf8')) as {
    groups: Array<{
      name: string;
      rules: Array<{ alert: string; expr: string; for: string; labels: Record<string, string> }>;
    }>;
  };

  it('has one group with every rule', () => {
    expect(doc.groups.map((g) => g.name)).toEqual(['meridian']);
    expect(doc.groups[0]!.rules.map((r) => r.alert)).toEqual(PROM_RULES.map((r) => r.alert));
  });

  it('reads only metrics the collector and the scheduler export', async () => {
    const scheduler = (await new SchedulerMetrics().registry.getMetricsAsJSON()).map((m) => m.name);
    const exported = new Set([...Object.values(COLLECTOR_SELF_METRICS), ...scheduler]);
    for (const r of PROM_RULES) {
      for (const m of r.metrics) expect(exported.has(m), `${r.alert} reads ${m}`).toBe(true);
      // Every metric-looking name in the expression is declared in `metrics`.
      const named = r.expr.match(/\bmeridian_[a-z_]+/g) ?? [];
      for (const n of named) expect(r.metrics, `${r.alert}: ${n}`).toContain(n);
    }
  });
});

describe('toYaml', () => {
  it('round-trips through a YAML parser, keys and strings that need quoting included', () => {
    const doc = { a: 1, 'b c': ['x', { d: 'multi\nline "q"', e: [] }], f: {}, g: null, h: true, i: [[1, 2], []] };
    expect(parse(toYaml(doc, ['c']))).toEqual(doc);
  });

  it('refuses a value YAML cannot hold, naming it', () => {
    expect(() => toYaml({ x: Number.NaN })).toThrow(/NaN/);
  });
});
