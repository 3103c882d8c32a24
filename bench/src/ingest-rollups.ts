/**
 * bench/ingest-rollups: what the per-insert rollup views cost, and whether a rollup step driven by
 * the writer would cost a fraction of it, on the same rows with the store's real rollups (every
 * catalog metric, per series and per region, cascading to hours and days). Measured with the
 * engine's own INSERT … SELECT (no client), so only the rollup mechanism differs:
 *   - views: gpu_samples as migrated, one view after another (the engine's default);
 *   - views, side by side: the same with parallel_view_processing, as the writer inserts;
 *   - none: a copy of gpu_samples without views (the ceiling with no rollups at all);
 *   - writer step: rows into the copy without views, then the store's own minute and region-minute
 *     SELECTs over the rows just written into gpu_1m / gpu_region_1m, whose hour and day views
 *     cascade as usual; after every batch, and after every 5 batches (a larger window, fewer parts).
 * A refreshable view recomputes a window on a timer: it does the step's work again on every refresh,
 * so the step is its lower bound. A projection cannot feed the region, hour or day tiers.
 * Every path writes its own days, and each is checked to count every row once in 1m, region 1m and 1d.
 *
 *   node bench/dist/ingest-rollups.js [--rows 1000000 --batches 10]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { insertSettings, openStore, type Store } from '@meridian/store';
import { generatedGpuRows } from './generated-gpu-rows.js';

type ClickHouseSettings = ReturnType<typeof insertSettings>;

const { values: args } = parseArgs({
  options: { rows: { type: 'string', default: '1000000' }, batches: { type: 'string', default: '10' } },
});
const ROWS = Number(args.rows);
const BATCHES = Number(args.batches);
const GPUS = 2000;
const DAY = 86_400_000;
// Recent days: rows older than the raw table's 14-day TTL would be dropped under the bench's feet.
const T0 = Math.floor(Date.now() / DAY) * DAY - 6 * DAY;

/** bench:ingest's generated rows [start, start + n) on day `day`, with the writer's derived columns. */
function generate(table: string, day: number, start: number, n: number): Statement {
  return generatedGpuRows({ table, t0: T0 + day * DAY, gpus: GPUS, off: start, n, derived: true });
}

