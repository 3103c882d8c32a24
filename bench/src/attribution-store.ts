/**
 * bench:attribution — how to store GPU → workload attribution, measured: label columns on every GPU
 * sample, or an interval table (`gpu_assignments`) joined at query time. Same data, same engine
 * (embedded chDB), same run: a fleet of --gpus GPUs (8 per host) sampled at 1 Hz for --hours,
 * whose hosts run jobs of 20 min to 3 h with idle gaps between them (seeded, so every run is the
 * same). The samples go into two tables of gpu_samples' shape and sort key: `b_plain` (no labels)
 * and `b_labeled` (namespace, pod, container, workload_id as LowCardinality columns, filled from
 * the same intervals). The intervals go into the real gpu_assignments (migration 0006).
 *
 * The dashboards' questions, each --runs times (median):
 *   now      the GPU table: each GPU's latest sample (last 5 min) and who holds it
 *   hottest  the Overview's "who is on the hottest GPUs": 10 hottest GPUs now and their pods
 *   pod      one pod's GPUs over the whole range, per minute (the link from a GPU to its workload)
 *   ns       GPU-seconds and mean utilization per namespace over the whole range, from the raw
 *            samples and from a 1-minute rollup (what a dashboard over hours reads)
 * plus bytes on disk. Yardstick in the same run: count() over b_plain for the range, the engine's
 * floor for touching every sample once.
 *
 *   npm run bench:attribution [-- --gpus 256 --hours 6 --runs 5]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openStore, OPEN_END_MS, type GpuAssignmentRow, type Store } from '@meridian/store';

const { values: args } = parseArgs({
  options: {
    gpus: { type: 'string', default: '256' },
    hours: { type: 'string', default: '6' },
    runs: { type: 'string', default: '5' },
  },
});
const GPUS = Number(args.gpus);
const HOURS = Number(args.hours);
const RUNS = Math.max(1, Number(args.runs));
if (!Number.isInteger(GPUS) || GPUS < 8 || GPUS % 8 !== 0)
  throw new Error(`--gpus must be a multiple of 8, got "${args.gpus}"`);
if (!(HOURS > 0 && HOURS <= 48)) throw new Error(`--hours must be in (0, 48], got "${args.hours}"`);
const HOSTS = GPUS / 8;
const T0 = Date.UTC(2026, 11, 1);
const T1 = T0 + HOURS * 3_600_000;

/** A small seeded generator (mulberry32), so the data is the same every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMESPACES = ['ml-train', 'ml-eval', 'serving', 'research', 'batch'];
const uuid = (h: number, g: number) => `GPU-${String(h).padStart(4, '0')}-${g}`;

/** Jobs per host: a whole host (8 GPUs) per job, 20 min to 3 h, with 0–20 min idle between them. */
function intervals(): GpuAssignmentRow[] {
  const r = rng(42);
  const rows: GpuAssignmentRow[] = [];
  let job = 0;
  for (let h = 0; h < HOSTS; h++) {
    let t = T0 - Math.floor(r() * 3_600_000);
    while (t < T1) {
      const len = (20 + Math.floor(r() * 160)) * 60_000;
      const ns = NAMESPACES[Math.floor(r() * NAMESPACES.length)]!;
      const name = `job-${job++}`;
      const end = t + len;
      for (let g = 0; g < 8; g++) {
        rows.push({
          ts: t,
          ts_end: end >= T1 ? OPEN_END_MS : end,
          updated: end >= T1 ? t : end,
          source: 'bench',
          region: `r${h % 8}`,
          host: `host-${h}`,
          gpu_uuid: uuid(h, g),
          mig_instance: '',
          device_id: uuid(h, g),
          orchestrator: 'kubernetes',
          namespace: ns,
          pod: `${name}-worker-0`,
          container: 'main',
          workload_id: `${ns}/${name}`,
        });
      }
      t = end + Math.floor(r() * 20 * 60_000);
    }
  }
  return rows;
}

