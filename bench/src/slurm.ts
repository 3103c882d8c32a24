/**
 * bench:slurm — the Slurm observer and a move, on REAL Slurm daemons (Debian's 22.05, started here by
 * startLocalSlurm; installed first when missing and we are root). The GPUs are fake device nodes:
 * this host has none, so GRES allocation is real and the GPUs themselves are simulated.
 *
 * 1. Observer: 2 clusters × 200 nodes × 8 GPUs, 1,000 jobs (some running, most pending). One pass
 *    (squeue + sinfo of both clusters, parsed and turned into rows) beside the yardstick of the same
 *    run: the bare `squeue --json` of both clusters, unparsed. Also a pass that writes to the
 *    embedded store (first: every row; steady: nothing changed). Target: ≤ 1 s per pass.
 * 2. Move: a pending job moved east → west by the mover (the Slurm executor's engine), timed from
 *    the decision to RUNNING on west, beside the yardstick of a bare sbatch on west to RUNNING.
 *    Target: ≤ 5 s.
 *
 *   npm run bench:slurm [-- --nodes 200 --jobs 1000 --running 100 --runs 5 --moves 5]
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  ensureSlurmInstalled,
  inventoryRows,
  parseSlurmJson,
  runSlurm,
  sinfoSchema,
  squeueSchema,
  toSlurmJob,
  workloadRow,
  SlurmMover,
  SlurmObserver,
  startLocalSlurm,
  waitFor,
  type LocalCluster,
  type LocalSlurm,
} from '@meridian/fabric';
import { openStore } from '@meridian/store';

const { values: args } = parseArgs({
  options: {
    nodes: { type: 'string', default: '200' },
    jobs: { type: 'string', default: '1000' },
    running: { type: 'string', default: '100' },
    runs: { type: 'string', default: '5' },
    moves: { type: 'string', default: '5' },
  },
});
const NODES = Number(args.nodes);
const JOBS = Number(args.jobs);
const RUNNING = Number(args.running);
const RUNS = Number(args.runs);
const MOVES = Number(args.moves);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const ms = (x: number) => `${x.toFixed(0)} ms`;

async function sbatch(c: LocalCluster, extra: readonly string[]): Promise<number> {
  const out = await runSlurm(c, 'sbatch', ['--parsable', '--output=/dev/null', `--chdir=${c.dir}`, ...extra]);
  return Number(out.trim().split(';')[0]);
}

/** Runs `n` submissions, `width` at a time. */
async function submitMany(n: number, width: number, one: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) await one(next++);
  };
  await Promise.all(Array.from({ length: width }, worker));
}

function bareSqueue(c: LocalCluster): Promise<number> {
  const t = performance.now();
  return new Promise((resolve, reject) =>
    execFile('squeue', ['--json'], { env: { ...process.env, SLURM_CONF: c.conf }, maxBuffer: 256 << 20 }, (err) =>
      err ? reject(err) : resolve(performance.now() - t),
    ),
  );
}

async function stateOf(c: LocalCluster, id: number): Promise<string> {
  return (await runSlurm(c, 'squeue', ['-h', '-j', String(id), '-o', '%T']).catch(() => '')).trim();
}

async function observerBench(slurm: LocalSlurm): Promise<void> {
  const clusters = [...slurm.clusters.values()];
  const config = { clusters: clusters.map((c) => ({ region: c.cluster, conf: c.conf })), timeoutSeconds: 30 };
  const bare: number[] = [];
  const read: number[] = [];
  const full: number[] = [];
  // The default cadence (sinfo every 4th pass, after the first) and every pass reading both.
  const reader = new SlurmObserver({ config });
  const fullReader = new SlurmObserver({ config: { ...config, nodesEveryPasses: 1 } });
  await reader.read();
  let seen = 0;
  for (let i = 0; i < RUNS; i++) {
    // Yardstick and measurements alternate in the same run, on the same clusters.
    let t = performance.now();
    await Promise.all(clusters.map(bareSqueue));
    bare.push(performance.now() - t);
    t = performance.now();
    const r = await reader.read();
    read.push(performance.now() - t);
    seen = r.reduce((s, c) => s + c.jobs.length, 0);
    t = performance.now();
    await fullReader.read();
    full.push(performance.now() - t);
  }
  // Our own share: parsing and row building on outputs captured once (no processes).
  const raw = await Promise.all(
    clusters.map(async (c) => ({
      c,
      jobs: await runSlurm(c, 'squeue', ['--json'], { timeoutMs: 60_000 }),
      nodes: await runSlurm(c, 'sinfo', ['--json'], { timeoutMs: 60_000 }),
    })),
  );
  const parse: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    for (const r of raw) {
      const jobs = parseSlurmJson(squeueSchema, r.jobs, 'squeue').jobs.map((j) =>
        toSlurmJob(j, r.c.cluster, r.c.cluster),
      );
      jobs.forEach((j) => workloadRow(j, 0));
      parseSlurmJson(sinfoSchema, r.nodes, 'sinfo').nodes.forEach((n) => inventoryRows(n, r.c.cluster, r.c.cluster, 0));
    }
    parse.push(performance.now() - t);
  }
  const bytes = raw.reduce((s, r) => s + r.jobs.length + r.nodes.length, 0);
  const dataDir = mkdtempSync(join(tmpdir(), 'meridian-bench-slurm-store-'));
  const store = await openStore({ data: dataDir });
  await store.migrate();
  const writer = new SlurmObserver({ config, store });
  const first = await writer.pass();
  const steady: number[] = [];
  for (let i = 0; i < RUNS; i++) steady.push((await writer.pass()).durationMs);
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
  const gpus = first.clusters.reduce((s, c) => s + c.gpus, 0);
  console.log(
    `\nobserver: ${clusters.length} clusters × ${NODES} nodes, ${gpus} GPUs, ${seen} jobs seen (median of ${RUNS})`,
  );
  console.log(`  yardstick: bare squeue --json, both clusters at once   ${ms(median(bare))}`);
  console.log(`  observer read, squeue (+ sinfo every 4th pass), parsed ${ms(median(read))}   target ≤ 1000 ms`);
  console.log(`  observer read, squeue + sinfo every pass, parsed       ${ms(median(full))}`);
  console.log(`  of which parsing (zod) and rows, ${(bytes / 1e6).toFixed(1)} MB of JSON    ${ms(median(parse))}`);
  console.log(
    `  observer pass writing the store: first ${ms(first.durationMs)} (${first.written.workloads} workloads, ${first.written.inventory} inventory rows), steady ${ms(median(steady))}`,
  );
}