/** A statement and its bound parameters. */
interface Statement {
  readonly query: string;
  readonly params?: Record<string, number>;
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** The statement the writer would run for its step: a view's own SELECT over [from, to) of `source`. */
async function stepStatements(store: Store): Promise<(from: number, to: number) => string[]> {
  const views = await store.query<{ name: string; s: string }>(
    `SELECT name, as_select AS s FROM system.tables WHERE database = currentDatabase() AND name IN ('gpu_1m_mv', 'gpu_region_1m_mv')`,
  );
  const columns = async (t: string) =>
    (
      await store.query<{ name: string }>(
        'SELECT name FROM system.columns WHERE database = currentDatabase() AND table = {t:String} ORDER BY position',
        { t },
      )
    )
      .map((c) => c.name)
      .join(', ');
  const targets = [
    { table: 'gpu_1m', select: views.find((v) => v.name === 'gpu_1m_mv')?.s, cols: await columns('gpu_1m') },
    {
      table: 'gpu_region_1m',
      select: views.find((v) => v.name === 'gpu_region_1m_mv')?.s,
      cols: await columns('gpu_region_1m'),
    },
  ];
  return (from, to) =>
    targets.map((t) => {
      if (!t.select) throw new Error(`no view feeds ${t.table}`);
      // The views read gpu_samples; the step reads only the rows just written to the copy. Columns by
      // name: a view's SELECT lists them in its own order.
      const rows = `(SELECT * FROM plain WHERE ts >= fromUnixTimestamp64Milli(${from}) AND ts < fromUnixTimestamp64Milli(${to}))`;
      return `INSERT INTO ${t.table} (${t.cols}) SELECT ${t.cols} FROM (${t.select.replace(/FROM [\w.]*gpu_samples/, `FROM ${rows}`)})`;
    });
}

interface PathResult {
  readonly path: string;
  readonly day: number;
  readonly ms: number;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'meridian-bench-rollups-'));
  const store = await openStore({ data: dir });
  try {
    await store.migrate();
    await store.command('CREATE TABLE plain AS gpu_samples');
    const step = await stepStatements(store);
    const per = Math.floor(ROWS / BATCHES);
    const sequential: ClickHouseSettings = { ...insertSettings(''), parallel_view_processing: 0 };
    const run = async (st: Statement, settings: ClickHouseSettings = insertSettings('')): Promise<void> => {
      await store.client.command({ query: st.query, query_params: st.params ?? {}, clickhouse_settings: settings });
    };
    const results: PathResult[] = [];
    const measure = async (p: string, day: number, batch: (b: number) => Promise<void>) => {
      let ms = 0;
      for (let b = 0; b < BATCHES; b++) ms += await timed(() => batch(b));
      results.push({ path: p, day, ms });
    };
    // The time range of batches [b0, b1] on `day`: exactly their rows (second start/GPUS onwards).
    const range = (day: number, b0: number, b1: number): [number, number] => [
      T0 + day * DAY + Math.floor((b0 * per) / GPUS) * 1000,
      T0 + day * DAY + Math.floor(((b1 + 1) * per - 1) / GPUS) * 1000 + 1,
    ];
    await measure('per-insert views, one after another', 1, (b) =>
      run(generate('gpu_samples', 1, b * per, per), sequential),
    );
    await measure('per-insert views, side by side (the writer)', 2, (b) =>
      run(generate('gpu_samples', 2, b * per, per)),
    );
    await measure('no rollups at all (ceiling)', 3, (b) => run(generate('plain', 3, b * per, per)));
    await measure('writer step after every batch', 4, async (b) => {
      await run(generate('plain', 4, b * per, per));
      for (const query of step(...range(4, b, b))) await run({ query });
    });
    await measure('writer step after every 5 batches', 5, async (b) => {
      await run(generate('plain', 5, b * per, per));
      if (b % 5 === 4 || b === BATCHES - 1) for (const query of step(...range(5, b - (b % 5), b))) await run({ query });
    });
    // Exact and once: every path's rows counted once in each tier (the ceiling has none).
    const counts = await store.query<{ day: number; m: string; r: string; d: string }>(
      `SELECT day, toString(sum(m)) AS m, toString(sum(r)) AS r, toString(sum(d)) AS d FROM (
         SELECT dateDiff('day', toDate(${T0 / 1000}), toDate(ts)) AS day, samples AS m, 0 AS r, 0 AS d FROM gpu_1m
         UNION ALL SELECT dateDiff('day', toDate(${T0 / 1000}), toDate(ts)), 0, samples, 0 FROM gpu_region_1m
         UNION ALL SELECT dateDiff('day', toDate(${T0 / 1000}), toDate(ts)), 0, 0, samples FROM gpu_1d)
       GROUP BY day ORDER BY day`,
    );
    const rate = (ms: number) => Math.round((per * BATCHES) / (ms / 1000)).toLocaleString('en-US');
    const ceiling = results.find((r) => r.day === 3)?.ms ?? NaN;
    console.log(
      `bench/ingest-rollups: ${(per * BATCHES).toLocaleString('en-US')} GPU rows in ${BATCHES} INSERT … SELECT batches, full rollups`,
    );
    console.table(
      results.map((r) => {
        const c = counts.find((x) => Number(x.day) === r.day);
        return {
          path: r.path,
          'rows/s': rate(r.ms),
          'rollup cost (ms beyond the ceiling)': r.day === 3 ? '' : Math.round(r.ms - ceiling).toLocaleString('en-US'),
          'counted in 1m / region 1m / 1d': c ? `${c.m} / ${c.r} / ${c.d}` : '-',
        };
      }),
    );
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
