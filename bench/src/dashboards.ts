/**
 * bench/dashboards: every ClickHouse panel query of every Meridian dashboard over the last 24 h of the
 * `large` scenario's fleet (8 regions, 10,240 GPUs), variables at All (the default view), each run
 * --runs times: the median per panel against the 200 ms target. Then the whole fleet overview over
 * 30 days, answered from the 1-hour rollup, against the 500 ms target.
 * Yardstick, same run and data: a bare scan of the rows the 24 h panels read (count() over gpu_1m for
 * 24 h, and avgMerge of one column over them): the engine's floor for touching that much data.
 *
 *   npm run bench:dashboards [-- --gpus 10240 --runs 5 --data DIR [--reuse]]
 * --gpus scales the fleet down (regions kept, hosts per region reduced) where seeding 24 h of the
 * full fleet takes too long; the table says which scale ran. --long-only seeds the 30 days of hourly
 * rows only (the daily rollup fills from them through its view) and runs only the 30-day part.
 * The 30-day part: the fleet overview (target ≤ 250 ms wall, all panels at once) and every table
 * panel of one row per GPU (target ≤ 200 ms each), beside count() over the 30 days of gpu_1h and of
 * gpu_1d (the rows an hourly and a daily read touch).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { endpointTimer, type EndpointTimer } from './dashboards-http.js';
import { REGION_ENTITIES, regionRollupTable, rollupTable } from '@meridian/catalog';
import {
  ALL,
  buildDashboards,
  calculateIntervalMs,
  CLICKHOUSE_TYPE,
  expandMacros,
  intervalToMs,
  panelQueries,
  type PanelQuery,
} from '@meridian/dashboards';
import {
  bulkInsertSql,
  bulkRegionInsertSql,
  bulkSeedAux,
  bulkSeedPlan,
  fleetLayout,
  fleetOf,
  loadScenario,
} from '@meridian/sim';
import { openStore, type Store } from '@meridian/store';

const { values: args } = parseArgs({
  options: {
    gpus: { type: 'string', default: '10240' },
    runs: { type: 'string', default: '5' },
    data: { type: 'string' },
    reuse: { type: 'boolean', default: false },
    // Seed only the hourly chunks (30 days) and measure only the 30-day views: the long-range targets
    // without the 24 h raw and minute seed, which takes most of the seeding time on a busy machine.
    'long-only': { type: 'boolean', default: false },
  },
});
const RUNS = Math.max(1, Number(args.runs));
const WANT_GPUS = Number(args.gpus);
if (!Number.isInteger(WANT_GPUS) || WANT_GPUS < 64)
  throw new Error(`--gpus must be an integer ≥ 64, got "${args.gpus}"`);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] ?? NaN;
};

async function time(store: Store, sql: string): Promise<{ ms: number; rows: number }> {
  const t0 = performance.now();
  const rs = await store.client.query({ query: sql, format: 'JSONCompactEachRow' });
  const rows = await rs.json<unknown[]>();
  return { ms: performance.now() - t0, rows: rows.length };
}

/** Which table the expanded SQL reads: the branch whose `$__interval_s` guards all hold. */
function tablesRead(sql: string): string {
  const live = new Set<string>();
  for (const branch of sql.split(/UNION ALL/)) {
    const guards = [...branch.matchAll(/(?<![\w.])(\d+) (<|>=) (\d+)(?![\w.])/g)];
    // A regional condition that expanded to NOT (1=1 …) is off too.
    if (/NOT \(\(?\(?1=1/.test(branch)) continue;
    const ok = guards.every(([, a, op, b]) => (op === '<' ? Number(a) < Number(b) : Number(a) >= Number(b)));
    if (!ok) continue;
    for (const m of branch.matchAll(/FROM (\w+)/g))
      if (m[1] && /_(samples|1m|1h|1d)$|^[a-z_]+$/.test(m[1])) live.add(m[1]);
  }
  return [...live].filter((t) => !/^(numbers)$/.test(t)).join('+');
}

async function measure(store: Store, q: PanelQuery, to: number, span: number, endpoint?: EndpointTimer) {
  const from = to - (q.timeFrom ? intervalToMs(q.timeFrom) : span);
  const intervalMs = calculateIntervalMs(from, to, q.maxDataPoints ?? 1000);
  const sql = expandMacros(q.rawSql ?? '', {
    from,
    to,
    intervalMs,
    vars: { region: ALL, host: ALL, gpu: ALL, link: ALL },
  });
  await time(store, sql); // warm: the first run pays for loading marks and caches
  if (endpoint) await endpoint.time(sql);
  const samples: number[] = [];
  const viaHttp: number[] = [];
  let rows = 0;
  for (let i = 0; i < RUNS; i++) {
    // In process and through the endpoint in turn, so both see the same machine.
    const r = await time(store, sql);
    samples.push(r.ms);
    rows = r.rows;
    if (endpoint) {
      const h = await endpoint.time(sql);
      if (h.rows !== r.rows)
        throw new Error(`the endpoint gave ${h.rows} rows where in process gave ${r.rows}: ${sql}`);
      viaHttp.push(h.ms);
    }
  }
  const httpMs = endpoint ? median(viaHttp) : NaN;
  return { ms: median(samples), httpMs, rows, reads: tablesRead(sql), intervalS: intervalMs / 1000, sql };
}

/** Every panel over 24 h beside the bare-scan yardstick, in process and through the ClickHouse HTTP endpoint. */
async function dayPanels(
  store: Store,
  dashboards: ReturnType<typeof buildDashboards>,
  nowS: number,
  gpus: number,
  dir: string,
) {
  const to = nowS * 1000;
  // Yardstick: touching the rows the 24 h panels read, with no grouping at all.
  const m1 = rollupTable('gpu', '1m');
  const range24 = `ts >= toDateTime(${nowS - 86400}) AND ts <= toDateTime(${nowS})`;
  const yard: number[] = [];
  const yardAvg: number[] = [];
  for (let i = 0; i < RUNS + 1; i++) {
    const a = await time(store, `SELECT count() FROM ${m1} WHERE ${range24}`);
    const b = await time(store, `SELECT avgMerge(util_gpu_avg) FROM ${m1} WHERE ${range24}`);
    if (i > 0) {
      yard.push(a.ms);
      yardAvg.push(b.ms);
    }
  }
  const rows24h = async (table: string) =>
    (await store.query<{ n: string }>(`SELECT toString(count()) AS n FROM ${table} WHERE ${range24}`))[0]?.n ?? '?';
  const yardRows = await rows24h(m1);
  const r1 = regionRollupTable('gpu', '1m');
  const regionRows = await rows24h(r1);

  const rows24: string[] = [];
  const medians: number[] = [];
  const httpMedians: number[] = [];
  let over = 0;
  const endpoint = await endpointTimer(dir);
  for (const d of dashboards) {
    for (const q of panelQueries(d.json).filter((x) => x.datasourceType === CLICKHOUSE_TYPE)) {
      const r = await measure(store, q, to, 86_400_000, endpoint);
      medians.push(r.ms);
      httpMedians.push(r.httpMs);
      if (r.ms > 200) over++;
      rows24.push(
        `${pad(d.key, 9)} ${pad(q.panelTitle, 40)} ${pad(r.reads || '-', 28)} ${String(r.intervalS).padStart(6)} ${String(r.rows).padStart(6)} ${num(r.ms, 9)} ${num(r.httpMs, 7)} ${r.ms <= 200 ? 'ok' : 'OVER'}`,
      );
    }
  }
  await endpoint.close();
  console.log(`\n24 h, variables All, ${gpus} GPUs, median of ${RUNS} runs (target ≤ 200 ms per panel)`);
  console.log(
    `${pad('dashboard', 9)} ${pad('panel', 40)} ${pad('reads', 28)} ${'ivl_s'.padStart(6)} ${'rows'.padStart(6)} ${'median_ms'.padStart(9)} ${'http_ms'.padStart(7)}`,
  );
  for (const r of rows24) console.log(r);
  console.log(
    `panels: ${medians.length}; over 200 ms: ${over}; median of medians ${median(medians).toFixed(1)} ms; worst ${Math.max(...medians).toFixed(1)} ms`,
  );
  // The endpoint's fixed cost per request, apart from any query's own work: SELECT 1 both ways, in turn.
  const one = { local: [] as number[], http: [] as number[] };
  const endpoint1 = await endpointTimer(dir);
  for (let i = 0; i < 50; i++) {
    one.local.push((await time(store, 'SELECT 1')).ms);
    one.http.push((await endpoint1.time('SELECT 1')).ms);
  }
  await endpoint1.close();
  console.log(
    `per-request cost (SELECT 1, median of 50): in process ${median(one.local).toFixed(2)} ms, through the endpoint ${median(one.http).toFixed(2)} ms`,
  );
  const overheads = medians.map((m, i) => httpMedians[i]! / m - 1);
  console.log(
    `through the ClickHouse HTTP endpoint: median of medians ${median(httpMedians).toFixed(1)} ms vs ${median(medians).toFixed(1)} ms in process ` +
      `(${(100 * (median(httpMedians) / median(medians) - 1)).toFixed(1)} %); median per-panel overhead ${(100 * median(overheads)).toFixed(1)} % ` +
      `(target ≤ 10 %): ${median(overheads) <= 0.1 ? 'ok' : 'OVER'}`,
  );
  console.log(
    `yardstick: count() over ${yardRows} ${m1} rows (24 h) ${median(yard).toFixed(1)} ms; avgMerge(util_gpu_avg) over them ${median(yardAvg).toFixed(1)} ms`,
  );
  console.log(`fleet-wide panels read ${r1} instead: ${regionRows} rows for the same 24 h`);
}

const pad = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n));
const num = (x: number, n: number) => x.toFixed(1).padStart(n);

async function main(): Promise<void> {
  const fleet = fleetOf(loadScenario('large'), WANT_GPUS);
  const gpus = fleetLayout('gpu', fleet).n;
  const dir = args.data ?? mkdtempSync(path.join(tmpdir(), 'meridian-bench-dashboards-'));
  const store = await openStore({ data: dir });
  try {
    await store.migrate();
    // --reuse: measure a directory an earlier run seeded (same --gpus), at the instant it was seeded,
    // so a long seed can run while the machine is busy and the timing later on a quiet one.
    const marker = path.join(dir, 'bench-seed.json');
    const reused =
      args.reuse && existsSync(marker)
        ? (JSON.parse(readFileSync(marker, 'utf8')) as { nowS: number; gpus: number })
        : undefined;
    if (reused && reused.gpus !== gpus) throw new Error(`--reuse: ${dir} holds ${reused.gpus} GPUs, not ${gpus}`);
    const nowS = reused?.nowS ?? Math.floor(Date.now() / 1000);
    const to = nowS * 1000;
    const t0 = performance.now();
    if (!reused) {
      const plan = bulkSeedPlan(fleet, nowS).filter((p) => !args['long-only'] || p.res === '1h');
      console.log(
        `seeding: large scenario fleet, ${fleet.regions.length} regions × ${fleet.hostsPerRegion} hosts × ${fleet.gpusPerHost} GPUs = ${gpus} GPUs; ${plan.length} inserts`,
      );
      let done = 0;
      const counterZero = nowS - 31 * 86400;
      for (const p of plan) {
        await store.command(bulkInsertSql(p, fleet, counterZero));
        if (p.res !== 'raw' && REGION_ENTITIES.includes(p.entity))
          await store.command(bulkRegionInsertSql({ ...p, res: p.res }, fleet, counterZero));
        done++;
        if (done % 10 === 0 || done === plan.length)
          process.stderr.write(
            `  ${done}/${plan.length} inserts (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`,
          );
      }
      await bulkSeedAux(store, fleet, to);
      writeFileSync(marker, JSON.stringify({ nowS, gpus }));
    } else console.log(`reusing the ${gpus}-GPU seed in ${dir} (seeded at ${new Date(to).toISOString()})`);
    const counts = await store.query<{ t: string; n: string }>(
      `SELECT table AS t, toString(sum(rows)) AS n FROM system.parts WHERE active AND database = currentDatabase() GROUP BY t ORDER BY t`,
    );
    console.log(
      `${reused ? 'holds' : `seeded in ${((performance.now() - t0) / 1000).toFixed(0)} s`}: ${counts.map((c) => `${c.t} ${c.n}`).join(', ')}`,
    );

    const dashboards = buildDashboards();
    if (!args['long-only']) await dayPanels(store, dashboards, nowS, gpus, dir);
    // The 30-day fleet overview: every panel, from the 1-hour rollup, sequentially and all at once.
    const fleetBoard = dashboards.find((d) => d.key === 'fleet');
    const fleetQs = panelQueries(fleetBoard?.json ?? ({} as never)).filter((x) => x.datasourceType === CLICKHOUSE_TYPE);
    await longYardstick(store, nowS);
    console.log(`\nFleet overview over 30 d (target ≤ 250 ms wall for all panels)`);
    let sum = 0;
    for (const q of fleetQs) {
      const r = await measure(store, q, to, 30 * 86_400_000);
      sum += r.ms;
      console.log(`  ${pad(q.panelTitle, 40)} ${pad(r.reads || '-', 28)} ${num(r.ms, 9)} ms`);
    }
    const walls: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      await Promise.all(
        fleetQs.map((q) => {
          const from = to - (q.timeFrom ? intervalToMs(q.timeFrom) : 30 * 86_400_000);
          const intervalMs = calculateIntervalMs(from, to, q.maxDataPoints ?? 1000);
          return time(store, expandMacros(q.rawSql ?? '', { from, to, intervalMs, vars: { region: ALL } }));
        }),
      );
      walls.push(performance.now() - t);
    }
    console.log(
      `fleet overview 30 d: sum of panel medians ${sum.toFixed(1)} ms; all ${fleetQs.length} panels at once (as Grafana loads them), median wall ${median(walls).toFixed(1)} ms: ${median(walls) <= 250 ? 'ok' : 'OVER'}`,
    );
    await longTables(store, dashboards, to);
  } finally {
    await store.close();
    if (!args.data) rmSync(dir, { recursive: true, force: true });
  }
}

