/**
 * bench/sim: the fastest simulated seconds per wall second the twin reaches for each scenario, at
 * three depths, beside a yardstick measured in the same run:
 *   - twin only (rows built, then dropped);
 *   - through the collector's pipeline into a no-op sink (batching included);
 *   - through the pipeline and store sink into the embedded store (what `meridian up` does).
 * Yardsticks, in simulated seconds per wall second: the engine's own INSERT … SELECT of the very
 * rows the twin stored (every column, derived ones too), in statements of one batch, into the same
 * tables with their views, with the writer's settings: what the store can do with exactly this data
 * and no client; and, as before, its ceiling on generated 6-metric gpu rows for the scenario's rows
 * per tick, which the twin's 30-metric rows cannot reach. Real time is 1.0: `large` must reach it.
 * The pipeline cuts batches as `meridian up` does (twinBatchRows: TWIN_BATCH_S of gpu samples), and
 * each run is at least `--ticks` and at least `--batches` such batches long (default 10). The store
 * only starts on the first batch once it is cut, and the last one is written after the twin has
 * stopped: over a run of a few batches those two edges weigh as much as the steady state that
 * `meridian up` runs in, so the default run is long enough for them to weigh little.
 *
 *   npm run bench:sim [-- --ticks 60 --batches 10 --scenarios default,large]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createPipeline, createStoreSink, type Sink } from '@meridian/collector';
import { ENTITIES, rawTable } from '@meridian/catalog';
import { builtinScenarios, Twin, TWIN_BATCH_S, twinBatchRows, TwinRunner } from '@meridian/sim';
import { openStore, type Store } from '@meridian/store';
import { engineInsert, shiftedInsertSql } from './shifted-insert.js';

const { values: args } = parseArgs({
  options: {
    ticks: { type: 'string', default: '60' },
    batches: { type: 'string', default: '10' },
    scenarios: { type: 'string' },
  },
});
const TICKS = Number(args.ticks);
const BATCHES = Number(args.batches);
for (const [flag, v] of [
  ['--ticks', TICKS],
  ['--batches', BATCHES],
] as const)
  if (!(Number.isInteger(v) && v >= 1)) throw new Error(`bench:sim: ${flag} must be a positive integer, got ${v}`);
const START = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 48 * 3_600_000;
const RAW_TABLES = ENTITIES.map(rawTable);

function scenarios(): string[] {
  return args.scenarios ? args.scenarios.split(',') : builtinScenarios();
}

const noopSink: Sink = { accept: () => Promise.resolve(), close: () => Promise.resolve() };

async function run(
  name: string,
  depth: 'twin' | 'pipeline' | 'store',
  store: Store,
  offsetH: number,
): Promise<{ simPerWall: number; rowsPerTick: number; batchRows: number; fromMs: number; seconds: number }> {
  const fromMs = START + offsetH * 3_600_000;
  const twin = new Twin(name, { startMs: fromMs });
  // The batch size `meridian up` uses (TWIN_BATCH_S of gpu samples), and BATCHES of them at least.
  const batchRows = twinBatchRows(twin);
  const ticks = Math.max(TICKS, Math.ceil((BATCHES * TWIN_BATCH_S) / twin.tickS));
  let rows = 0;
  const t0 = performance.now();
  if (depth === 'twin') {
    for (let i = 0; i < ticks; i++) {
      const o = twin.step().samples;
      rows += o.gpu.rows + o.host.rows + o.link.rows;
    }
  } else {
    const spooled = depth === 'store' ? createStoreSink({ store }) : undefined;
    const sink = spooled ?? noopSink;
    const out = createPipeline({
      sink,
      maxRows: batchRows,
      flushIntervalMs: 0,
      collectorId: 'bench',
      runId: `${name}-${depth}`,
    });
    const runner = new TwinRunner(twin, out);
    for (let i = 0; i < ticks; i++) {
      const o = (await runner.tick()).samples;
      rows += o.gpu.rows + o.host.rows + o.link.rows;
      // The twin outruns the store: it waits while a batch beyond the one being written is queued,
      // so the store is never idle and the memory spool never reaches its bound (and drops).
      await spooled?.backlog(1);
    }
    await out.flush();
    if (spooled) {
      await spooled.drained();
      // Past the memory spool's bound the oldest batches would be dropped, which would make the
      // figure look better than what was stored: then there is no figure.
      const dropped = spooled.spool.stats().droppedRows + out.stats().failedRows;
      if (dropped > 0)
        throw new Error(`bench:sim ${name}: ${dropped} rows were dropped on the store path, so no figure is given`);
    }
    await out.close();
  }
  const wallS = (performance.now() - t0) / 1000;
  return {
    simPerWall: (ticks * twin.tickS) / wallS,
    rowsPerTick: rows / ticks,
    batchRows,
    fromMs,
    seconds: ticks * twin.tickS,
  };
}

/** Rows per second the engine inserts into gpu_samples with no client at all (INSERT … SELECT). */
async function engineCeiling(store: Store): Promise<number> {
  const n = 1_000_000;
  const t0 = performance.now();
  await store.command(
    `INSERT INTO gpu_samples (ts, source, region, host, gpu_uuid, util_gpu, memory_used, power_draw, temp_gpu, clock_sm, throttle_reasons)
     SELECT toDateTime64({start:UInt64} / 1000, 3) + toIntervalMillisecond(intDiv(number, 512) * 1000), 'bench', 'r', concat('h', toString(intDiv(number % 512, 8))),
            concat('g', toString(number % 512)), number % 100, number * 4096, 300 + number % 400, 40 + number % 50, 1980, 0
     FROM numbers({n:UInt64})`,
    { start: START - 24 * 3_600_000, n },
  );
  return n / ((performance.now() - t0) / 1000);
}

