import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { metricsOf } from '@meridian/catalog';
import { buildDashboards, panelQueries, renderDashboardJson } from '@meridian/dashboards';

const jsonDir = fileURLToPath(new URL('../json/', import.meta.url));
const dashboards = buildDashboards();

describe('the checked-in dashboards are the build output', () => {
  it.each(dashboards.map((d) => [d.file, d] as const))('dashboards/json/%s matches a fresh build', (file, d) => {
    const onDisk = readFileSync(`${jsonDir}${file}`, 'utf8');
    // A catalog change (a renamed metric, a new one) changes the build: run `npm run build:dashboards`.
    expect(onDisk === renderDashboardJson(d), `dashboards/json/${file} is stale: run npm run build:dashboards`).toBe(
      true,
    );
  });

  it('holds no dashboard the generator no longer makes', () => {
    const files = readdirSync(jsonDir)
      .filter((f) => f.endsWith('.json'))
      .sort();
    expect(files).toEqual(dashboards.map((d) => d.file).sort());
  });
});

describe('coverage of the catalog', () => {
  const sqlOf = (key: string) =>
    dashboards
      .filter((d) => d.key === key)
      .flatMap((d) => panelQueries(d.json))
      .map((q) => q.rawSql ?? '')
      .join('\n');

  it('GPU health queries every GPU and host metric in the catalog', () => {
    const sql = sqlOf('gpu');
    for (const m of [...metricsOf('gpu'), ...metricsOf('host')])
      expect(sql, m.name).toMatch(new RegExp(`\\b${m.name}\\b`));
  });

  it('Fiber links queries every link metric in the catalog', () => {
    const sql = sqlOf('links');
    for (const m of metricsOf('link')) expect(sql, m.name).toMatch(new RegExp(`\\b${m.name}\\b`));
  });

  it('gives every panel a unit from the catalog or Grafana', () => {
    for (const d of dashboards) {
      for (const p of (d.json.panels ?? []).flatMap((x) =>
        x.type === 'row' ? ((x as { panels?: never[] }).panels ?? []) : [x],
      )) {
        const unit = (p as { fieldConfig?: { defaults?: { unit?: string } } }).fieldConfig?.defaults?.unit;
        if ((p as { type: string }).type !== 'alertlist')
          expect(unit, `${d.file} ${(p as { title?: string }).title}`).toBeTruthy();
      }
    }
  });
});