/** The 30-day yardstick: count() over the rows an hourly and a daily 30-day read touch. */
async function longYardstick(store: Store, nowS: number): Promise<void> {
  const range = `ts >= toDateTime(${nowS - 30 * 86400}) AND ts <= toDateTime(${nowS})`;
  for (const res of ['1h', '1d'] as const) {
    const t = rollupTable('gpu', res);
    const ms: number[] = [];
    for (let i = 0; i < RUNS + 1; i++) {
      const r = await time(store, `SELECT count() FROM ${t} WHERE ${range}`);
      if (i > 0) ms.push(r.ms);
    }
    const rows =
      (await store.query<{ n: string }>(`SELECT toString(count()) AS n FROM ${t} WHERE ${range}`))[0]?.n ?? '?';
    console.log(`yardstick 30 d: count() over ${rows} ${t} rows ${median(ms).toFixed(1)} ms`);
  }
}

/** Every table panel (one row per GPU, host or link over the range) of every dashboard, over 30 days. */
async function longTables(store: Store, dashboards: ReturnType<typeof buildDashboards>, to: number): Promise<void> {
  console.log(`\n30 d tables, variables All, median of ${RUNS} runs (target ≤ 200 ms each)`);
  let over = 0;
  for (const d of dashboards) {
    const tables = panelQueries(d.json).filter(
      (x) => x.datasourceType === CLICKHOUSE_TYPE && x.panelType === 'table' && !x.timeFrom,
    );
    for (const q of tables) {
      const r = await measure(store, q, to, 30 * 86_400_000);
      if (r.ms > 200) over++;
      console.log(
        `  ${pad(d.key, 9)} ${pad(q.panelTitle, 40)} ${pad(r.reads || '-', 28)} ${String(r.rows).padStart(6)} ${num(r.ms, 9)} ms ${r.ms <= 200 ? 'ok' : 'OVER'}`,
      );
    }
  }
  console.log(`30 d tables over 200 ms: ${over}`);
}

await main();
