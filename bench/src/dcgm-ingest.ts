/**
 * bench/dcgm-ingest: bytes on disk per stored value with the DCGM profiling and NVLink columns filled,
 * on bench:ingest's realistic GPU curves (gpu-curves.ts) plus profiling ratios that follow the load
 * the way DCGM's do (SM active below NVML utilization, tensor activity while a job runs, six
 * significant digits as dcgm-exporter prints them) and NVLink counters that rarely move. Target: at
 * most 1 byte per stored metric value. Yardstick, same run: the same rows without the new columns,
 * in a second table of the same schema.
 *
 *   npx tsc -b && node bench/dist/dcgm-ingest.js [-- --gpus 1000 --seconds 300]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { metricsAddedBy, metricsOf } from '@meridian/catalog';
import { Rng } from '@meridian/sim';
import { openStore, type SampleRow, type Store } from '@meridian/store';
import { gpuFleetRows } from './gpu-curves.js';

const { values: args } = parseArgs({
  options: { gpus: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '300' } },
});
const GPUS = Number(args.gpus);
const SECONDS = Number(args.seconds);
if (!Number.isInteger(GPUS) || GPUS < 1) throw new Error(`--gpus: "${args.gpus}" is not a count`);
if (!Number.isInteger(SECONDS) || SECONDS < 1) throw new Error(`--seconds: "${args.seconds}" is not a count`);
const T0 = Date.UTC(2026, 10, 25);

/** A DCGM ratio as the exporter prints it (6 decimals of 0..1), in percent. */
const ratio = (pct: number): number => Math.round(Math.min(100, Math.max(0, pct)) * 1e4) / 1e4;

/** The bench curves with profiling columns and NVLink counters added. */
function* withProfiling(): Generator<SampleRow> {
  const rng = new Rng(11);
  const nvlink = new Float64Array(GPUS);
  const energy = new Float64Array(GPUS).fill(1e9);
  let g = 0;
  for (const row of gpuFleetRows(GPUS, SECONDS, T0)) {
    const u = Number(row.util_gpu ?? 0);
    const busy = u > 5;
    const jitter = () => (rng.next() - 0.5) * 2;
    if (rng.next() < 0.0002) nvlink[g] = nvlink[g]! + 1;
    energy[g] = energy[g]! + Number(row.power_draw ?? 0);
    yield {
      ...row,
      util_sm_active: ratio(u * 0.82 + jitter()),
      util_sm_occupancy: ratio(u * 0.41 + jitter()),
      util_tensor_active: ratio(busy ? u * 0.55 + jitter() : 0),
      util_fp16_active: ratio(busy ? u * 0.08 + jitter() / 4 : 0),
      util_fp32_active: ratio(busy ? u * 0.12 + jitter() / 4 : 0),
      util_fp64_active: 0,
      util_dram_active: ratio(u * 0.47 + jitter()),
      util_gr_engine_active: ratio(u * 0.98 + jitter() / 2),
      nvlink_tx: busy ? Math.round(u * 4.1e9 * (1 + jitter() / 50)) : 0,
      nvlink_rx: busy ? Math.round(u * 4.0e9 * (1 + jitter() / 50)) : 0,
      nvlink_crc_flit_errors: nvlink[g]!,
      nvlink_crc_data_errors: 0,
      nvlink_replay_errors: nvlink[g]!,
      nvlink_recovery_errors: 0,
      // Joules since boot, to the millijoule DCGM counts in.
      energy_total: Math.round(energy[g]! * 1000) / 1000,
    };
    g = (g + 1) % GPUS;
  }
}

async function write(store: Store, rows: Iterable<SampleRow>, keep: (r: SampleRow) => SampleRow): Promise<number> {
  let batch: SampleRow[] = [];
  let n = 0;
  for (const r of rows) {
    batch.push(keep(r));
    if (batch.length === 100_000) {
      n += (await store.writer('gpu').write(batch)).written;
      batch = [];
    }
  }
  if (batch.length) n += (await store.writer('gpu').write(batch)).written;
  return n;
}

async function sizes(store: Store, names: readonly string[]) {
  await store.command('OPTIMIZE TABLE gpu_samples FINAL');
  const cols = await store.query<{ column: string; b: number }>(
    `SELECT column, sum(column_data_compressed_bytes) AS b FROM system.parts_columns
     WHERE database = currentDatabase() AND table = 'gpu_samples' AND active GROUP BY column`,
  );
  const counts = (
    await store.query<Record<string, number>>(
      `SELECT ${names.map((m) => `count(${m}) AS ${m}`).join(', ')} FROM gpu_samples`,
    )
  )[0];
  const values = names.reduce((s, m) => s + Number(counts?.[m] ?? 0), 0);
  const total = cols.reduce((s, c) => s + Number(c.b), 0);
  return { total, values, cols: new Map(cols.map((c) => [c.column, Number(c.b)])), counts: counts ?? {} };
}

async function measure(label: string, keep: (r: SampleRow) => SampleRow) {
  const dir = mkdtempSync(path.join(tmpdir(), 'meridian-dcgm-ingest-'));
  const store = await openStore({ data: dir });
  try {
    await store.migrate();
    await store.command('ALTER TABLE gpu_samples MODIFY SETTING min_bytes_for_wide_part = 0');
    const rows = await write(store, withProfiling(), keep);
    const s = await sizes(
      store,
      metricsOf('gpu').map((m) => m.name),
    );
    console.log(
      `${label.padEnd(34)} ${rows} rows, ${s.values} values, ${s.total} bytes = ${(s.total / s.values).toFixed(3)} bytes/value`,
    );
    return s;
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const added = new Set([
  ...metricsAddedBy('gpu', '0008_dcgm_profiling').map((m) => m.name),
  'util_sm_active',
  'nvlink_tx',
  'nvlink_rx',
  'energy_total',
]);
console.log(`GPU rows: ${GPUS} GPUs x ${SECONDS} s (bench:ingest curves), gpu_samples after merge`);
const without = (r: SampleRow): SampleRow =>
  Object.fromEntries(Object.entries(r).filter(([k]) => !added.has(k))) as SampleRow;
await measure('yardstick: without DCGM columns', without);
const s = await measure('with DCGM profiling + NVLink', (r) => r);
for (const name of [...added].sort()) {
  const b = s.cols.get(name) ?? 0;
  const inc = s.cols.get(`${name}_inc`) ?? 0;
  const n = Number(s.counts[name] ?? 0);
  console.log(
    `  ${name.padEnd(26)} ${n ? ((b + inc) / n).toFixed(3) : '-'} bytes/value${inc ? ' (with its _inc)' : ''}`,
  );
}