const SAMPLE_COLS = `ts DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)), region LowCardinality(String), host LowCardinality(String),
  gpu_uuid LowCardinality(String), mig_instance LowCardinality(String),
  util_gpu Float32 CODEC(Gorilla, ZSTD(1)), temp_gpu Float32 CODEC(Gorilla, ZSTD(1)),
  power_draw Float32 CODEC(Gorilla, ZSTD(1)), mem_used UInt64 CODEC(T64, ZSTD(1))`;
const LABEL_COLS = `namespace LowCardinality(String) CODEC(ZSTD(1)), pod LowCardinality(String) CODEC(ZSTD(1)),
  container LowCardinality(String) CODEC(ZSTD(1)), workload_id LowCardinality(String) CODEC(ZSTD(1))`;
const KEY = 'ORDER BY (region, host, gpu_uuid, mig_instance, ts) PARTITION BY toDate(ts)';

/** The join every interval query uses: a sample's holder is the latest interval at or before it. */
const JOIN = `ASOF LEFT JOIN (SELECT * FROM gpu_assignments FINAL) AS a
  ON s.host = a.host AND s.gpu_uuid = a.gpu_uuid AND s.mig_instance = a.mig_instance AND s.ts >= a.ts`;
const HELD = `(s.ts < a.ts_end AND a.orchestrator != '')`;

async function seed(store: Store): Promise<{ pod: string }> {
  await store.migrate();
  await store.command(`CREATE TABLE b_plain (${SAMPLE_COLS}) ENGINE = MergeTree ${KEY}`);
  await store.command(`CREATE TABLE b_labeled (${SAMPLE_COLS}, ${LABEL_COLS}) ENGINE = MergeTree ${KEY}`);
  const rows = intervals();
  for (let i = 0; i < rows.length; i += 10_000) await store.insert('gpu_assignments', rows.slice(i, i + 10_000));
  const seconds = HOURS * 3600;
  // One hour at a time keeps chDB's memory bounded.
  for (let hour = 0; hour < HOURS; hour++) {
    await store.command(`INSERT INTO b_plain SELECT
        toDateTime64(${T0 / 1000} + ${hour * 3600} + intDiv(number, ${GPUS}), 3, 'UTC') AS ts,
        concat('r', toString(intDiv(number % ${GPUS}, 8) % 8)), concat('host-', toString(intDiv(number % ${GPUS}, 8))),
        concat('GPU-', leftPad(toString(intDiv(number % ${GPUS}, 8)), 4, '0'), '-', toString(number % 8)), '',
        30 + 60 * abs(sin(number / 9973)), 40 + 40 * abs(sin(number / 7919)), 200 + 400 * abs(sin(number / 6007)), 1e10
      FROM numbers(${Math.min(3600, seconds - hour * 3600) * GPUS})`);
  }
  await store.command(`INSERT INTO b_labeled SELECT s.*,
      if(${HELD}, a.namespace, ''), if(${HELD}, a.pod, ''), if(${HELD}, a.container, ''), if(${HELD}, a.workload_id, '')
    FROM b_plain AS s ${JOIN}`);
  // The 1-minute rollup as the store keeps it (gpu_1m: one row per GPU-minute), without and with labels.
  const minute = `toStartOfMinute(ts) AS ts, count() AS n, sum(util_gpu) AS util_sum`;
  await store.command(`CREATE TABLE b_plain_1m ENGINE = MergeTree ${KEY} AS
    SELECT region, host, gpu_uuid, mig_instance, ${minute} FROM b_plain GROUP BY region, host, gpu_uuid, mig_instance, ts`);
  await store.command(`CREATE TABLE b_labeled_1m ENGINE = MergeTree ORDER BY (region, host, gpu_uuid, mig_instance, namespace, pod, ts) AS
    SELECT region, host, gpu_uuid, mig_instance, namespace, pod, ${minute} FROM b_labeled
    GROUP BY region, host, gpu_uuid, mig_instance, namespace, pod, ts`);
  await store.command('OPTIMIZE TABLE b_plain FINAL');
  await store.command('OPTIMIZE TABLE b_labeled FINAL');
  // The pod of the query "one pod's GPUs": one that ran inside the range.
  const mid = rows.find((r) => r.ts > T0 && r.ts_end < T1) ?? rows[0]!;
  return { pod: mid.pod };
}

