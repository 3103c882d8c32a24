/**
 * bench/ingest: GPU rows per second through the store writer, beside the engine's own INSERT … SELECT
 * of the very rows the writer wrote, into the same table with its views, in the same run (and, as
 * before, of generated rows); and bytes on disk per stored metric value.
 *
 * The writer and its same-rows yardsticks are measured in PASSES interleaved passes and reported as
 * medians (with the range): on 2 shared cores one figure of each moved by a third between runs.
 *
 *   npm run bench:ingest [-- --gpus 2000 --seconds 500 --batch 100000 --passes 3]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { metricsOf } from '@meridian/catalog';
import { openStore, rowsToColumns, type SampleColumns, type SampleRow, type Store } from '@meridian/store';
import { generatedGpuRows } from './generated-gpu-rows.js';
import { gpuFleetRows } from './gpu-curves.js';
import { engineInsert, shiftedInsertSql } from './shifted-insert.js';

const { values: args } = parseArgs({
  options: {
    gpus: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '500' },
    batch: { type: 'string', default: '100000' },
    passes: { type: 'string', default: '3' },
  },
});
const GPUS = Number(args.gpus);
const SECONDS = Number(args.seconds);
const BATCH = Number(args.batch);
const PASSES = Number(args.passes);
// Yesterday, whole: rows older than the raw table's 14-day TTL would be dropped under the bench's feet.
const T0 = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000;

type WriterPath = 'columns' | 'pipelined' | 'rows';

interface Timed {
  rows: number;
  ms: number;
}

const HOUR = 3_600_000;

/** Waits until the engine merges nothing, so a timed phase does not pay for the previous one's parts. */
async function quiet(store: Store): Promise<void> {
  for (;;) {
    const [r] = await store.query<{ n: string }>('SELECT count() AS n FROM system.merges');
    if (Number(r?.n) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The writer's own cost for GPUS x SECONDS rows in batches of BATCH: through writeColumns (the twin's
 * path: typed arrays and dictionary-encoded strings) one batch after another; through
 * prepareColumns with each batch encoded while the engine inserts the previous one (the sink's
 * path); or write (row objects). Batches are built before the timed region, so the figure is the
 * writer's cost, not the generator's. The row path writes a tenth of the rows (it is measured for
 * comparison, not as the target).
 */
async function writerThroughput(
  store: Store,
  via: WriterPath,
  t0: number,
  seconds = SECONDS,
): Promise<{ rows: number; ms: number }> {
  // The column paths keep no row objects: a million of them alive through the timed region made
  // every full garbage collection the writer's allocations trigger cost ~300 ms (a 350 MB heap),
  // the generator's cost charged to the writer.
  const batches: SampleRow[][] = [];
  const columns: SampleColumns[] = [];
  let batch: SampleRow[] = [];
  const cut = (): void => {
    if (batch.length === 0) return;
    if (via === 'rows') batches.push(batch);
    else {
      // The generator sets the same fields in every row.
      const present = new Set(Object.keys(batch[0]!).filter((k) => k !== 'ts' && k !== 'source'));
      columns.push(rowsToColumns('gpu', batch, present));
    }
    batch = [];
  };
  for (const row of gpuFleetRows(GPUS, seconds, t0)) {
    if (batch.length === BATCH) cut();
    batch.push(row);
  }
  cut();
  const bar = new cliProgress.SingleBar(
    { format: `${via.padEnd(9)} {bar} {percentage}% {value}/{total} rows` },
    cliProgress.Presets.shades_classic,
  );
  bar.start(GPUS * seconds, 0);
  const w = store.writer('gpu');
  const token = (i: number) => ({ token: `bench:${via}:${t0}:${i}` });
  let rows = 0;
  await quiet(store);
  const t = performance.now();
  if (via === 'pipelined') {
    let next = w.prepareColumns(columns[0]!, token(0));
    for (let i = 0; i < columns.length; i++) {
      const writing = next.write();
      if (i + 1 < columns.length) {
        // Once the insert is with the engine (its promise steps run first), encode the next batch.
        await new Promise((resolve) => setImmediate(resolve));
        next = w.prepareColumns(columns[i + 1]!, token(i + 1));
      }
      rows += (await writing).written;
      bar.update(rows);
    }
  } else {
    const count = via === 'rows' ? batches.length : columns.length;
    for (let i = 0; i < count; i++) {
      const r = via === 'rows' ? await w.write(batches[i]!, token(i)) : await w.writeColumns(columns[i]!, token(i));
      rows += r.written;
      bar.update(rows);
    }
  }
  const ms = performance.now() - t;
  bar.stop();
  return { rows, ms };
}

/**
 * The yardstick: the engine inserting the same shape of rows that it generates itself, so no client,
 * encoding or parsing is involved. This is the ceiling any writer path can reach on this machine.
 */
async function engineCeiling(
  store: Store,
  table: string,
  opts: { batch?: number; t0?: number } = {},
): Promise<{ rows: number; ms: number }> {
  const n = GPUS * SECONDS;
  const step = opts.batch ?? n;
  await quiet(store);
  const t = performance.now();
  for (let off = 0; off < n; off += step)
    await ceilingInsert(store, table, off, Math.min(step, n - off), opts.t0 ?? T0);
  return { rows: n, ms: performance.now() - t };
}

/** Rows [off, off + n) of the yardstick's generated fleet, in one INSERT … SELECT. */
async function ceilingInsert(store: Store, table: string, off: number, n: number, t0: number): Promise<void> {
  const { query, params } = generatedGpuRows({ table, t0, gpus: GPUS, off, n });
  await engineInsert(store, query, params);
}

/**
 * The yardstick for the writer: the engine inserting exactly the rows the writer wrote (copied into
 * a table without views first), so the two differ only in who builds the block. The generated rows
 * of `engineCeiling` carry fewer columns and none of the writer's derived ones (increases,
 * first-in-bucket flags): they are not the rows the writer is asked to write. Each pass shifts
 * the rows by whole days, so no block is a duplicate of an earlier one.
 */
async function sameRowsCeiling(store: Store, pass: number, batchSeconds: number | undefined): Promise<Timed> {
  const step = batchSeconds ?? SECONDS;
  await quiet(store);
  const t = performance.now();
  for (let s = 0; s < SECONDS; s += step) {
    await engineInsert(store, shiftedInsertSql('gpu_samples', 'writer_rows'), {
      days: 10 + pass,
      a: T0 + s * 1000,
      b: T0 + Math.min(SECONDS, s + step) * 1000,
    });
  }
  return { rows: GPUS * SECONDS, ms: performance.now() - t };
}

interface ColumnSize {
  column: string;
  compressed: number;
  nonNull: number;
}

async function bytesPerValue(
  store: Store,
): Promise<{ columns: ColumnSize[]; totalBytes: number; values: number; rows: number }> {
  await store.command('OPTIMIZE TABLE gpu_samples FINAL');
  const sizes = await store.query<{ column: string; compressed: number }>(
    `SELECT column, sum(column_data_compressed_bytes) AS compressed FROM system.parts_columns
     WHERE database = currentDatabase() AND table = 'gpu_samples' AND active GROUP BY column`,
  );
  const metrics = metricsOf('gpu').map((m) => m.name);
  const counts = await store.query<Record<string, number>>(
    `SELECT count() AS rows, ${metrics.map((m) => `count(${m}) AS ${m}`).join(', ')} FROM gpu_samples`,
  );
  const c = counts[0] ?? {};
  const rows = Number(c.rows);
  const columns = sizes
    .map((s) => ({
      column: s.column,
      compressed: Number(s.compressed),
      nonNull: metrics.includes(s.column) ? Number(c[s.column]) : rows,
    }))
    .sort((a, b) => b.compressed - a.compressed);
  const values = metrics.reduce((sum, m) => sum + Number(c[m] ?? 0), 0);
  return { columns, totalBytes: columns.reduce((s, x) => s + x.compressed, 0), values, rows };
}

/** The codec measurements behind the choices in store/src/schema/columns.ts. */
async function codecComparison(store: Store): Promise<{ column: string; codec: string; bytesPerValue: number }[]> {
  const trials: { column: string; type: string; codecs: string[] }[] = [
    { column: 'ts', type: "DateTime64(3, 'UTC')", codecs: ['DoubleDelta, ZSTD(1)', 'Delta, ZSTD(1)', 'ZSTD(1)'] },
    { column: 'util_gpu', type: 'Nullable(Float32)', codecs: ['Gorilla, ZSTD(1)', 'ZSTD(1)', 'FPC, ZSTD(1)'] },
    { column: 'power_draw', type: 'Nullable(Float32)', codecs: ['Gorilla, ZSTD(1)', 'ZSTD(1)', 'FPC, ZSTD(1)'] },
    { column: 'memory_used', type: 'Nullable(UInt64)', codecs: ['T64, ZSTD(1)', 'Delta, ZSTD(1)', 'ZSTD(1)'] },
    { column: 'ecc_sbe_volatile', type: 'Nullable(UInt64)', codecs: ['Delta, ZSTD(1)', 'T64, ZSTD(1)', 'ZSTD(1)'] },
  ];
  const out: { column: string; codec: string; bytesPerValue: number }[] = [];
  let i = 0;
  for (const trial of trials) {
    for (const codec of trial.codecs) {
      const t = `codec_trial_${i++}`;
      await store.command(
        `CREATE TABLE ${t} (region LowCardinality(String), host LowCardinality(String), gpu_uuid LowCardinality(String),
           ts DateTime64(3, 'UTC'), v ${trial.type} CODEC(${codec})) ENGINE = MergeTree ORDER BY (region, host, gpu_uuid, ts)
         SETTINGS min_bytes_for_wide_part = 0`,
      );
      await store.command(`INSERT INTO ${t} SELECT region, host, gpu_uuid, ts, ${trial.column} FROM gpu_samples`);
      await store.command(`OPTIMIZE TABLE ${t} FINAL`);
      const [r] = await store.query<{ b: number; n: number }>(
        `SELECT sum(column_data_compressed_bytes) AS b, any(rows) AS n FROM system.parts_columns
         WHERE database = currentDatabase() AND table = {t:String} AND column = 'v' AND active`,
        { t },
      );
      out.push({ column: trial.column, codec, bytesPerValue: Number(r?.b) / Number(r?.n) });
      await store.command(`DROP TABLE ${t}`);
    }
  }
  return out;
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'meridian-bench-ingest-'));
  const store = await openStore({ data: dir });
  try {
    await store.migrate();
    // Per-column sizes exist only for wide parts; small runs would otherwise land in compact parts
    // and report 0 bytes.
    await store.command('ALTER TABLE gpu_samples MODIFY SETTING min_bytes_for_wide_part = 0');
    console.log(
      `bench/ingest: ${fmt(GPUS)} GPUs x ${fmt(SECONDS)} s = ${fmt(GPUS * SECONDS)} rows, batches of ${fmt(BATCH)}`,
    );
    // Not counted: the JIT's first optimisations and the engine's first inserts.
    await writerThroughput(store, 'columns', T0 - 12 * HOUR, BATCH / GPUS);
    await writerThroughput(store, 'pipelined', T0 - 11 * HOUR, BATCH / GPUS);
    // Each pass writes later instants than the one before, so every batch's samples are fresh.
    const passT0 = (p: number) => T0 + p * 2 * HOUR;
    const first = await writerThroughput(store, 'columns', passT0(0));
    // The sizes of the rows written so far (the warm-up and the first pass), before any yardstick copies.
    const b = await bytesPerValue(store);
    const codecs = await codecComparison(store);
    await store.command('CREATE TABLE writer_rows AS gpu_samples');
    await store.command(
      `INSERT INTO writer_rows SELECT * FROM gpu_samples WHERE ts >= fromUnixTimestamp64Milli(${T0}) AND ts < fromUnixTimestamp64Milli(${T0 + SECONDS * 1000})`,
    );
    const passes: Record<'serial' | 'pipelined' | 'sameRows' | 'sameRowsBatched', Timed>[] = [];
    for (let p = 0; p < PASSES; p++) {
      const serial = p === 0 ? first : await writerThroughput(store, 'columns', passT0(p));
      const pipelined = await writerThroughput(store, 'pipelined', passT0(p) + HOUR);
      const sameRowsBatched = await sameRowsCeiling(store, 2 * p, BATCH / GPUS);
      const sameRows = await sameRowsCeiling(store, 2 * p + 1, undefined);
      passes.push({ serial, pipelined, sameRows, sameRowsBatched });
    }
    const wRows = await writerThroughput(store, 'rows', passT0(PASSES), Math.max(1, Math.floor(SECONDS / 10)));
    const withViews = await engineCeiling(store, 'gpu_samples');
    // The same rows again, two days later (so no block is a duplicate of the first run's), cut
    // into the writer's batch size: each INSERT pays the rollup views' per-statement cost.
    const withViewsBatched = await engineCeiling(store, 'gpu_samples', { batch: BATCH, t0: T0 + 2 * 86_400_000 });
    await store.command('CREATE TABLE ceiling AS gpu_samples');
    const noViews = await engineCeiling(store, 'ceiling');
    const rate = (x: Timed) => (x.rows / x.ms) * 1000;
    /** The median over the passes, and the range. */
    const over = (f: (pass: (typeof passes)[number]) => number, unit: (n: number) => string): string => {
      const v = passes.map(f).sort((x, y) => x - y);
      const mid = v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
      return v.length > 1 ? `${unit(mid)} (${unit(v[0]!)} to ${unit(v.at(-1)!)})` : unit(mid);
    };
    const rps = (n: number) => fmt(n);
    const pct = (n: number) => `${fmt(n * 100, 1)} %`;
    const ofPass = (x: keyof (typeof passes)[number]) => over((q) => rate(q[x]), rps);
    const share = (x: keyof (typeof passes)[number], y: keyof (typeof passes)[number]) =>
      over((q) => rate(q[x]) / rate(q[y]), pct);
    console.log(
      `\nIngest, GPU rows/s into gpu_samples (whose rollup views run on every insert); ${PASSES} passes: median (range)`,
    );
    console.table([
      {
        path: 'writer, columns, each batch encoded during the previous insert (prepareColumns, as the sink does)',
        'rows/s': ofPass('pipelined'),
        target: '',
      },
      { path: 'writer, columns, one batch after another (writeColumns)', 'rows/s': ofPass('serial'), target: '' },
      { path: 'writer, row objects (a tenth of the rows, once)', 'rows/s': fmt(rate(wRows)), target: '' },
      {
        path: `engine INSERT ... SELECT of the writer's own rows, ${fmt(BATCH)} a statement`,
        'rows/s': ofPass('sameRowsBatched'),
        target: 'yardstick',
      },
      {
        path: "engine INSERT ... SELECT of the writer's own rows, one statement",
        'rows/s': ofPass('sameRows'),
        target: '',
      },
      { path: 'engine INSERT ... SELECT, generated rows, one statement', 'rows/s': fmt(rate(withViews)), target: '' },
      {
        path: `engine INSERT ... SELECT, generated rows, ${fmt(BATCH)} a statement`,
        'rows/s': fmt(rate(withViewsBatched)),
        target: '',
      },
      {
        path: 'engine INSERT ... SELECT, generated rows, a copy without views',
        'rows/s': fmt(rate(noViews)),
        target: '',
      },
      {
        path: "writer (encoding during inserts) as share of its own rows' same-size statements",
        'rows/s': share('pipelined', 'sameRowsBatched'),
        target: '>= 80 %',
      },
      {
        path: "writer (one batch after another) as share of its own rows' same-size statements",
        'rows/s': share('serial', 'sameRowsBatched'),
        target: '',
      },
      {
        path: "writer (encoding during inserts) as share of its own rows' one statement",
        'rows/s': share('pipelined', 'sameRows'),
        target: '',
      },
    ]);
    console.log('\nBytes on disk per stored value, gpu_samples after merge (system.parts_columns)');
    console.table(
      b.columns.map((c) => ({
        column: c.column,
        'compressed bytes': fmt(c.compressed),
        'bytes/value': fmt(c.nonNull ? c.compressed / c.nonNull : 0, 3),
      })),
    );
    console.log(
      `total: ${fmt(b.totalBytes)} bytes for ${fmt(b.rows)} rows and ${fmt(b.values)} metric values = ` +
        `${fmt(b.totalBytes / b.values, 3)} bytes per stored metric value (target <= 1; Prometheus TSDB ~1.3)`,
    );
    console.log('\nCodec trials (bytes per value, same data, same sort order)');
    console.table(codecs.map((c) => ({ ...c, bytesPerValue: fmt(c.bytesPerValue, 3) })));
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
