// The built plugin and its zip: dist/ holds what Grafana loads, every path plugin.json names resolves,
// and `npm run package` produces the layout Grafana installs (one folder named after the plugin id).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import JSZip from 'jszip';
import { beforeAll, describe, expect, it } from 'vitest';
import { appRoutes, appRuleErrors, DIST, schemaErrors, unresolvedPaths } from '../grafana-plugin/scripts/checks.mjs';
import { packagePlugin } from '../grafana-plugin/scripts/package.mjs';

const APP_ROUTES = appRoutes();
const pkg = JSON.parse(fs.readFileSync(path.join(DIST, '..', 'package.json'), 'utf8')) as { version: string };

beforeAll(() => {
  // CI builds the plugin before testing; build here only when dist/ is absent (about 15 s).
  if (!fs.existsSync(path.join(DIST, 'module.js'))) {
    execFileSync('npm', ['run', 'build', '-w', 'grafana-plugin'], {
      cwd: path.join(DIST, '..', '..'),
      stdio: 'inherit',
    });
  }
}, 180_000);

describe('grafana-plugin build', () => {
  it('puts an AMD module.js, source maps, filled-in plugin.json, docs and logos in dist/', () => {
    const moduleJs = fs.readFileSync(path.join(DIST, 'module.js'), 'utf8');
    expect(moduleJs.startsWith('define(')).toBe(true);
    for (const ext of [
      '@grafana/data',
      '@grafana/ui',
      '@grafana/runtime',
      'react',
      'react-dom',
      'rxjs',
      'react-router',
    ]) {
      if (moduleJs.includes(`"${ext}"`)) continue;
      // Externals used only by lazy chunks appear in those chunks' define() lists.
      const chunks = fs
        .readdirSync(DIST)
        .filter((f) => f.endsWith('.js'))
        .map((f) => fs.readFileSync(path.join(DIST, f), 'utf8'));
      expect(
        chunks.some((c) => c.includes(`"${ext}"`)),
        `${ext} must stay external`,
      ).toBe(true);
    }
    expect(fs.existsSync(path.join(DIST, 'module.js.map'))).toBe(true);
    for (const f of ['README.md', 'CHANGELOG.md', 'LICENSE', 'img/logo.svg'])
      expect(fs.existsSync(path.join(DIST, f)), f).toBe(true);
    const pj = JSON.parse(fs.readFileSync(path.join(DIST, 'plugin.json'), 'utf8'));
    expect(pj.info.version).toBe(pkg.version);
    expect(pj.info.updated).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(JSON.stringify(pj)).not.toMatch(/%VERSION%|%TODAY%|%PLUGIN_ID%/);
    expect(pj.includes[0].path).toBe('/a/meridian-fabric-app/overview');
    expect(schemaErrors(pj)).toEqual([]);
    expect(appRuleErrors(pj)).toEqual([]);
  });

  it('reads the app routes from src/constants.ts', () => {
    expect(APP_ROUTES).toEqual(['overview', 'regions', 'gpus', 'links', 'scheduler']);
  });

  it('resolves every include, logo and dashboard path of dist/plugin.json', () => {
    const pj = JSON.parse(fs.readFileSync(path.join(DIST, 'plugin.json'), 'utf8'));
    expect(unresolvedPaths(pj, DIST, APP_ROUTES)).toEqual([]);
    const broken = {
      ...pj,
      includes: [
        ...pj.includes,
        { type: 'page', name: 'Nope', path: '/a/meridian-fabric-app/nope' },
        { type: 'dashboard', name: 'Gone', path: 'dashboards/gone.json' },
      ],
    };
    expect(unresolvedPaths(broken, DIST, APP_ROUTES)).toEqual([
      `includes "Nope": route nope is not one the app renders (${APP_ROUTES.join(', ')})`,
      'includes "Gone": dashboards/gone.json is not in dist/',
    ]);
  });

  it('bundles every dashboard the dashboards workspace generated, each as a dashboard include', () => {
    const generated = path.join(DIST, '..', '..', 'dashboards', 'json');
    const files = fs.existsSync(generated)
      ? fs
          .readdirSync(generated)
          .filter((f) => f.endsWith('.json'))
          .sort()
      : [];
    const pj = JSON.parse(fs.readFileSync(path.join(DIST, 'plugin.json'), 'utf8')) as {
      includes: Array<{ type: string; path: string }>;
    };
    const included = pj.includes.filter((i) => i.type === 'dashboard').map((i) => i.path);
    expect(included).toEqual(files.map((f) => `dashboards/${f}`));
  });

  it('packages a zip with one folder named after the plugin id', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-zip-'));
    const { file } = await packagePlugin({ outDir: out });
    expect(path.basename(file)).toBe(`meridian-fabric-app-${pkg.version}.zip`);
    const zip = await JSZip.loadAsync(fs.readFileSync(file));
    const names = Object.keys(zip.files).filter((n) => !zip.files[n]!.dir);
    expect(names.every((n) => n.startsWith('meridian-fabric-app/'))).toBe(true);
    for (const f of [
      'module.js',
      'module.js.map',
      'plugin.json',
      'README.md',
      'CHANGELOG.md',
      'LICENSE',
      'img/logo.svg',
    ]) {
      expect(names).toContain(`meridian-fabric-app/${f}`);
    }
    const pj = JSON.parse(await zip.file('meridian-fabric-app/plugin.json')!.async('string'));
    expect(pj.id).toBe('meridian-fabric-app');
    fs.rmSync(out, { recursive: true });
  });

  it('refuses to package a dist/ without a build', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-empty-'));
    await expect(packagePlugin({ distDir: empty, outDir: empty })).rejects.toThrow(
      'plugin.json is missing: run `npm run build -w grafana-plugin` first',
    );
    fs.rmSync(empty, { recursive: true });
  });
});
