// Offline stand-in for Grafana's plugin validator on the Meridian app's src/plugin.json: the vendored
// schema (grafana-plugin/schema/plugin.schema.json), the id naming rule, app route and RBAC rules.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appRuleErrors, ID_RULE, PLUGIN_ROOT, schemaErrors } from '../grafana-plugin/scripts/checks.mjs';

interface Permission {
  action: string;
  scope?: string;
}
interface PluginJson {
  id: string;
  info: Record<string, unknown>;
  dependencies?: unknown;
  routes: Array<{
    path: string;
    method?: string;
    url: string;
    reqAction?: string;
    headers?: unknown;
    tokenAuth?: unknown;
  }>;
  roles: Array<{ role: { name: string; permissions: Permission[] }; grants: string[] }>;
}
const pluginJson = JSON.parse(fs.readFileSync(path.join(PLUGIN_ROOT, 'src', 'plugin.json'), 'utf8')) as PluginJson;

const clone = (): PluginJson => JSON.parse(JSON.stringify(pluginJson)) as PluginJson;

describe('grafana-plugin/src/plugin.json', () => {
  it('is valid against the vendored plugin schema and the app rules', () => {
    expect(schemaErrors(pluginJson)).toEqual([]);
    expect(appRuleErrors(pluginJson)).toEqual([]);
  });

  it('has an id that follows the naming rule', () => {
    expect(pluginJson.id).toBe('meridian-fabric-app');
    expect(ID_RULE.test('meridian-fabric-app')).toBe(true);
    expect(ID_RULE.test('meridian-gpu-fabric-app')).toBe(false);
    expect(ID_RULE.test('Meridian-fabric-app')).toBe(false);
  });

  it('gates the scheduler write routes with the write action and injects the token from secureJsonData', () => {
    const writes = pluginJson.routes.filter((r) => r.method === 'POST');
    expect(writes.map((r) => r.path).sort()).toEqual([
      'api/v1/pause',
      'api/v1/plan/approve',
      'api/v1/plan/reject',
      'api/v1/rebalance',
      'api/v1/resume',
      'api/v1/whatif',
    ]);
    for (const r of writes) expect(r.reqAction).toBe('meridian-fabric-app.scheduler:write');
    for (const r of pluginJson.routes) {
      expect(r.headers).toEqual([{ name: 'Authorization', content: 'Bearer {{ .SecureJsonData.schedulerToken }}' }]);
      expect(r.url.startsWith('{{ .JsonData.schedulerUrl }}/')).toBe(true);
    }
    const operator = pluginJson.roles.find((r) =>
      r.role.permissions.some((p) => p.action === 'meridian-fabric-app.scheduler:write'),
    )!;
    expect(operator.grants).not.toContain('Viewer');
  });

  it('catches the mistakes the checks exist for', () => {
    const missing = clone();
    delete missing.dependencies;
    expect(schemaErrors(missing)).toContain("/: must have required property 'dependencies'");

    const badId = clone();
    badId.id = 'meridian-gpu-fabric-app';
    expect(schemaErrors(badId).some((e) => e.startsWith('/id: must match pattern'))).toBe(true);
    expect(appRuleErrors(badId)[0]).toMatch(/^id: "meridian-gpu-fabric-app" does not match/);

    const typo = clone();
    typo.info.logo = 'img/logo.svg';
    expect(schemaErrors(typo)).toContain('/info: must NOT have additional properties (logo)');

    const foreignAction = clone();
    foreignAction.routes[0]!.reqAction = 'other-app.scheduler:write';
    expect(appRuleErrors(foreignAction)).toContain(
      'routes[0].reqAction: "other-app.scheduler:write" must start with the plugin id',
    );

    const tokenAuth = clone();
    tokenAuth.routes[0]!.tokenAuth = { url: 'https://idp' };
    expect(appRuleErrors(tokenAuth)[0]).toContain('app plugins support neither urlParams nor tokenAuth');
  });
});