interface Case {
  readonly name: string;
  readonly labels: string;
  readonly intervals: string;
}

function cases(pod: string): Case[] {
  const since = `(SELECT max(ts) FROM b_plain) - INTERVAL 5 MINUTE`;
  return [
    {
      name: 'now (GPU table)',
      labels: `SELECT host, gpu_uuid, argMax(util_gpu, ts), argMax(pod, ts), argMax(workload_id, ts)
        FROM b_labeled WHERE ts > ${since} GROUP BY host, gpu_uuid`,
      intervals: `SELECT l.host, l.gpu_uuid, l.util, a.pod, a.workload_id FROM
        (SELECT host, gpu_uuid, mig_instance, argMax(util_gpu, ts) AS util FROM b_plain WHERE ts > ${since}
          GROUP BY host, gpu_uuid, mig_instance) AS l
        LEFT JOIN (SELECT host, gpu_uuid, mig_instance, argMax(pod, ts) AS pod, argMax(workload_id, ts) AS workload_id
          FROM gpu_assignments FINAL WHERE ts_end > now64() AND orchestrator != '' GROUP BY host, gpu_uuid, mig_instance) AS a
        ON l.host = a.host AND l.gpu_uuid = a.gpu_uuid AND l.mig_instance = a.mig_instance`,
    },
    {
      name: 'hottest 10 now (Overview)',
      labels: `SELECT host, gpu_uuid, argMax(temp_gpu, ts) AS t, argMax(pod, ts) FROM b_labeled WHERE ts > ${since}
        GROUP BY host, gpu_uuid ORDER BY t DESC LIMIT 10`,
      intervals: `SELECT l.host, l.gpu_uuid, l.t, a.pod FROM
        (SELECT host, gpu_uuid, mig_instance, argMax(temp_gpu, ts) AS t FROM b_plain WHERE ts > ${since}
          GROUP BY host, gpu_uuid, mig_instance ORDER BY t DESC LIMIT 10) AS l
        LEFT JOIN (SELECT host, gpu_uuid, mig_instance, argMax(pod, ts) AS pod FROM gpu_assignments FINAL
          WHERE ts_end > now64() AND orchestrator != '' GROUP BY host, gpu_uuid, mig_instance) AS a
        ON l.host = a.host AND l.gpu_uuid = a.gpu_uuid AND l.mig_instance = a.mig_instance ORDER BY l.t DESC`,
    },
    {
      name: "one pod's GPUs, per minute",
      labels: `SELECT toStartOfMinute(ts) AS m, avg(util_gpu) FROM b_labeled WHERE pod = '${pod}' GROUP BY m ORDER BY m`,
      intervals: `WITH iv AS (SELECT region, host, gpu_uuid, ts, ts_end FROM gpu_assignments FINAL WHERE pod = '${pod}')
        SELECT toStartOfMinute(s.ts) AS m, avg(s.util_gpu) FROM b_plain AS s
        WHERE (s.region, s.host, s.gpu_uuid) IN (SELECT region, host, gpu_uuid FROM iv)
          AND s.ts >= (SELECT min(ts) FROM iv) AND s.ts < (SELECT max(least(ts_end, now64())) FROM iv)
        GROUP BY m ORDER BY m`,
    },
    {
      name: 'per namespace, whole range',
      labels: `SELECT namespace, count() AS gpu_s, avg(util_gpu) FROM b_labeled GROUP BY namespace ORDER BY namespace`,
      intervals: `SELECT if(${HELD}, a.namespace, '') AS ns, count() AS gpu_s, avg(s.util_gpu) FROM b_plain AS s ${JOIN}
        GROUP BY ns ORDER BY ns`,
    },
    {
      // What a dashboard over hours reads: the 1-minute rollup. Labels need them in the rollup's key
      // (a rebuilt gpu_1m); intervals join the rollup as it is. Buckets are attributed by their
      // start, so a job's first and last minute may land on its neighbour: answers differ slightly.
      name: 'per namespace, 1-min rollup',
      labels: `SELECT namespace, sum(n) AS gpu_s, sum(util_sum) / sum(n) FROM b_labeled_1m GROUP BY namespace ORDER BY namespace`,
      intervals: `SELECT if(${HELD}, a.namespace, '') AS ns, sum(s.n) AS gpu_s, sum(s.util_sum) / sum(s.n) FROM b_plain_1m AS s ${JOIN}
        GROUP BY ns ORDER BY ns`,
    },
  ];
}