/**
 * The engine inserting the rows a store run wrote (`seconds` of simulated time from `fromMs`), copied
 * first to tables without views, back into the raw tables three days later, cut as the pipeline cut
 * them: gpu rows TWIN_BATCH_S a statement; host and link rows, whose batches hold the same row count
 * and so span minutes, one statement each. Simulated seconds per wall second.
 */
async function twinRowsCeiling(store: Store, fromMs: number, seconds: number): Promise<number> {
  // The twin's rows lie in its run's hour; its last tick may end a tick past `seconds`.
  const end = fromMs + 3_600_000;
  for (const t of RAW_TABLES) {
    await store.command(`DROP TABLE IF EXISTS ${t}_copy`);
    await store.command(`CREATE TABLE ${t}_copy AS ${t}`);
    await store.command(
      `INSERT INTO ${t}_copy SELECT * FROM ${t} WHERE ts >= fromUnixTimestamp64Milli({a:Int64}) AND ts < fromUnixTimestamp64Milli({b:Int64})`,
      { a: fromMs, b: end },
    );
  }
  const statements: { table: string; a: number; b: number }[] = [];
  for (let s = 0; s < seconds + TWIN_BATCH_S; s += TWIN_BATCH_S)
    statements.push({ table: 'gpu_samples', a: fromMs + s * 1000, b: fromMs + (s + TWIN_BATCH_S) * 1000 });
  for (const table of RAW_TABLES) if (table !== 'gpu_samples') statements.push({ table, a: fromMs, b: end });
  const t0 = performance.now();
  for (const { table, a, b } of statements)
    await engineInsert(
      store,
      shiftedInsertSql(table, `${table}_copy`),
      { days: 3, a, b },
      `bench:sim:ceiling:${table}:${a}`,
    );
  return seconds / ((performance.now() - t0) / 1000);
}

const dir = mkdtempSync(path.join(tmpdir(), 'bench-sim-'));
const store = await openStore({ data: dir });
try {
  await store.migrate();
  const ceiling = await engineCeiling(store);
  console.log(
    `yardstick: engine INSERT … SELECT into gpu_samples: ${Math.round(ceiling).toLocaleString('en-US')} rows/s`,
  );
  console.log('');
  console.log(
    'scenario          GPUs   rows/tick  batch rows  twin only  +pipeline  +store (up)  engine, same rows  engine, 6-metric rows   (simulated s per wall s; 1.0 = real time)',
  );
  // Warm the JIT first so the first scenario measured is not also paying for compilation.
  const warm = new Twin('default', { startMs: START });
  for (let i = 0; i < 30; i++) warm.step();
  let h = 0;
  for (const name of scenarios()) {
    const twinOnly = await run(name, 'twin', store, h++);
    const pipe = await run(name, 'pipeline', store, h++);
    const stored = await run(name, 'store', store, h++);
    const sameRows = await twinRowsCeiling(store, stored.fromMs, stored.seconds);
    const gpus = new Twin(name, { startMs: START }).fabric.gpuCount;
    const cells = [
      name.padEnd(16),
      String(gpus).padStart(6),
      String(Math.round(stored.rowsPerTick)).padStart(11),
      String(stored.batchRows).padStart(11),
      twinOnly.simPerWall.toFixed(1).padStart(10),
      pipe.simPerWall.toFixed(1).padStart(10),
      stored.simPerWall.toFixed(2).padStart(12),
      sameRows.toFixed(2).padStart(18),
      (ceiling / stored.rowsPerTick).toFixed(1).padStart(22),
    ];
    console.log(cells.join(' '));
  }
  console.log('');
  console.log(
    `batch rows: the pipeline's maxRows, ${TWIN_BATCH_S} simulated s of gpu samples (twinBatchRows); ` +
      `each run at least ${TICKS} ticks and ${BATCHES} batches`,
  );
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
