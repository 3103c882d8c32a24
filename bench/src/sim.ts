/**
 * bench/sim: the fastest simulated seconds per wall second the twin reaches for each scenario, at
 * three depths, beside a yardstick measured in the same run:
 *   - twin only (rows built, then dropped);
 *   - through the collector's pipeline into a no-op sink (batching included);
 *   - through the pipeline and store sink into the embedded store (what `meridian up` does).
 * Yardstick: the engine's own INSERT … SELECT ceiling on gpu_samples, converted to simulated
 * seconds per wall second for the scenario's rows per tick. Real time is 1.0: `large` must reach it.
 * The pipeline cuts batches as `meridian up` does (twinBatchRows: TWIN_BATCH_S of gpu samples), and
 * each run is at least `--ticks` and at least three such batches long.
 *
 *   npm run bench:sim [-- --ticks 60 --scenarios default,large]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createPipeline, createStoreSink, type Sink } from '@meridian/collector';
import { builtinScenarios, Twin, TWIN_BATCH_S, twinBatchRows, TwinRunner } from '@meridian/sim';
import { openStore, type Store } from '@meridian/store';

const { values: args } = parseArgs({
  options: {
    ticks: { type: 'string', default: '60' },
    scenarios: { type: 'string' },
  },
});
const TICKS = Number(args.ticks);
const START = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 48 * 3_600_000;

function scenarios(): string[] {
  return args.scenarios ? args.scenarios.split(',') : builtinScenarios();
}

const noopSink: Sink = { accept: () => Promise.resolve(), close: () => Promise.resolve() };

async function run(
  name: string,
  depth: 'twin' | 'pipeline' | 'store',
  store: Store,
  offsetH: number,
): Promise<{ simPerWall: number; rowsPerTick: number; batchRows: number }> {
  const twin = new Twin(name, { startMs: START + offsetH * 3_600_000 });
  // The batch size `meridian up` uses (TWIN_BATCH_S of gpu samples); a run covers at least three
  // batches, so that what is measured is the steady state of cut, insert and rollup.
  const batchRows = twinBatchRows(twin);
  const ticks = Math.max(TICKS, Math.ceil((3 * TWIN_BATCH_S) / twin.tickS));
  let rows = 0;
  const t0 = performance.now();
  if (depth === 'twin') {
    for (let i = 0; i < ticks; i++) {
      const o = twin.step().samples;
      rows += o.gpu.rows + o.host.rows + o.link.rows;
    }
  } else {
    const sink = depth === 'store' ? createStoreSink({ store }) : noopSink;
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
    }
    await out.flush();
    if (depth === 'store') {
      const spooled = sink as ReturnType<typeof createStoreSink>;
      await spooled.drained();
      // The twin outruns the store, so batches wait in the sink's memory spool; past its bound it
      // drops the oldest, which would make the figure look better than what was stored.
      const dropped = spooled.spool.stats().droppedRows + out.stats().failedRows;
      if (dropped > 0)
        throw new Error(`bench:sim ${name}: ${dropped} rows were dropped on the store path, so no figure is given`);
    }
    await out.close();
  }
  const wallS = (performance.now() - t0) / 1000;
  return { simPerWall: (ticks * twin.tickS) / wallS, rowsPerTick: rows / ticks, batchRows };
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
    'scenario          GPUs   rows/tick  batch rows  twin only  +pipeline  +store (up)  engine ceiling   (simulated s per wall s; 1.0 = real time)',
  );
  // Warm the JIT first so the first scenario measured is not also paying for compilation.
  const warm = new Twin('default', { startMs: START });
  for (let i = 0; i < 30; i++) warm.step();
  let h = 0;
  for (const name of scenarios()) {
    const twinOnly = await run(name, 'twin', store, h++);
    const pipe = await run(name, 'pipeline', store, h++);
    const stored = await run(name, 'store', store, h++);
    const gpus = new Twin(name, { startMs: START }).fabric.gpuCount;
    const cells = [
      name.padEnd(16),
      String(gpus).padStart(6),
      String(Math.round(stored.rowsPerTick)).padStart(11),
      String(stored.batchRows).padStart(11),
      twinOnly.simPerWall.toFixed(1).padStart(10),
      pipe.simPerWall.toFixed(1).padStart(10),
      stored.simPerWall.toFixed(2).padStart(12),
      (ceiling / stored.rowsPerTick).toFixed(1).padStart(15),
    ];
    console.log(cells.join(' '));
  }
  console.log('');
  console.log(`batch rows: the pipeline's maxRows, ${TWIN_BATCH_S} simulated s of gpu samples (twinBatchRows)`);
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
