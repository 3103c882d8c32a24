/// <reference lib="dom" />
/**
 * The built Meridian app plugin in a real browser (Debian's chromium, driven by playwright-core):
 * dist/module.js loaded as an AMD module with Grafana's shared modules from the real npm packages,
 * /api/ds/query answered by running each query's expanded SQL on an embedded store seeded by the twin
 * (`cooling-loss`: the default 8 regions and 10,240 GPUs, one region losing its cooling), the plugin routes proxied to the real scheduler API. Every page
 * is opened in both themes, content is asserted, the drill-down clicked through and a plan approved.
 * Screenshots and render timings go to test-results/browser/.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createScheduler, type RunningApi, type Scheduler } from '@meridian/scheduler';
import { seedStore, type SeedResult } from '@meridian/app';
import { openStore, type Store } from '@meridian/store';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureChromium } from './chromium.js';
import { buildHost } from './host/build.mjs';
import { PLUGIN_ID, startHostServer, type HostServer } from './hostServer.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST = path.join(ROOT, 'grafana-plugin', 'dist');
const OUT = path.join(ROOT, 'test-results', 'browser');
const TOKEN = 'browser-test-operator-token';
const VIEWER = ['plugins.app:access', `${PLUGIN_ID}.fabric:read`, `${PLUGIN_ID}.scheduler:read`];
const OPERATOR = [...VIEWER, `${PLUGIN_ID}.scheduler:write`];
const tid = (id: string) => `[data-testid="data-testid ${id}"]`;

let dataDir: string;
let store: Store;
let seed: SeedResult;
let scheduler: Scheduler;
let api: RunningApi;
let server: HostServer;
let browser: Browser;
let regions: string[];
let gpuCount: number;
const timings: Record<string, number> = {};

beforeAll(async () => {
  const executablePath = ensureChromium();
  fs.mkdirSync(OUT, { recursive: true });
  if (!fs.existsSync(path.join(DIST, 'module.js')))
    execFileSync('npm', ['run', 'build', '-w', 'grafana-plugin'], { cwd: ROOT, stdio: 'inherit' });
  const hostDir = path.join(ROOT, 'test-results', 'browser-host');
  await buildHost(hostDir);

  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-browser-'));
  store = await openStore({ data: dataDir });
  await store.migrate();
  // cooling-loss: the default fabric (8 regions, 10,240 GPUs) whose eu-south loses cooling at 60 s, so
  // by the end the scheduler has a hot region to evacuate and a plan to put before a person.
  const t0 = performance.now();
  seed = await seedStore(store, { scenario: process.env.MERIDIAN_BROWSER_SCENARIO ?? 'cooling-loss', durationS: 300 });
  timings.seed_s = (performance.now() - t0) / 1000;
  regions = (await store.query<{ region: string }>('SELECT DISTINCT region FROM gpu_samples ORDER BY region')).map(
    (r) => r.region,
  );
  gpuCount = Number(
    (
      await store.query<{ n: string }>("SELECT uniqExact(host, gpu_uuid) AS n FROM gpu_samples WHERE mig_instance = ''")
    )[0]!.n,
  );

  // The scheduler in approval mode, in the twin's time, so its pass leaves a plan waiting for a person.
  scheduler = await createScheduler({
    store,
    clock: () => seed.endMs,
    useSolver: false,
    config: {
      requireApproval: true,
      store: { source: 'sim' },
      // Thresholds low enough that the busier regions count as overloaded, and moves made cheap
      // (benefit counted over a day, quick restarts), so the pass proposes moves.
      load: { low: 0.4, high: 0.6, persistSeconds: 0 },
      margin: 1,
      horizonSeconds: 86_400,
      migration: { restartSeconds: 10, checkpointIntervalSeconds: 60 },
    },
  });
  const pass = await scheduler.runPass({ fresh: true });
  if (process.env.MERIDIAN_HOST_DEBUG)
    console.log(
      pass.decisions.map((d) => `${d.action} ${d.region_from}->${d.region_to} ${d.reason} [${d.outcome}]`).join('\n'),
    );
  api = await scheduler.startApi({
    host: '127.0.0.1',
    port: 0,
    tokens: [{ name: 'grafana', role: 'operator', secret: TOKEN }],
  });

  server = await startHostServer({
    store,
    pluginDist: DIST,
    hostBundleDir: hostDir,
    jsonData: { clickhouseUid: 'meridian-clickhouse', schedulerUrl: api.url },
    secureJsonData: { schedulerToken: TOKEN },
    roles: { viewer: VIEWER, operator: OPERATOR, nobody: ['plugins.app:access'] },
    // Grafana's ruler evaluates every minute; the host evaluates once, 150 s into the twin's run,
    // when eu-south's cooling loss is at its height (by the end the scheduler has moved its work out).
    alertClock: () => seed.startMs + 150_000,
  });
  browser = await chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 600_000);

afterAll(async () => {
  fs.writeFileSync(path.join(OUT, 'timings.json'), JSON.stringify(timings, null, 2));
  await browser?.close();
  await server?.close();
  await api?.close();
  await scheduler?.stop();
  await store?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

async function open(
  role: 'viewer' | 'operator' | 'nobody',
  theme: 'dark' | 'light',
  host: HostServer = server,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  const { hostname, port } = new URL(host.url);
  await context.addCookies([
    { name: 'role', value: role, domain: hostname, path: '/' },
    { name: 'theme', value: theme, domain: hostname, path: '/' },
  ]);
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`[browser ${port}] ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') console.error(`[browser console] ${m.text()}`);
  });
  return { context, page };
}

const range = () => `from=${seed.startMs}&to=${seed.endMs}`;
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });

describe.each(['dark', 'light'] as const)('the built plugin in chromium, %s theme', (theme) => {
  it('shows the overview: every region, the GPU total, alerts and decisions', async () => {
    const { context, page } = await open('viewer', theme);
    await page.goto(`${server.url}/a/${PLUGIN_ID}/overview?${range()}`);
    await page.waitForSelector(tid('fabric-map'), { timeout: 30_000 });
    for (const r of regions) expect(await page.locator(tid(`map-region-${r}`)).textContent()).toContain(r);
    expect(await page.locator(tid('overview')).textContent()).toContain(`${gpuCount.toLocaleString('en-US')} GPUs`);
    await page.waitForSelector(`${tid('overview-decisions')} table, ${tid('overview-decisions')} ${tid('page-empty')}`);
    // cooling-loss: eu-south's GPUs slow down for heat, and the shipped rule says so in Grafana.
    await page
      .locator(tid('overview-grafana-alerts'))
      .getByText(/GPUs in eu-south slowed down for heat/)
      .waitFor({ timeout: 30_000 });
    await shot(page, `overview-${theme}`);
    await context.close();
  }, 120_000);

  it('drills down from a region to a host to a GPU', async () => {
    const { context, page } = await open('viewer', theme);
    await page.goto(`${server.url}/a/${PLUGIN_ID}/regions?${range()}`);
    const region = regions[0]!;
    await page
      .locator(tid(`region-row-${region}`))
      .getByRole('link', { name: region })
      .click();
    const hostRow = page.locator('[data-testid^="data-testid host-row-"]').first();
    await hostRow.waitFor({ timeout: 30_000 });
    await page.waitForSelector(`${tid('chart-util_gpu')} svg`, { timeout: 30_000 });
    expect(await page.locator(tid('throttle-reasons')).textContent()).toMatch(
      /^Clock throttle reasons in this range: /,
    );
    await shot(page, `region-${theme}`);
    const hostName = (await hostRow.getAttribute('data-testid'))!.replace('data-testid host-row-', '');
    await hostRow.getByRole('link', { name: hostName }).click();
    await page.waitForSelector(tid('gpu-table'), { timeout: 30_000 });
    expect(await page.locator(tid('gpu-table')).textContent()).toContain(hostName);
    await shot(page, `host-${theme}`);
    const gpuLink = page.locator(`${tid('gpu-table')} tbody tr a[href*="/gpus/"]`).first();
    const uuid = (await gpuLink.textContent())!;
    await gpuLink.click();
    await page.waitForSelector(`${tid('gpu-detail')} ${tid('gpu-table')}`, { timeout: 30_000 });
    expect(await page.locator(tid('gpu-detail')).textContent()).toContain(`on ${hostName} in ${region}`);
    await page.waitForSelector(`${tid('chart-temp_gpu')} svg`, { timeout: 30_000 });
    expect(uuid.startsWith('GPU-') || uuid.length > 8).toBe(true);
    await shot(page, `gpu-${theme}`);
    await context.close();
  }, 120_000);

  it('pages, sorts and filters the fleet GPU table', async () => {
    const { context, page } = await open('viewer', theme);
    await page.goto(`${server.url}/a/${PLUGIN_ID}/gpus?${range()}`);
    await page.waitForSelector(tid('gpu-table'), { timeout: 60_000 });
    expect(await page.locator(tid('gpu-count')).textContent()).toContain(`of ${gpuCount.toLocaleString('en-US')} GPUs`);
    expect(await page.locator(`${tid('gpu-table')} tbody tr`).count()).toBeLessThanOrEqual(50 * 8);
    await page
      .locator(`${tid('gpu-filter')} input, input${tid('gpu-filter')}`)
      .first()
      .fill(regions[1]!);
    await page.waitForFunction(([sel, r]) => document.querySelector(sel)?.textContent?.includes(r) ?? false, [
      `${tid('gpu-table')} tbody tr`,
      regions[1]!,
    ] as const);
    await shot(page, `gpus-${theme}`);
    await context.close();
  }, 120_000);

  it('shows the link matrix and a link history', async () => {
    const { context, page } = await open('viewer', theme);
    await page.goto(`${server.url}/a/${PLUGIN_ID}/links?${range()}`);
    await page.waitForSelector(tid('link-matrix'), { timeout: 30_000 });
    const cell = page.locator('[data-testid^="data-testid link-cell-"]').first();
    expect(await cell.textContent()).toContain('ms');
    await cell.click();
    await page.waitForSelector(`${tid('link-history')} ${tid('chart-rtt_avg')} svg`, { timeout: 30_000 });
    await shot(page, `links-${theme}`);
    await context.close();
  }, 120_000);

  it('shows the scheduler to a viewer without controls', async () => {
    const { context, page } = await open('viewer', theme);
    await page.goto(`${server.url}/a/${PLUGIN_ID}/scheduler?${range()}`);
    await page.waitForSelector(`${tid('scheduler-decisions')} table`, { timeout: 30_000 });
    expect(await page.locator(tid('scheduler')).textContent()).toContain('controls need the Scheduler operator role');
    expect(await page.locator(tid('scheduler-approve')).count()).toBe(0);
    expect(await page.locator(tid('scheduler-pause')).count()).toBe(0);
    await shot(page, `scheduler-viewer-${theme}`);
    await context.close();
  }, 120_000);
});

describe('operator actions and render times', () => {
  it('approves the pending plan through the plugin route', async () => {
    const before = (await (
      await fetch(`${api.url}/api/v1/plan`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { pending: boolean; plan: { passId: string } | null };
    expect(before.pending, 'the approval-mode pass should leave a plan waiting').toBe(true);
    const { context, page } = await open('operator', 'dark');
    await page.goto(`${server.url}/a/${PLUGIN_ID}/scheduler?${range()}`);
    await page.locator(tid('scheduler-approve')).click({ timeout: 30_000 });
    await page.getByText('Approve plan: done').waitFor({ timeout: 30_000 });
    await shot(page, 'scheduler-approved-dark');
    const after = (await (
      await fetch(`${api.url}/api/v1/plan`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { pending: boolean };
    expect(after.pending).toBe(false);
    await context.close();
  }, 120_000);

  it('measures Overview and GPU-table render times for the 10,240 GPUs (reported, not asserted)', async () => {
    const { context, page } = await open('viewer', 'dark');
    await page.goto(`${server.url}/a/${PLUGIN_ID}/overview?${range()}`);
    await page.waitForSelector(tid('fabric-map'), { timeout: 60_000 });
    // Client-side navigations, as an SRE clicks between pages: Performance API from the click to content.
    const measure = async (name: string, url: string, selector: string) => {
      await page.evaluate((u) => {
        performance.clearMarks();
        performance.mark('nav-start');
        window.__nav!(u);
      }, url);
      await page.waitForSelector(selector, { timeout: 60_000 });
      timings[name] = await page.evaluate((n) => performance.measure(n, 'nav-start').duration, name);
    };
    await measure('gpus_ms', `/a/${PLUGIN_ID}/gpus?${range()}`, tid('gpu-table'));
    await measure('overview_ms', `/a/${PLUGIN_ID}/overview?${range()}`, tid('fabric-map'));
    timings.gpu_table_query_ms = server.lastQueries.get('gpus')?.ms ?? NaN;
    timings.region_summary_query_ms = server.lastQueries.get('regions')?.ms ?? NaN;
    console.log(`browser render times (10,240 GPUs, chromium headless): ${JSON.stringify(timings)}`);
    expect(timings.gpus_ms).toBeGreaterThan(0);
    await context.close();
  }, 120_000);
});

describe('where real Grafana answers differently from a happy path', () => {
  /** A second Grafana in front of the same store and scheduler, with some settings changed. */
  async function hostWith(change: {
    jsonData?: Record<string, string>;
    secureJsonData?: Record<string, string>;
  }): Promise<HostServer> {
    return startHostServer({
      store,
      pluginDist: DIST,
      hostBundleDir: path.join(ROOT, 'test-results', 'browser-host'),
      jsonData: { clickhouseUid: 'meridian-clickhouse', schedulerUrl: api.url, ...change.jsonData },
      secureJsonData: { schedulerToken: TOKEN, ...change.secureJsonData },
      roles: { viewer: VIEWER, operator: OPERATOR, nobody: ['plugins.app:access'] },
    });
  }

  it('a wrong scheduler token shows "the scheduler token is wrong" and never touches the session', async () => {
    const host = await hostWith({ secureJsonData: { schedulerToken: 'not-the-token' } });
    try {
      const { context, page } = await open('viewer', 'dark', host);
      await page.goto(`${host.url}/a/${PLUGIN_ID}/scheduler?${range()}`);
      await page
        .getByText(/The scheduler token is wrong/)
        .first()
        .waitFor({ timeout: 30_000 });
      expect(host.sessionChecks()).toBe(0);
      await shot(page, 'scheduler-wrong-token');
      await context.close();
    } finally {
      await host.close();
    }
  }, 120_000);

  it('an unreachable scheduler is a 502 with an empty body, shown with what to check', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadUrl = `http://127.0.0.1:${(closed.address() as { port: number }).port}`;
    await new Promise<void>((r) => closed.close(() => r()));
    const host = await hostWith({ jsonData: { schedulerUrl: deadUrl } });
    try {
      const res = await fetch(`${host.url}/api/plugin-proxy/${PLUGIN_ID}/api/v1/state`, {
        headers: { cookie: 'role=viewer' },
      });
      expect([res.status, await res.text()]).toEqual([502, '']);
      const { context, page } = await open('viewer', 'dark', host);
      await page.goto(`${host.url}/a/${PLUGIN_ID}/scheduler?${range()}`);
      await page
        .getByText(/cannot be reached \(HTTP 502\)/)
        .first()
        .waitFor({ timeout: 30_000 });
      expect(await page.getByText(/could not connect/).count()).toBeGreaterThan(0);
      await context.close();
    } finally {
      await host.close();
    }
  }, 120_000);

  it('a data source uid that no longer exists is a 404 without results, shown as such', async () => {
    const host = await hostWith({ jsonData: { clickhouseUid: 'deleted-datasource' } });
    try {
      const res = await fetch(`${host.url}/api/ds/query`, {
        method: 'POST',
        body: JSON.stringify({
          from: '0',
          to: '1',
          queries: [{ refId: 'a', rawSql: 'SELECT 1', datasource: { uid: 'deleted-datasource' } }],
        }),
      });
      expect(res.status).toBe(404);
      expect(await res.json()).not.toHaveProperty('results');
      const { context, page } = await open('viewer', 'dark', host);
      await page.goto(`${host.url}/a/${PLUGIN_ID}/overview?${range()}`);
      await page
        .getByText(/"deleted-datasource" named in the Meridian app configuration does not exist/)
        .first()
        .waitFor({ timeout: 30_000 });
      await context.close();
    } finally {
      await host.close();
    }
  }, 120_000);

  it('matches plugin routes exactly, as Grafana does: an uncovered path is a 404', async () => {
    const res = await fetch(`${server.url}/api/plugin-proxy/${PLUGIN_ID}/api/v1/state/extra`, {
      headers: { cookie: 'role=viewer' },
    });
    expect(res.status).toBe(404);
    const write = await fetch(`${server.url}/api/plugin-proxy/${PLUGIN_ID}/api/v1/pause`, {
      method: 'POST',
      headers: { cookie: 'role=viewer', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(write.status).toBe(403);
  });

  it('refuses a page to a user without its action, and the config page checks the data source’s database', async () => {
    const denied = await open('nobody', 'dark');
    await denied.page.goto(`${server.url}/a/${PLUGIN_ID}/overview`);
    expect(await denied.page.textContent('body')).toContain('Access denied');
    await denied.context.close();
    const { context, page } = await open('operator', 'dark');
    await page.goto(`${server.url}/plugins/${PLUGIN_ID}`);
    await page.locator(tid('ac-provisioned')).waitFor({ timeout: 30_000 });
    expect(await page.locator(tid('ac-provisioned')).textContent()).toContain('on every restart');
    await page.locator(tid('ac-test-clickhouse')).click();
    await page.getByText(/Meridian's tables are in database/).waitFor({ timeout: 30_000 });
    await shot(page, 'config-dark');
    await context.close();
  }, 120_000);
});

declare global {
  interface Window {
    __nav?: (url: string) => void;
  }
}
