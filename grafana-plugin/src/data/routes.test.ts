import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import pluginJson from '../plugin.json';
import { GRAFANA_URL } from '../test/runtimeState';
import { http, HttpResponse, server } from '../test/server';
import { matchPath, matchPluginRoute, routeAllows, type PluginRoute } from '../test/grafanaProxy';
import { schedulerApi } from './schedulerApi';

const routes = pluginJson.routes as PluginRoute[];
const PREFIX = `/api/plugin-proxy/${pluginJson.id}/`;
const READ = `${pluginJson.id}.scheduler:read`;
const WRITE = `${pluginJson.id}.scheduler:write`;

/** Every call schedulerApi makes (every method, so a method added later is checked too). */
async function recordCalls(): Promise<Array<{ method: string; path: string; query: string }>> {
  const seen: Array<{ method: string; path: string; query: string }> = [];
  server.use(
    http.all(`${GRAFANA_URL}${PREFIX}*`, ({ request }) => {
      const u = new URL(request.url);
      seen.push({ method: request.method, path: u.pathname.slice(PREFIX.length), query: u.search });
      return HttpResponse.json({ alerts: [], decisions: [] });
    }),
  );
  for (const [name, fn] of Object.entries(schedulerApi)) {
    const call = fn as (arg?: unknown) => Promise<unknown>;
    await call({ limit: 1, offset: 0, region: 'r', passId: 'p' }).catch((e: unknown) => {
      throw new Error(`schedulerApi.${name} failed against the catch-all: ${String(e)}`);
    });
  }
  return seen;
}

describe('plugin routes under Grafana’s matching rules', () => {
  it('matches exactly unless the route ends with *, as Grafana’s router tree does', () => {
    expect(matchPath('api/v1', 'api/v1/state')).toBeNull();
    expect(matchPath('api/v1/plan', 'api/v1/plan/approve')).toBeNull();
    expect(matchPath('api/v1/plan', 'api/v1/plan')).toEqual({ rest: '' });
    expect(matchPath('api/v1/*', 'api/v1/plan/approve')).toEqual({ rest: 'plan/approve' });
    expect(matchPath('api/:v/state', 'api/v2/state')).toEqual({ rest: '' });
    expect(matchPath('api/v1/state', 'api/v1/state/')).toBeNull();
  });

  it('takes one method per route: "GET,POST" matches neither', () => {
    const r: PluginRoute[] = [{ path: 'x', method: 'GET,POST' }];
    expect(matchPluginRoute(r, 'GET', 'x')).toBeNull();
    expect(matchPluginRoute([{ path: 'x', method: '*' }], 'POST', 'x')).not.toBeNull();
  });

  it('covers every URL the plugin calls, with the action it needs: reads scheduler:read (Viewer), writes scheduler:write', async () => {
    const calls = await recordCalls();
    expect(calls.length).toBeGreaterThanOrEqual(Object.keys(schedulerApi).length);
    for (const c of calls) {
      const m = matchPluginRoute(routes, c.method, c.path);
      expect(m, `no plugin.json route for ${c.method} ${c.path}: add one (exact path, or ending in *)`).not.toBeNull();
      const route = m!.route;
      const write = c.method !== 'GET';
      expect(route.reqAction, `${c.method} ${c.path}`).toBe(write ? WRITE : READ);
      // The upstream URL Grafana builds: the route's URL plus what * matched; the query string kept.
      expect(`${route.url}${m!.rest ? `/${m!.rest}` : ''}`, `${c.method} ${c.path}`).toBe(
        `{{ .JsonData.schedulerUrl }}/${c.path}`,
      );
      const viewer = { role: 'Viewer', actions: ['plugins.app:access', READ] };
      const editor = { role: 'Editor', actions: ['plugins.app:access', READ, WRITE] };
      expect(routeAllows(route, viewer), `Viewer on ${c.method} ${c.path}`).toBe(!write);
      expect(routeAllows(route, editor), `Editor on ${c.method} ${c.path}`).toBe(true);
      expect(route.headers).toEqual([
        { name: 'Authorization', content: 'Bearer {{ .SecureJsonData.schedulerToken }}' },
      ]);
    }
  });

  it('has no route the plugin does not call (each one widens what a token in Grafana can reach)', async () => {
    const calls = await recordCalls();
    for (const r of routes) {
      expect(
        calls.some((c) => matchPluginRoute([r], c.method, c.path)),
        `route ${r.method} ${r.path} is not used`,
      ).toBe(true);
    }
  });

  it('is the only way the plugin reaches the scheduler: no other module names the proxy', () => {
    const src = path.resolve(__dirname, '..');
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) {
          if (e.name !== 'test') walk(p);
        } else if (/\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name)) {
          const text = fs.readFileSync(p, 'utf8');
          const rel = path.relative(src, p);
          if (
            rel !== 'constants.ts' &&
            rel !== path.join('data', 'schedulerApi.ts') &&
            /SCHEDULER_PROXY|plugin-proxy/.test(text)
          )
            offenders.push(rel);
        }
      }
    };
    walk(src);
    expect(offenders, 'call the scheduler through data/schedulerApi.ts so the route test sees it').toEqual([]);
  });
});
