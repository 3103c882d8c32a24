/**
 * `meridian up`: the all-in-one on the embedded store. Migrations, then the twin stepping in
 * (scaled) real time, its telemetry through the collector's pipeline and store sink, a planner pass
 * every 30 simulated seconds with its moves executed by the twin, a live status view, an HTTP API,
 * and a summary at the end.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { createLogUpdate } from 'log-update';
import { createPipeline, createStoreSink } from '@meridian/collector';
import { createScheduler, type RunningApi, type Scheduler } from '@meridian/scheduler';
import { openStore, StoreLockedError, type SampleRow, type Store } from '@meridian/store';
import { startStatusApi, type StatusApi } from './api.js';
import { runUpReal } from './up-real.js';
import type { UpIO, UpOptions } from './up-types.js';
import { formatDurationS, parseDurationS } from './duration.js';
import { InterimPlanner } from './planner.js';
import { TwinRunner } from './runner.js';
import { scenarioLabel } from './scenario.js';
import { linkStatus, regionStatus, renderStatus, renderStatusLine, type StatusSnapshot } from './status.js';
import { Twin, type TwinStats } from './twin.js';

export type { UpIO, UpOptions } from './up-types.js';

export interface UpSummary {
  readonly scenario: string;
  readonly simS: number;
  readonly wallS: number;
  readonly rows: { gpu: number; host: number; link: number; aux: number };
  readonly rowsWritten: number;
  readonly decisions: number;
  readonly stats: TwinStats;
  /** The scheduler API ('' with the interim planner). */
  readonly apiUrl: string;
  readonly statusUrl: string;
  /** Where the operator bearer token for the scheduler API is (never printed itself). */
  readonly tokenFile: string | undefined;
  readonly store: string;
}

/** Statuses refresh this often on a terminal; plain lines are rarer so logs stay readable. */
const TTY_REFRESH_MS = 500;
const PLAIN_EVERY_MS = 5000;

export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description(
      'Run the all-in-one: the fabric twin, the collector pipeline, the scheduler and its API, on the embedded store',
    )
    .option(
      '--scenario <name|file>',
      'shipped scenario (default, large, cooling-loss, link-degradation, link-cut, host-failure, arrival-surge, trace) or a YAML file',
      'default',
    )
    .option('--speed <n>', 'simulated seconds per wall second', parseSpeed, 1)
    .option('--duration <d>', 'stop by itself after this much wall time (e.g. 30s, 5m)', parseDurationOpt)
    .option('--data <dir>', 'embedded store directory (default $MERIDIAN_DATA or ./data)')
    .option('--clickhouse <url>', 'write to a ClickHouse server instead of the embedded store')
    .option('--seed <n>', "override the scenario's seed", parseSeed)
    .option('--port <n>', "the scheduler's HTTP API port on 127.0.0.1 (0: any free port)", parsePort, 8787)
    .option('--status-port <n>', "the twin's read-only status API port (default: --port + 1)", parsePort)
    .addOption(
      new Option('--planner <kind>', 'who plans the moves').choices(['scheduler', 'interim']).default('scheduler'),
    )
    .option('--real', 'run the real collector for this host instead of the twin', false)
    .action(
      async (o: {
        scenario: string;
        speed: number;
        duration?: number;
        data?: string;
        clickhouse?: string;
        seed?: number;
        port: number;
        statusPort?: number;
        planner: 'scheduler' | 'interim';
        real: boolean;
      }) => {
        const chosen = {
          scenario: o.scenario,
          speed: o.speed,
          ...(o.duration !== undefined ? { durationS: o.duration } : {}),
          ...(o.data ? { data: o.data } : {}),
          ...(o.clickhouse ? { clickhouse: o.clickhouse } : {}),
          ...(o.seed !== undefined ? { seed: o.seed } : {}),
          port: o.port,
          ...(o.statusPort !== undefined ? { statusPort: o.statusPort } : {}),
          planner: o.planner,
          real: o.real,
        };
        const io = { stdout: process.stdout, stderr: process.stderr };
        if (o.real) await runUpReal(chosen, io);
        else await runUp(chosen, io);
      },
    );
}

