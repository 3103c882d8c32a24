/**
 * `meridian up --slurm CONFIG`: the all-in-one driving real Slurm clusters instead of the twin's
 * workloads. The Slurm observer reads every cluster into the store; the scheduler (its API on
 * --port) plans on the store and moves jobs with the Slurm executor. GPU telemetry comes from
 * whatever writes to the same store (`meridian collect` on the nodes); without it a region has no
 * fresh data and nothing moves. CONFIG (YAML):
 *
 *     slurm:                      # the observer's clusters, one per region (fabric's slurm config)
 *       clusters: [{ region: east, conf: /etc/slurm-east/slurm.conf }, …]
 *       intervalSeconds: 15
 *     journalDir: /var/lib/meridian/slurm-moves   # default: <data>/slurm-moves
 *     scheduler: { … }            # scheduler config without `executor` (optional)
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseSlurmConfig, SlurmObserver, type ObserverPass } from '@meridian/fabric';
import { createExecutor, createScheduler, parseConfig, type ConfigInput, type PassReport } from '@meridian/scheduler';
import { openStore } from '@meridian/store';
import { formatDurationS } from '@meridian/sim';
import { stopSwitch, withStoreTarget } from './run-control.js';
import { apiToken, privateRunDir } from './token.js';
import type { UpIO, UpOptions } from './up-types.js';

export interface SlurmUpSummary {
  readonly wallS: number;
  readonly observerPasses: number;
  readonly schedulerPasses: number;
  /** Each executed move: workload, regions, outcome and the executor's note (both job ids). */
  readonly moves: readonly string[];
  readonly apiUrl: string;
}

function readDoc(file: string): { slurm: unknown; journalDir?: string; scheduler?: ConfigInput } {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`--slurm ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (typeof doc !== 'object' || doc === null || !('slurm' in doc))
    throw new Error(`--slurm ${file}: no slurm section (slurm.clusters: one cluster per region)`);
  const d = doc as { slurm: unknown; journalDir?: unknown; scheduler?: unknown };
  if (d.journalDir !== undefined && typeof d.journalDir !== 'string')
    throw new Error(`--slurm ${file}: journalDir: expected a path`);
  if (d.scheduler !== undefined && (typeof d.scheduler !== 'object' || d.scheduler === null))
    throw new Error(`--slurm ${file}: scheduler: expected a mapping`);
  return {
    slurm: d.slurm,
    ...(d.journalDir !== undefined ? { journalDir: d.journalDir } : {}),
    ...(d.scheduler !== undefined ? { scheduler: d.scheduler as ConfigInput } : {}),
  };
}

export async function runUpSlurm(given: UpOptions, configFile: string, io: UpIO): Promise<SlurmUpSummary> {
  const out = (s: string): void => void io.stdout.write(`${s}\n`);
  const log = (s: string): void => void io.stderr.write(`${s}\n`);
  const doc = readDoc(configFile);
  const slurm = parseSlurmConfig(doc.slurm, `--slurm ${configFile}: slurm`);
  const opts = withStoreTarget(given);
  const journalDir =
    doc.journalDir ?? (opts.data ? join(resolve(opts.data), 'slurm-moves') : join(privateRunDir(), 'slurm-moves'));
  const config = parseConfig({
    intervalSeconds: slurm.intervalSeconds,
    ...doc.scheduler,
    executor: { kind: 'slurm', clusters: slurm.clusters, journalDir },
  });
  const store = await openStore(opts.clickhouse ? { clickhouse: opts.clickhouse } : { data: opts.data ?? './data' });
  await store.migrate();
  let observerPasses = 0;
  let lastObs: ObserverPass | null = null;
  const observer = new SlurmObserver({ config: slurm, store, log });
  const moves: string[] = [];
  let schedulerPasses = 0;
  const scheduler = await createScheduler({
    config,
    store,
    executor: await createExecutor(config),
    log,
    onPass: (r: PassReport) => {
      schedulerPasses++;
      for (const e of r.executed) {
        const note = e.outcome.status === 'done' || e.outcome.status === 'started' ? e.outcome.note : undefined;
        const what = e.outcome.status === 'failed' ? `failed: ${e.outcome.error}` : e.outcome.status;
        moves.push(
          `${e.planned.move.workloadId} ${e.planned.move.from} → ${e.planned.move.to}: ${what}${note ? ` (${note})` : ''}`,
        );
        out(`move ${moves[moves.length - 1]}`);
      }
    },
  });
  const token = apiToken(opts.data ? { dataDir: opts.data } : {});
  const api = await scheduler.startApi({
    host: '127.0.0.1',
    port: given.port ?? 8787,
    tokens: [{ name: 'meridian-up', role: 'operator', secret: token.secret }],
  });
  out(`meridian up --slurm: ${slurm.clusters.map((c) => `${c.name ?? c.region} (region ${c.region})`).join(', ')}`);
  out(
    `scheduler API: ${api.url}/api/v1/state (bearer token: ${token.file ?? '$MERIDIAN_API_TOKEN'}); moves journalled in ${journalDir}`,
  );
  const started = performance.now();
  const wallS = (): number => (performance.now() - started) / 1000;
  const control = stopSwitch(io);
  let nextObserve = 0;
  try {
    scheduler.start();
    while (!control.stopping() && (opts.durationS === undefined || wallS() < opts.durationS)) {
      if (performance.now() >= nextObserve) {
        nextObserve = performance.now() + slurm.intervalSeconds * 1000;
        lastObs = await observer.pass().catch((err: unknown) => {
          log(`slurm observer pass failed: ${(err as Error).message}`);
          return lastObs;
        });
        observerPasses++;
        if (lastObs) out(`[${formatDurationS(wallS())}] ${statusLine(lastObs)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    control.release();
    await scheduler.stop();
    await observer.stop();
    await store.close();
    token.dispose();
  }
  out(
    `summary: ${formatDurationS(wallS())}, ${observerPasses} observer passes, ${schedulerPasses} scheduler passes, ${moves.length} moves`,
  );
  return { wallS: wallS(), observerPasses, schedulerPasses, moves, apiUrl: api.url };
}

function statusLine(p: ObserverPass): string {
  return p.clusters
    .map((c) =>
      c.ok
        ? `${c.cluster}: ${c.jobs.filter((j) => j.state === 'running').length} running, ${c.jobs.filter((j) => j.state === 'queued').length} pending, ${c.gpus} GPUs`
        : `${c.cluster}: STALE (${c.error ?? 'no answer'})`,
    )
    .join(' · ');
}
