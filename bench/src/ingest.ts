/**
 * bench/ingest: GPU rows per second through the store writer, beside the engine's own INSERT … SELECT
 * of the very rows the writer wrote, into the same table with its views, in the same run (and, as
 * before, of generated rows); and bytes on disk per stored metric value.
 *
 *   npm run bench:ingest [-- --gpus 2000 --seconds 500 --batch 100000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { metricsOf } from '@meridian/catalog';
import { insertSettings, openStore, rowsToColumns, type SampleRow, type Store } from '@meridian/store';
import { generatedGpuRows } from './generated-gpu-rows.js';
import { gpuFleetRows } from './gpu-curves.js';

const { values: args } = parseArgs({
  options: {
    gpus: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '500' },
    batch: { type: 'string', default: '100000' },
  },
});
const GPUS = Number(args.gpus);
const SECONDS = Number(args.seconds);
const BATCH = Number(args.batch);
// Yesterday, whole: rows older than the raw table's 14-day TTL would be dropped under the bench's feet.
const T0 = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000;

type WriterPath = 'columns' | 'rows';

/**
 * The writer's own cost for GPUS x SECONDS rows in batches of BATCH: through writeColumns (the twin's
 * path: typed arrays and dictionary-encoded strings) or write (row objects). Batches are built outside
 * the timed region, so the figure is the writer's cost, not the generator's. The row path writes a
 * tenth of the rows (it is measured for comparison, not as the target).
 */
async function writerThroughput(store: Store, via: WriterPath): Promise<{ rows: number; ms: number }> {
  const bar = new cliProgress.SingleBar(
    { format: `${via.padEnd(7)} {bar} {percentage}% {value}/{total} rows` },
    cliProgress.Presets.shades_classic,
  );
  const seconds = via === 'rows' ? Math.max(1, Math.floor(SECONDS / 10)) : SECONDS;
  // The row path writes an hour later, so its rows are new series instants, not replays.
  const t0 = via === 'rows' ? T0 + 3_600_000 : T0;
  bar.start(GPUS * seconds, 0);
  let ms = 0;
  let rows = 0;
  let batch: SampleRow[] = [];
  const w = store.writer('gpu');
  const flush = async (): Promise<void> => {
    // The generator sets the same fields in every row.
    const present = new Set(Object.keys(batch[0] ?? {}).filter((k) => k !== 'ts' && k !== 'source'));
    const cols = via === 'columns' ? rowsToColumns('gpu', batch, present) : undefined;
    const opts = { token: `bench:${via}:${rows}` };
    const t = performance.now();
    const r = cols ? await w.writeColumns(cols, opts) : await w.write(batch, opts);
    ms += performance.now() - t;
    rows += r.written;
    bar.update(rows);
    batch = [];
  };
  for (const row of gpuFleetRows(GPUS, seconds, t0)) {
    batch.push(row);
    if (batch.length === BATCH) await flush();
  }
  if (batch.length) await flush();
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
  const t = performance.now();
  for (let off = 0; off < n; off += step)
    await ceilingInsert(store, table, off, Math.min(step, n - off), opts.t0 ?? T0);
  return { rows: n, ms: performance.now() - t };
}

/**
 * A yardstick statement, with the settings the writer's inserts carry (insertSettings: the rollup
 * views side by side, deduplication on), so the engine is measured at its best, as the writer is.
 */
async function engineInsert(store: Store, query: string, params: Record<string, unknown> = {}): Promise<void> {
  await store.client.command({ query, query_params: params, clickhouse_settings: insertSettings('') });
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
async function sameRowsCeiling(
  store: Store,
  pass: number,
  batchSeconds: number | undefined,
): Promise<{ rows: number; ms: number }> {
  const shifted = (where: string) =>
    // The subquery keeps the WHERE on the stored ts: a REPLACE alias named ts would capture it.
    `INSERT INTO gpu_samples SELECT * REPLACE (ts + toIntervalDay({days:UInt32}) AS ts) FROM (SELECT * FROM writer_rows ${where})`;
  const step = batchSeconds ?? SECONDS;
  const t = performance.now();
  for (let s = 0; s < SECONDS; s += step) {
    await engineInsert(
      store,
      shifted('WHERE ts >= fromUnixTimestamp64Milli({a:Int64}) AND ts < fromUnixTimestamp64Milli({b:Int64})'),
      { days: 10 + pass, a: T0 + s * 1000, b: T0 + Math.min(SECONDS, s + step) * 1000 },
    );
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
    const w = await writerThroughput(store, 'columns');
    const wRows = await writerThroughput(store, 'rows');
    const b = await bytesPerValue(store);
    const codecs = await codecComparison(store);
    // The yardsticks run after the size measurements so their rows do not count in them.
    await store.command('CREATE TABLE writer_rows AS gpu_samples');
    await store.command(
      `INSERT INTO writer_rows SELECT * FROM gpu_samples WHERE ts < fromUnixTimestamp64Milli(${T0 + SECONDS * 1000})`,
    );
    const sameRows = await sameRowsCeiling(store, 0, undefined);
    const sameRowsBatched = await sameRowsCeiling(store, 1, BATCH / GPUS);
    const withViews = await engineCeiling(store, 'gpu_samples');
    // The same rows again, two days later (so no block is a duplicate of the first run's), cut
    // into the writer's batch size: each INSERT pays the rollup views' per-statement cost.
    const withViewsBatched = await engineCeiling(store, 'gpu_samples', { batch: BATCH, t0: T0 + 2 * 86_400_000 });
    await store.command('CREATE TABLE ceiling AS gpu_samples');
    const noViews = await engineCeiling(store, 'ceiling');
    const rate = (x: { rows: number; ms: number }) => (x.rows / x.ms) * 1000;
    const wRate = rate(w);
    console.log('\nIngest, GPU rows/s into gpu_samples (whose 1m and 1h rollup views run on every insert)');
    const share = (x: { rows: number; ms: number }) => `${fmt((wRate / rate(x)) * 100, 1)} %`;
    console.table([
      { path: 'writer, columns: validate + Native encode + insert', 'rows/s': fmt(wRate), target: '' },
      { path: 'writer, row objects (a tenth of the rows)', 'rows/s': fmt(rate(wRows)), target: '' },
      {
        path: "engine INSERT ... SELECT of the writer's own rows, one statement",
        'rows/s': fmt(rate(sameRows)),
        target: 'yardstick',
      },
      {
        path: `engine INSERT ... SELECT of the writer's own rows, ${fmt(BATCH)} a statement`,
        'rows/s': fmt(rate(sameRowsBatched)),
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
      { path: "writer as share of its own rows' one statement", 'rows/s': share(sameRows), target: '>= 80 %' },
      { path: "writer as share of its own rows' same-size statements", 'rows/s': share(sameRowsBatched), target: '' },
      { path: 'writer as share of generated rows, one statement', 'rows/s': share(withViews), target: '' },
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