function parseSpeed(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > 10000)
    throw new InvalidArgumentError('--speed must be a number above 0 and at most 10000');
  return n;
}
function parseDurationOpt(v: string): number {
  try {
    const s = parseDurationS(v, '--duration');
    if (s <= 0) throw new Error('--duration must be above 0');
    return s;
  } catch (err) {
    throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
  }
}
function parseSeed(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 2 ** 32 - 1)
    throw new InvalidArgumentError('--seed must be an integer 0..4294967295');
  return n;
}
function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('--port must be an integer 0..65535');
  return n;
}

export async function runUp(opts: UpOptions, io: UpIO): Promise<UpSummary> {
  const out = (s: string): void => void io.stdout.write(`${s}\n`);
  if (opts.real) throw new Error('runUp runs the twin; --real is runUpReal');
  const speed = opts.speed ?? 1;
  const twin = new Twin(opts.scenario ?? 'default', opts.seed !== undefined ? { seed: opts.seed } : {});

  let store: Store;
  try {
    store = await openStore(opts.clickhouse ? { clickhouse: opts.clickhouse } : opts.data ? { data: opts.data } : {});
  } catch (err) {
    if (err instanceof StoreLockedError) throw new Error(`${err.message}`, { cause: err });
    throw err;
  }
  const where = opts.clickhouse
    ? `ClickHouse ${opts.clickhouse}`
    : `embedded store in ${opts.data ?? process.env.MERIDIAN_DATA ?? './data'}`;
  const migration = await store.migrate();

  const sink = createStoreSink({ store });
  // 5 s batches: each insert costs the embedded store ~0.25 s whatever its size (its rollup views and
  // dedup), so few big inserts keep up where many small ones fall behind (measured; see sim/README.md).
  const pipeline = createPipeline({ sink, maxRows: 50_000, flushIntervalMs: 5000, collectorId: 'sim' });
  const alerts: string[] = [];
  let scheduler: Scheduler | undefined;
  let runner: TwinRunner;
  if ((opts.planner ?? 'scheduler') === 'scheduler') {
    const sched = await createScheduler({
      store,
      executor: twin.executor(),
      // The scheduler lives in simulated time: its windows, cooldowns and timestamps follow the twin.
      clock: () => twin.nowMs,
      config: { store: { source: 'sim' } },
      log: (line) => alerts.push(`scheduler: ${line}`),
    });
    scheduler = sched;
    runner = new TwinRunner(twin, pipeline, {
      externalPass: async () => {
        // The scheduler reads the store: make sure it holds everything up to now first.
        await pipeline.flush();
        await sink.drained();
        return (await sched.runPass()).decisions;
      },
      externalMode: 'background',
    });
  } else {
    runner = new TwinRunner(twin, pipeline, { planner: new InterimPlanner() });
  }
  runner.writeStatic();

  const started = performance.now();
  const wallS = (): number => (performance.now() - started) / 1000;
  let lastLinks: SampleRow[] = [];
  const rate = { at: started, rows: 0, perS: 0 };
  const snapshot = (): StatusSnapshot => {
    const written = sink.stats().rowsWritten;
    const t = performance.now();
    if (t - rate.at >= 5000 || (rate.perS === 0 && t - rate.at >= 1000)) {
      rate.perS = ((written - rate.rows) * 1000) / (t - rate.at);
      rate.at = t;
      rate.rows = written;
    }
    let running = 0;
    let queued = 0;
    for (const w of twin.workloads) {
      if (w.state === 'running' || w.state === 'migrating') running++;
      else if (w.state === 'queued') queued++;
    }
    return {
      scenario: scenarioLabel(twin.scenario),
      simTimeS: twin.timeS,
      simNow: new Date(twin.nowMs).toISOString().slice(0, 19) + 'Z',
      speed,
      achievedSpeed: twin.timeS / Math.max(1e-3, wallS()),
      wallS: wallS(),
      rowsIngested: written,
      rowsPerS: rate.perS,
      regions: regionStatus(twin),
      links: linkStatus(twin, lastLinks),
      decisions: runner.decisions
        .slice(-5)
        .map((d) => `${d.action} ${d.workload_id} ${d.region_from}→${d.region_to || '—'}: ${d.reason} [${d.outcome}]`),
      alerts: [
        ...(scheduler?.alerts() ?? []).map((a) => `FIRING ${a.labels.alertname}: ${a.summary}`),
        ...alerts.slice(-5),
      ].slice(0, 8),
      running,
      queued,
      planner: scheduler
        ? `@meridian/scheduler: ${runner.passes} passes, last ${Math.round(runner.lastPassMs)} ms` +
          (runner.passesSkipped ? `, ${runner.passesSkipped} skipped (previous still running)` : '') +
          (runner.passErrors ? `, ${runner.passErrors} failed: ${runner.lastPassError}` : '')
        : 'interim threshold planner (--planner interim)',
    };
  };

  const port = opts.port ?? 8787;
  const statusPort = opts.statusPort ?? (port === 0 ? 0 : port + 1);
  let api: StatusApi | undefined;
  let schedApi: RunningApi | undefined;
  let token: { secret: string; file: string | undefined } | undefined;
  try {
    api = await startStatusApi(statusPort, snapshot, () => runner.decisions);
    if (scheduler) {
      token = apiToken(opts.clickhouse ? undefined : resolve(opts.data ?? process.env.MERIDIAN_DATA ?? './data'));
      schedApi = await scheduler.startApi({
        host: '127.0.0.1',
        port,
        tokens: [{ name: 'meridian-up', role: 'operator', secret: token.secret }],
      });
    }
  } catch (err) {
    await api?.close();
    await scheduler?.stop();
    await pipeline.close({ deadlineMs: 1000 });
    await store.close();
    throw new Error(
      `cannot start the HTTP APIs on 127.0.0.1 (${err instanceof Error ? err.message : String(err)}); pass --port / --status-port`,
      { cause: err },
    );
  }

  out(
    `meridian up: scenario ${scenarioLabel(twin.scenario)} (${twin.fabric.gpuCount} GPUs, ${twin.fabric.regions.length} regions, ${twin.fabric.links.length} links), seed ${twin.seed}, speed ${speed}×`,
  );
  out(`store: ${where} (migrations applied: ${migration.applied.length}, already there: ${migration.skipped.length})`);
  if (schedApi) {
    out(
      `scheduler API: ${schedApi.url}/api/v1/state · /api/v1/decisions · /api/v1/plan · /openapi.json (bearer token, operator role: ${token?.file ?? '$MERIDIAN_API_TOKEN'})`,
    );
  } else {
    out('scheduler: the interim planner (--planner interim); no scheduler API');
  }
  out(`twin status: ${api.url}/api/status · ${api.url}/api/decisions · ${api.url}/healthz`);
  out(grafanaHint(opts));
  out(
    opts.durationS
      ? `stops by itself after ${formatDurationS(opts.durationS)} of wall time; Ctrl-C stops sooner`
      : 'Ctrl-C stops it',
  );
  out('');

  let stopping = false;
  const stop = (): void => {
    stopping = true;
  };
  const handle = io.handleSignals ?? true;
  if (handle) {
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
  io.signal?.addEventListener('abort', stop, { once: true });

  const tty = io.stdout.isTTY === true;
  const live = tty ? createLogUpdate(io.stdout as NodeJS.WriteStream) : undefined;
  let lastRender = 0;
  let failure: unknown;
  // Wall time of the run itself, without the final flush and close.
  let runWallS: number;
  try {
    while (!stopping) {
      const w = wallS();
      if (opts.durationS !== undefined && w >= opts.durationS) break;
      const target = w * speed;
      let steps = 0;
      while (!stopping && twin.timeS + twin.tickS <= target + 1e-9) {
        const o = await runner.tick();
        lastLinks = o.link;
        for (const n of o.notes) alerts.push(`t+${formatDurationS(twin.timeS)} ${n}`);
        // Yield now and then so the API, signals and the sink's writes keep moving at high speeds.
        if (++steps % 20 === 0) await new Promise<void>((r) => setImmediate(r));
        if (opts.durationS !== undefined && wallS() >= opts.durationS) break;
      }
      const now = performance.now();
      if (live && now - lastRender >= TTY_REFRESH_MS) {
        live(renderStatus(snapshot()));
        lastRender = now;
      } else if (!live && now - lastRender >= PLAIN_EVERY_MS) {
        out(renderStatusLine(snapshot()));
        lastRender = now;
      }
      const untilNextTick = ((twin.timeS + twin.tickS) / speed - wallS()) * 1000;
      await new Promise<void>((r) => setTimeout(r, Math.max(5, Math.min(100, untilNextTick))));
    }
  } catch (err) {
    failure = err;
  } finally {
    runWallS = wallS();
    if (handle) {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    if (live) {
      live(renderStatus(snapshot()));
      live.done();
    }
    await pipeline.flush().catch(() => undefined);
    await Promise.race([sink.drained(), new Promise((r) => setTimeout(r, 15_000))]);
    await runner.settle();
    await scheduler?.stop();
    await pipeline.close({ deadlineMs: 2000 });
    await api.close();
    await store.close();
  }
  if (failure) throw failure;

  const summary: UpSummary = {
    scenario: scenarioLabel(twin.scenario),
    simS: twin.timeS,
    wallS: runWallS,
    rows: { ...runner.rows },
    rowsWritten: sink.stats().rowsWritten,
    decisions: runner.decisions.length,
    stats: { ...twin.stats },
    apiUrl: schedApi?.url ?? '',
    statusUrl: api.url,
    tokenFile: token?.file,
    store: where,
  };
  out('');
  out(renderSummary(summary));
  return summary;
}

/**
 * The operator token for the scheduler API: $MERIDIAN_API_TOKEN, or a fresh random one written to a
 * 0600 file beside the data (never printed: the terminal and its logs are not a secret store).
 */
function apiToken(dataDir: string | undefined): { secret: string; file: string | undefined } {
  const env = process.env.MERIDIAN_API_TOKEN;
  if (env) return { secret: env, file: undefined };
  const secret = randomBytes(24).toString('base64url');
  const file = dataDir ? join(dataDir, 'api-token') : join(tmpdir(), `meridian-api-token-${process.pid}`);
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return { secret, file };
}

function grafanaHint(opts: UpOptions): string {
  if (opts.clickhouse) {
    return `Grafana: add a ClickHouse data source for ${opts.clickhouse} (HTTP protocol, database meridian), then enable the meridian-fabric-app plugin and pick that data source on its configuration page.`;
  }
  return (
    'Grafana: the embedded store is inside this process, so Grafana cannot query it directly. To watch it live, run ' +
    '`npx meridian up --clickhouse http://<host>:8123` against a ClickHouse server and add a ClickHouse data source ' +
    '(HTTP, database meridian) for the meridian-fabric-app plugin. Until then: `npx meridian sql "…" --data <dir>` after this stops.'
  );
}

export function renderSummary(s: UpSummary): string {
  const st = s.stats;
  const total = s.rows.gpu + s.rows.host + s.rows.link;
  return [
    `summary: ${s.scenario} ran ${formatDurationS(s.simS)} simulated in ${formatDurationS(s.wallS)} of wall time (${(s.simS / Math.max(1e-3, s.wallS)).toFixed(2)}×)`,
    `  rows: ${total.toLocaleString('en-US')} telemetry (gpu ${s.rows.gpu}, host ${s.rows.host}, link ${s.rows.link}) + ${s.rows.aux} topology/inventory/workload/decision rows; ${s.rowsWritten.toLocaleString('en-US')} written to the store`,
    `  workloads: ${st.arrived} arrived, ${st.started} started, ${st.completed} completed, ${st.failed} failed with their host`,
    `  scheduler: ${s.decisions} decisions, ${st.moves} moves (${st.movesFailed} refused), ${(st.bytesMoved / 2 ** 30).toFixed(0)} GiB moved across regions`,
    `  inference SLO violation: ${formatDurationS(st.sloViolationS)} (summed over services)`,
    `  store: ${s.store}`,
  ].join('\n');
}