async function timed(store: Store, sql: string): Promise<{ ms: number; result: string }> {
  const times: number[] = [];
  let result = '';
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const rows = await store.query<Record<string, unknown>>(sql);
    times.push(performance.now() - t0);
    result = JSON.stringify(rows.map((r) => Object.values(r)));
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor((times.length - 1) / 2)]!, result };
}

async function bytes(store: Store, tables: string[]): Promise<number> {
  const r = await store.query<{ b: string }>(
    `SELECT sum(data_compressed_bytes) AS b FROM system.parts WHERE active AND database = currentDatabase() AND table IN (${tables
      .map((t) => `'${t}'`)
      .join(', ')})`,
  );
  return Number(r[0]?.b ?? 0);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'meridian-bench-attrib-'));
  const store = await openStore({ data: path.join(dir, 'data') });
  try {
    const t0 = performance.now();
    const { pod } = await seed(store);
    const samples = GPUS * HOURS * 3600;
    const n = await store.query<{ n: string }>('SELECT count() AS n FROM gpu_assignments FINAL');
    console.log(
      `bench:attribution: ${GPUS} GPUs (${HOSTS} hosts) at 1 Hz for ${HOURS} h = ${(samples / 1e6).toFixed(1)} M samples, ` +
        `${n[0]?.n} intervals; seeded in ${((performance.now() - t0) / 1000).toFixed(0)} s; median of ${RUNS} runs (embedded chDB)`,
    );
    const floor = await timed(store, 'SELECT count() FROM b_plain');
    console.log(`yardstick: count() over every sample: ${floor.ms.toFixed(1)} ms`);
    console.log('query                          labels (ms)   intervals (ms)   same answer');
    for (const c of cases(pod)) {
      const l = await timed(store, c.labels);
      const i = await timed(store, c.intervals);
      const same = sortedRows(l.result) === sortedRows(i.result);
      // On a rollup, a bucket goes to the job holding the GPU at its start: the edges of a job differ.
      const note = same ? 'yes' : c.name.includes('rollup') ? 'no: a minute per job edge' : 'NO';
      console.log(`${c.name.padEnd(30)} ${l.ms.toFixed(1).padStart(11)} ${i.ms.toFixed(1).padStart(16)}   ${note}`);
    }
    const rollup = await bytes(store, ['b_plain_1m']);
    const rollupLabeled = await bytes(store, ['b_labeled_1m']);
    console.log(
      `1-minute rollup on disk: with labels in its key ${(rollupLabeled / 1e6).toFixed(2)} MB, without ${(rollup / 1e6).toFixed(2)} MB ` +
        `(+${(((rollupLabeled - rollup) / rollup) * 100).toFixed(1)} %)`,
    );
    const plain = await bytes(store, ['b_plain']);
    const labeled = await bytes(store, ['b_labeled']);
    const iv = await bytes(store, ['gpu_assignments']);
    console.log(
      `on disk: labels ${(labeled / 1e6).toFixed(2)} MB (+${(((labeled - plain) / plain) * 100).toFixed(1)} % over the samples alone); ` +
        `intervals ${(plain / 1e6).toFixed(2)} MB + ${(iv / 1e3).toFixed(1)} kB (+${((iv / plain) * 100).toFixed(2)} %)`,
    );
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Answers compared as sets of rows, numbers rounded (float sums differ in the last digits by order). */
function sortedRows(json: string): string {
  const rows = JSON.parse(json) as unknown[][];
  return JSON.stringify(
    rows.map((r) => JSON.stringify(r.map((v) => (typeof v === 'number' ? Number(v.toPrecision(6)) : v)))).sort(),
  );
}

await main();
