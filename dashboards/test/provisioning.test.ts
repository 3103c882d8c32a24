import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ALERT_DATASOURCE_UID, CLICKHOUSE_TYPE, renderGrafanaAlerting } from '@meridian/dashboards';

/**
 * The README's "See it in Grafana" steps and the files they hand to Grafana: every path the section
 * names exists, every command it runs is a script, and each provisioning file has the structure
 * Grafana's file provisioning reads (Grafana publishes no schema for these files) and names the
 * same data source uid, port, user and secrets as the others.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PROV = `${ROOT}deploy/grafana/provisioning/`;
const readme = readFileSync(`${ROOT}README.md`, 'utf8');
const section = readme.slice(
  readme.indexOf('## See it in Grafana'),
  readme.indexOf('\n## ', readme.indexOf('## See it in Grafana') + 1),
);
const yamlOf = (rel: string) => parse(readFileSync(`${PROV}${rel}`, 'utf8')) as Record<string, unknown>;

describe('README: See it in Grafana', () => {
  it('exists', () => {
    expect(section).toMatch(/^## See it in Grafana/);
  });

  it('names only repository paths that exist', () => {
    const paths = [...section.matchAll(/`((?:deploy|dashboards|grafana-plugin|data)\/[^`\s]*)`/g)].map((m) => m[1]!);
    expect(paths.length).toBeGreaterThan(5);
    for (const p of paths) {
      if (p.startsWith('data/') || p.includes('<version>')) continue; // made by `npm start` / `npm run package`
      if (p.endsWith('*.json')) {
        const dir = p.slice(0, -'*.json'.length);
        expect(
          readdirSync(`${ROOT}${dir}`).some((f) => f.endsWith('.json')),
          p,
        ).toBe(true);
      } else expect(existsSync(`${ROOT}${p.replace(/\/$/, '')}`), p).toBe(true);
    }
  });

  it('runs only npm scripts that exist', () => {
    const root = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: Record<string, string> };
    const plugin = JSON.parse(readFileSync(`${ROOT}grafana-plugin/package.json`, 'utf8')) as {
      scripts: Record<string, string>;
    };
    for (const m of section.matchAll(/npm run ([\w:-]+)( -w grafana-plugin)?/g)) {
      const scripts = m[2] ? plugin.scripts : root.scripts;
      expect(scripts, m[0]).toHaveProperty([m[1]!]);
    }
  });

  it('states the Grafana version plugin.json asks for', () => {
    const pj = JSON.parse(readFileSync(`${ROOT}grafana-plugin/src/plugin.json`, 'utf8')) as {
      dependencies: { grafanaDependency: string };
    };
    expect(pj.dependencies.grafanaDependency).toBe('>=13.1.0');
    expect(section).toContain('`>=13.1.0`');
  });

  it('tells the user to copy each secret to the path the provisioning files read it from', () => {
    const files = [...readFileSync(`${PROV}datasources/meridian.yaml`, 'utf8').matchAll(/\$__file\{([^}]+)\}/g)]
      .concat([...readFileSync(`${PROV}plugins/meridian.yaml`, 'utf8').matchAll(/\$__file\{([^}]+)\}/g)])
      .map((m) => m[1]!);
    expect(files).toHaveLength(2);
    for (const f of files) expect(section, f).toContain(f);
  });
});

describe('deploy/grafana/provisioning', () => {
  it('datasources/meridian.yaml: the ClickHouse data source at `meridian up`’s HTTP endpoint', () => {
    const doc = yamlOf('datasources/meridian.yaml') as {
      apiVersion: number;
      datasources: Array<{
        name: string;
        type: string;
        uid: string;
        access: string;
        jsonData: Record<string, unknown>;
        secureJsonData: Record<string, string>;
      }>;
    };
    expect(doc.apiVersion).toBe(1);
    expect(doc.datasources).toHaveLength(1);
    const ds = doc.datasources[0]!;
    expect(ds).toMatchObject({ type: CLICKHOUSE_TYPE, uid: ALERT_DATASOURCE_UID, access: 'proxy' });
    expect(ds.jsonData).toMatchObject({
      host: '127.0.0.1',
      port: 8123,
      protocol: 'http',
      username: 'meridian',
      secure: false,
    });
    expect(ds.secureJsonData.password).toMatch(/^\$__file\{\/.+\}$/);
  });

  it('plugins/meridian.yaml: the app enabled, pointing at that data source and the scheduler API', () => {
    const doc = yamlOf('plugins/meridian.yaml') as {
      apiVersion: number;
      apps: Array<{
        type: string;
        org_id: number;
        disabled: boolean;
        jsonData: Record<string, string>;
        secureJsonData: Record<string, string>;
      }>;
    };
    expect(doc.apiVersion).toBe(1);
    const app = doc.apps[0]!;
    expect(app).toMatchObject({ type: 'meridian-fabric-app', org_id: 1, disabled: false });
    expect(app.jsonData.clickhouseUid).toBe(ALERT_DATASOURCE_UID);
    expect(new URL(app.jsonData.schedulerUrl!).port).toBe('8787');
    expect(app.secureJsonData.schedulerToken).toMatch(/^\$__file\{\/.+\}$/);
  });

  it('dashboards/meridian.yaml: a file provider reading the folder the README copies dashboards/json to', () => {
    const doc = yamlOf('dashboards/meridian.yaml') as {
      apiVersion: number;
      providers: Array<{ name: string; type: string; orgId: number; options: { path: string } }>;
    };
    expect(doc.apiVersion).toBe(1);
    const p = doc.providers[0]!;
    expect(p).toMatchObject({ type: 'file', orgId: 1 });
    expect(section).toContain(p.options.path);
  });

  it('alerting/meridian-alert-rules.yaml: the generated rules, current', () => {
    expect(
      readFileSync(`${PROV}alerting/meridian-alert-rules.yaml`, 'utf8') === renderGrafanaAlerting(),
      'stale: run npm run build:dashboards',
    ).toBe(true);
  });

  it('holds only the files the README names', () => {
    const all = ['datasources', 'plugins', 'dashboards', 'alerting'].flatMap((d) =>
      readdirSync(`${PROV}${d}`).map((f) => `deploy/grafana/provisioning/${d}/${f}`),
    );
    for (const f of all) expect(section, f).toContain(`\`${f}\``);
  });
});