async function moveBench(slurm: LocalSlurm): Promise<void> {
  const east = slurm.cluster('east');
  const west = slurm.cluster('west');
  const mover = new SlurmMover({
    clusters: [
      { region: 'east', conf: east.conf },
      { region: 'west', conf: west.conf },
    ],
    journalDir: mkdtempSync(join(tmpdir(), 'meridian-bench-slurm-journal-')),
    timeoutMs: 30_000,
  });
  const moves: number[] = [];
  const bare: number[] = [];
  const job = ['--wrap=sleep 120', '--gres=gpu:h100:8', '--time=10'];
  for (let i = 0; i < MOVES; i++) {
    // Pending on east only by its begin time: on west it may start at once.
    const id = await sbatch(east, [...job, '--begin=now+1hour', `--job-name=move-${i}`]);
    const t = performance.now();
    const r = await mover.move({ moveId: `bench-${i}`, workloadId: `east:${id}`, from: 'east', to: 'west' });
    await waitFor(
      async () => (await stateOf(west, r.to.jobId)) === 'RUNNING',
      `moved job ${r.to.jobId} running`,
      60_000,
    );
    moves.push(performance.now() - t);
    const t2 = performance.now();
    const b = await sbatch(west, [...job, `--job-name=bare-${i}`]);
    await waitFor(async () => (await stateOf(west, b)) === 'RUNNING', `bare job ${b} running`, 60_000);
    bare.push(performance.now() - t2);
  }
  console.log(`\nmove of a pending job east → west, decision to RUNNING on west (${MOVES} moves)`);
  console.log(`  yardstick: bare sbatch on west to RUNNING   median ${ms(median(bare))}, max ${ms(Math.max(...bare))}`);
  console.log(
    `  move                                       median ${ms(median(moves))}, max ${ms(Math.max(...moves))}   target ≤ 5000 ms`,
  );
}

async function main(): Promise<void> {
  ensureSlurmInstalled();
  const dir = mkdtempSync(join(tmpdir(), 'meridian-bench-slurm-'));
  const t = performance.now();
  const slurm = await startLocalSlurm(
    dir,
    [
      { name: 'east', nodes: NODES, gpusPerNode: 8, ctldPort: 26_817, nodePortBase: 27_000, firstJobId: 1000 },
      { name: 'west', nodes: NODES, gpusPerNode: 8, ctldPort: 26_827, nodePortBase: 28_000, firstJobId: 500_000 },
    ],
    { readyTimeoutMs: 180_000 },
  );
  const stop = () => slurm.stop();
  process.once('SIGINT', () => void stop().finally(() => process.exit(130)));
  try {
    console.log(
      `2 clusters × ${NODES} nodes × 8 GPUs up in ${ms(performance.now() - t)} (Slurm 22.05, fake GPU device nodes)`,
    );
    const t2 = performance.now();
    const per = Math.floor(JOBS / 2);
    const runPer = Math.floor(RUNNING / 2);
    for (const c of slurm.clusters.values())
      await submitMany(per, 4, (i) =>
        sbatch(
          c,
          i < runPer ? ['--wrap=sleep 600', '--gres=gpu:h100:8'] : ['--wrap=sleep 600', '--gres=gpu:h100:2', '--hold'],
        ),
      );
    await waitFor(
      async () =>
        (await runSlurm(slurm.cluster('east'), 'squeue', ['-h', '-t', 'R', '-o', '%i'])).trim().split('\n').length >=
        runPer,
      'running jobs started',
      120_000,
    );
    console.log(`${per * 2} jobs submitted (${runPer * 2} running, the rest held) in ${ms(performance.now() - t2)}`);
    await observerBench(slurm);
    await moveBench(slurm);
  } finally {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
