/**
 * bench/ingest-rollups: what the per-insert rollup views cost, and what the alternatives would cost,
 * measured with the engine's own INSERT … SELECT (no client) so only the rollup mechanism differs:
 *   - views: gpu_samples as migrated (raw -> 1m -> 1h -> 1d, and the region views), per insert;
 *   - none: a copy of gpu_samples without views (the ceiling);
 *   - projection: the copy with an aggregate projection by GPU and minute;
 *   - writer step: the copy, then one INSERT … SELECT of the same aggregates by GPU and minute over
 *     the batch's time range into an AggregatingMergeTree (what a writer-driven step adds per batch).
 * The projection and the step carry the same 9 aggregates, fewer than the real rollups (a lower bound
 * of their cost: the views maintain ~80 aggregate columns in 1m, 1h, 1d and the region tables).
 * Refreshable views recompute a window on a timer: their cost is a scan of that window per refresh,
 * measured here as one such SELECT over all the rows.
 *
 *   node bench/dist/ingest-rollups.js [--rows 1000000 --batches 10]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openStore } from '@meridian/store';

const { values: args } = parseArgs({
  options: { rows: { type: 'string', default: '1000000' }, batches: { type: 'string', default: '10' } },
});
const ROWS = Number(args.rows);
const BATCHES = Number(args.batches);
const GPUS = 2000;
const T0 = Date.UTC(2026, 10, 25);

/** The yardstick generator of bench/ingest, for rows [start, start + n), with the writer's derived columns. */
function generate(table: string, start: number, n: number): string {
  return `INSERT INTO ${table} (ts, source, region, host, gpu_uuid, gpu_index, model, util_gpu, memory_used, power_draw,
      temp_gpu, ecc_sbe_volatile, ecc_sbe_volatile_inc, first_in_1m, first_in_1h)
    SELECT fromUnixTimestamp64Milli(toInt64(${T0} + intDiv(number, ${GPUS}) * 1000)), 'bench',
      concat('r', toString((number % ${GPUS}) % 8)), concat('h', toString(intDiv(number % ${GPUS}, 8))),
      concat('GPU-', toString(number % ${GPUS})), number % 8, 'NVIDIA H100 80GB HBM3',
      50 + 40 * sin(number / 7919.0), 40000000000 + (number % 977) * 1048576, 300 + 200 * sin(number / 7919.0),
      55 + 15 * sin(number / 7919.0), intDiv(number, 100000), 0, intDiv(number, ${GPUS}) % 60 = 0, intDiv(number, ${GPUS}) % 3600 = 0
    FROM numbers(${start}, ${n})`;
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'meridian-bench-rollups-'));
  const store = await openStore({ data: dir });
  try {
    await store.migrate();
    await store.command('CREATE TABLE plain AS gpu_samples');
    await store.command('CREATE TABLE projected AS gpu_samples');
    await store.command(
      `ALTER TABLE projected ADD PROJECTION per_minute (SELECT gpu_uuid, toStartOfMinute(ts), count(), avg(util_gpu),
         min(util_gpu), max(util_gpu), avg(power_draw), max(power_draw), max(temp_gpu), sum(ecc_sbe_volatile_inc)
         GROUP BY gpu_uuid, toStartOfMinute(ts))`,
    );
    await store.command('CREATE TABLE stepped AS gpu_samples');
    await store.command(
      `CREATE TABLE stepped_1m (gpu_uuid String, ts DateTime, samples SimpleAggregateFunction(sum, UInt64),
         util_avg AggregateFunction(avg, Nullable(Float32)), util_min SimpleAggregateFunction(min, Nullable(Float32)),
         util_max SimpleAggregateFunction(max, Nullable(Float32)), power_avg AggregateFunction(avg, Nullable(Float32)),
         power_max SimpleAggregateFunction(max, Nullable(Float32)), temp_max SimpleAggregateFunction(max, Nullable(Float32)),
         ecc_inc SimpleAggregateFunction(sum, Nullable(UInt64)))
       ENGINE = AggregatingMergeTree ORDER BY (gpu_uuid, ts) SETTINGS non_replicated_deduplication_window = 1000`,
    );
    const select = `SELECT gpu_uuid, toStartOfMinute(stepped.ts) AS t, count(), avgState(util_gpu), min(util_gpu),
        max(util_gpu), avgState(power_draw), max(power_draw), max(temp_gpu), sum(toNullable(toUInt64(ecc_sbe_volatile_inc)))
      FROM stepped GROUP BY gpu_uuid, t`;
    const per = Math.floor(ROWS / BATCHES);
    const ms = { views: 0, none: 0, projection: 0, step: 0, stepInsert: 0 };
    for (let b = 0; b < BATCHES; b++) {
      const start = b * per;
      ms.views += await timed(() => store.command(generate('gpu_samples', start, per)));
      ms.none += await timed(() => store.command(generate('plain', start, per)));
      ms.projection += await timed(() => store.command(generate('projected', start, per)));
      ms.stepInsert += await timed(() => store.command(generate('stepped', start, per)));
      // The batch's own time range: exactly the rows just written (seconds start/GPUS .. end/GPUS).
      const from = T0 + Math.floor(start / GPUS) * 1000;
      const to = T0 + Math.floor((start + per - 1) / GPUS) * 1000;
      const where = ` WHERE stepped.ts BETWEEN fromUnixTimestamp64Milli(${from}) AND fromUnixTimestamp64Milli(${to})`;
      const stepped = select.replace(/ GROUP BY /, `${where} GROUP BY `);
      ms.step += await timed(() => store.command(`INSERT INTO stepped_1m ${stepped}`));
    }
    const refresh = await timed(() => store.command(`INSERT INTO stepped_1m ${select}`));
    const rate = (t: number) => Math.round((per * BATCHES) / (t / 1000)).toLocaleString('en-US');
    // The step must equal the views' own rollup: same sums of samples and of increases.
    const check = await store.query<{ t: string; n: string }>(
      `SELECT 'views' AS t, toString(sum(samples)) AS n FROM gpu_1m UNION ALL
       SELECT 'step, then refresh', toString(sum(samples)) FROM stepped_1m`,
    );
    console.log(`bench/ingest-rollups: ${ROWS.toLocaleString('en-US')} rows in ${BATCHES} INSERT … SELECT batches`);
    console.table([
      { path: 'per-insert views (raw->1m->1h->1d, region)', 'rows/s': rate(ms.views) },
      { path: 'no views (ceiling)', 'rows/s': rate(ms.none) },
      { path: 'aggregate projection by GPU and minute', 'rows/s': rate(ms.projection) },
      { path: 'writer step: raw insert + 1m SELECT per batch', 'rows/s': rate(ms.stepInsert + ms.step) },
      { path: '  of which the 1m step alone', 'rows/s': rate(ms.step) },
      { path: 'refresh: one 1m SELECT over all rows', 'rows/s': rate(refresh) },
    ]);
    console.log(
      `samples in the rollups (step ran twice: once per batch and once as a refresh): ${JSON.stringify(check)}`,
    );
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
