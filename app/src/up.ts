/**
 * `meridian up`: the all-in-one on the embedded store. Migrations, then the twin stepping in
 * (scaled) real time, its telemetry through the collector's pipeline and store sink, a pass of
 * @meridian/scheduler every 30 simulated seconds with its moves executed by the twin, a live status
 * view, the scheduler's API and a read-only status endpoint, and a summary at the end.
 */
import { createLogUpdate } from 'log-update';
import { createPipeline, createStoreSink, type Pipeline, type SpooledStoreSink } from '@meridian/collector';
import { createScheduler, type RunningApi, type Scheduler } from '@meridian/scheduler';
import {
  formatDurationS,
  loadScenario,
  scenarioLabel,
  Twin,
  TwinRunner,
  twinBatchRows,
  whatIfEngine,
  type Scenario,
} from '@meridian/sim';
import { openStore, StoreLockedError, type SampleRow, type Store } from '@meridian/store';
import { serveEmbedded, type ServedStore } from './serve.js';
import { startStatusApi, type StatusApi } from './status-api.js';
import { linkStatus, regionStatus, renderStatus, renderStatusLine, type StatusSnapshot } from './status.js';
import { decisionInWords, grafanaHint, lastDecisionInWords, renderSummary, type UpSummary } from './summary.js';
import { apiToken, type ApiToken } from './token.js';
import { stopSwitch, withStoreTarget } from './run-control.js';
import type { UpIO, UpOptions } from './up-types.js';
import { WriteHealth } from './write-health.js';

export { registerUpCommand } from './cli.js';
export { renderSummary } from './summary.js';
export type { UpSummary } from './summary.js';
export type { UpIO, UpOptions } from './up-types.js';

/** Statuses refresh this often on a terminal; plain lines are rarer so logs stay readable. */
const TTY_REFRESH_MS = 500;
const PLAIN_EVERY_MS = 5000;
/** How long the end waits for the store to take the last rows (a healthy store needs ~1 s). */
const FINAL_DRAIN_MS = 15_000;

/**
 * The scheduler as `up` runs it on the twin. Load and throttling must persist one pass (30 s)
 * instead of the service default of 120 s, so that the first two minutes of a demo show the
 * scheduler notice, decide and move; `meridian schedule` keeps the defaults.
 */
const UP_SCHEDULER_CONFIG = {
  store: { source: 'sim' },
  load: { persistSeconds: 30 },
  throttle: { persistSeconds: 30 },
} as const;

interface Wiring {
  readonly twin: Twin;
  readonly store: Store;
  readonly where: string;
  readonly migration: { applied: readonly unknown[]; skipped: readonly unknown[] };
  readonly sink: SpooledStoreSink;
  readonly pipeline: Pipeline;
  readonly scheduler: Scheduler;
  readonly runner: TwinRunner;
  readonly health: WriteHealth;
  readonly alerts: string[];
  /** Set when the twin continues after the stored clock of an earlier run. */
  readonly resumedFrom: number | undefined;
}

/**
 * The twin's t=0: the scenario's own start (or this minute), unless the store already holds twin
 * samples from later (an earlier `up` on this directory ran ahead of the wall clock at speed > 1):
 * then it continues after them, so no (ts, GPU) sample is written twice.
 */
async function startAfterStored(store: Store, scenario: Scenario): Promise<{ startMs: number; resumed: boolean }> {
  const own = scenario.start ? Date.parse(scenario.start) : Math.floor(Date.now() / 60_000) * 60_000;
  const [r] = await store.query<{ ms: string | number }>(
    "SELECT toUnixTimestamp64Milli(max(ts)) AS ms FROM gpu_samples WHERE source = 'sim'",
  );
  const stored = Number(r?.ms ?? 0);
  // The first tick's rows are at start + tick, so starting at the stored maximum never repeats it.
  return stored >= own ? { startMs: stored, resumed: true } : { startMs: own, resumed: false };
}

async function wire(opts: UpOptions, io: UpIO, log: (line: string) => void): Promise<Wiring> {
  // The scenario first: a bad name fails before any store is opened.
  const scenario = loadScenario(opts.scenario ?? 'default');
  let store: Store;
  try {
    store = await openStore(opts.clickhouse ? { clickhouse: opts.clickhouse } : { data: opts.data ?? './data' });
  } catch (err) {
    if (err instanceof StoreLockedError) throw new Error(`${err.message}`, { cause: err });
    throw err;
  }
  // Named by the store itself, so what is printed is what is written to.
  const where = store.description;
  try {
    const migration = await store.migrate();
    const start = await startAfterStored(store, scenario);
    const twin = new Twin(scenario, {
      startMs: start.startMs,
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    });
    const health = new WriteHealth(log);
    const sink = createStoreSink({
      store: io.sinkTarget ? io.sinkTarget(store) : store,
      onWriteError: (err) => health.failed(err),
      onWritten: () => health.written(),
    });
    // A batch is cut at TWIN_BATCH_S simulated seconds of gpu samples (twinBatchRows: few big
    // inserts keep up where many small ones fall behind, see its comment), or after 5 wall seconds,
    // so that at low speeds the dashboards need not wait for a whole batch; the scheduler's pass
    // flushes too, every 30 simulated seconds.
    const pipeline = createPipeline({ sink, maxRows: twinBatchRows(twin), flushIntervalMs: 5000, collectorId: 'sim' });
    const alerts: string[] = [];
    const scheduler = await createScheduler({
      store,
      executor: twin.executor(),
      // The scheduler lives in simulated time: its windows, cooldowns and timestamps follow the twin.
      clock: () => twin.nowMs,
      config: UP_SCHEDULER_CONFIG,
      log: (line) => alerts.push(`scheduler: ${line}`),
      // POST /api/v1/whatif: the twin's engine, injected (the scheduler never imports the twin).
      whatIf: whatIfEngine,
    });
    const runner = new TwinRunner(twin, pipeline, {
      externalPass: async () => {
        // The scheduler reads the store: it must hold everything up to now first. While writes fail
        // the store will not catch up, so the pass is skipped (and counted) instead of waiting.
        await pipeline.flush();
        await health.race(sink.drained());
        return (await scheduler.runPass()).decisions;
      },
      externalMode: 'background',
    });
    return {
      twin,
      store,
      where,
      migration,
      sink,
      pipeline,
      scheduler,
      runner,
      health,
      alerts,
      resumedFrom: start.resumed ? start.startMs : undefined,
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}

function snapshotter(w: Wiring, speed: number, wallS: () => number, lastLinks: () => SampleRow[]) {
  const { twin, sink, runner, scheduler, alerts, health } = w;
  const rate = { at: performance.now(), rows: 0, perS: 0 };
  return (): StatusSnapshot => {
    const written = sink.stats().rowsWritten;
    const t = performance.now();
    if (t - rate.at >= 5000 || (rate.perS === 0 && t - rate.at >= 1000)) {
      rate.perS = ((written - rate.rows) * 1000) / (t - rate.at);
      rate.at = t;
      rate.rows = written;
    }
    let running = 0;
    let queued = 0;
    for (const wl of twin.workloads) {
      if (wl.state === 'running' || wl.state === 'migrating') running++;
      else if (wl.state === 'queued') queued++;
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
      links: linkStatus(twin, lastLinks()),
      decisions: runner.decisions.slice(-5).map(decisionInWords),
      lastDecision: lastDecisionInWords(runner.decisions),
      degraded: health.degraded(),
      alerts: [
        ...scheduler.alerts().map((a) => `FIRING ${a.labels.alertname}: ${a.summary}`),
        ...alerts.slice(-5),
      ].slice(0, 8),
      running,
      queued,
      planner:
        `@meridian/scheduler: ${runner.passes} passes, last ${Math.round(runner.lastPassMs)} ms` +
        (runner.passesSkipped ? `, ${runner.passesSkipped} skipped (previous still running)` : '') +
        (runner.passErrors ? `, ${runner.passErrors} failed: ${runner.lastPassError}` : ''),
    };
  };
}

/**
 * Batches the sink may hold before the twin waits for the store: the one being written and the
 * next. A twin that outran the store would otherwise fill the memory spool to its bound, where the
 * oldest batches are dropped; waiting, it runs at the store's pace and the status shows the speed
 * it achieved. While writes fail it runs on, as before: the rows wait in memory and the summary
 * counts what is lost.
 */
const UP_BACKLOG_BATCHES = 2;

async function keepPaceWithStore(w: Wiring): Promise<void> {
  if (w.sink.spool.entries().length <= UP_BACKLOG_BATCHES || w.health.degraded() !== undefined) return;
  // Ends early when a write fails (or at shutdown, which aborts every wait on the store).
  await w.health.race(w.sink.backlog(UP_BACKLOG_BATCHES)).catch(() => undefined);
}

/** Waits for `p`, at most `ms`; whatever it does later is of no interest (it is shutting down). */
async function atMost(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    p.catch(() => undefined),
    new Promise<void>((r) => {
      timer = setTimeout(r, ms);
    }),
  ]);
  clearTimeout(timer);
}

/** Flushes what it can and closes everything, in bounded time even when the store cannot write. */
async function shutdown(
  w: Wiring,
  api: StatusApi | undefined,
  token: ApiToken | undefined,
  http?: ServedStore,
): Promise<void> {
  await w.pipeline.flush().catch(() => undefined);
  // A healthy store takes the last rows in a second or two; a failing one ends the wait at its next
  // failed write (the sink retries with backoff, so that comes within its 30 s cap or at close).
  await atMost(w.health.race(w.sink.drained()), FINAL_DRAIN_MS);
  // A pass still waiting for the store stops waiting now.
  w.health.abort('stopping');
  await atMost(w.runner.settle(), FINAL_DRAIN_MS);
  await w.scheduler.stop();
  await w.pipeline.close({ deadlineMs: 2000 });
  await api?.close();
  // The endpoint's sessions go before the store's own connection.
  await http?.close();
  await w.store.close();
  token?.dispose();
}

/** The start-up lines: what runs, where the store is, where the APIs listen, how it stops. */
function printBanner(
  out: (s: string) => void,
  opts: UpOptions,
  w: Wiring,
  speed: number,
  schedUrl: string,
  statusUrl: string,
  token: ApiToken,
  http: ServedStore | undefined,
): void {
  const { twin } = w;
  out(
    `meridian up: scenario ${scenarioLabel(twin.scenario)} (${twin.fabric.gpuCount} GPUs, ${twin.fabric.regions.length} regions, ${twin.fabric.links.length} links), seed ${twin.seed}, speed ${speed}×`,
  );
  out(
    `store: ${w.where} (migrations applied: ${w.migration.applied.length}, already there: ${w.migration.skipped.length})`,
  );
  if (w.resumedFrom !== undefined) {
    out(
      `twin clock: continues after the stored samples of an earlier run, from ${new Date(w.resumedFrom).toISOString()}`,
    );
  }
  out(
    `scheduler API: ${schedUrl}/api/v1/state · /api/v1/decisions · /api/v1/plan · /openapi.json (bearer token, operator role: ${token.file ?? '$MERIDIAN_API_TOKEN'})`,
  );
  out(`status: ${statusUrl}/healthz · ${statusUrl}/api/status · ${statusUrl}/api/decisions`);
  if (http) out(http.banner);
  out(grafanaHint(opts.clickhouse, http?.server.url));
  out(
    opts.durationS
      ? `stops by itself after ${formatDurationS(opts.durationS)} of wall time; Ctrl-C stops sooner`
      : 'Ctrl-C stops it',
  );
}

export async function runUp(given: UpOptions, io: UpIO): Promise<UpSummary> {
  const opts = withStoreTarget(given);
  const out = (s: string): void => void io.stdout.write(`${s}\n`);
  if (opts.real) throw new Error('runUp runs the twin; --real is runUpReal');
  const speed = opts.speed ?? 1;
  const w = await wire(opts, io, (line) => out(line));
  const { twin, runner, sink, health } = w;
  runner.writeStatic();

  const started = performance.now();
  const wallS = (): number => (performance.now() - started) / 1000;
  let lastLinks: SampleRow[] = [];
  const snapshot = snapshotter(w, speed, wallS, () => lastLinks);

  const port = opts.port ?? 8787;
  const statusPort = opts.statusPort ?? (port === 0 ? 0 : port + 1);
  let api: StatusApi | undefined;
  let schedApi: RunningApi;
  let token: ApiToken | undefined;
  let http: ServedStore | undefined;
  try {
    api = await startStatusApi(statusPort, {
      snapshot,
      decisions: () => runner.decisions,
      degraded: () => health.degraded(),
    });
    // withStoreTarget left exactly one target: a data directory for the embedded store, none for a server.
    token = apiToken(opts.data ? { dataDir: opts.data } : {});
    schedApi = await w.scheduler.startApi({
      host: '127.0.0.1',
      port,
      tokens: [{ name: 'meridian-up', role: 'operator', secret: token.secret }],
    });
    // The embedded store is inside this process: serve ClickHouse's HTTP interface so Grafana can read it.
    if (opts.data)
      http = await serveEmbedded(opts.data, {
        port: opts.httpPort ?? (port === 0 ? 0 : undefined),
        ...(opts.tls ? { tls: opts.tls } : {}),
      });
  } catch (err) {
    await shutdown(w, api, token, http);
    throw new Error(
      `cannot start the HTTP APIs on 127.0.0.1 (${err instanceof Error ? err.message : String(err)}); pass --port / --status-port`,
      { cause: err },
    );
  }

  printBanner(out, opts, w, speed, schedApi.url, api.url, token, http);
  out('');

  // A stop ends a wait for the store at once (keepPaceWithStore, a pass waiting to read).
  const control = stopSwitch(io, () => w.health.abort('stopping'));

  const live = io.stdout.isTTY === true ? createLogUpdate(io.stdout as NodeJS.WriteStream) : undefined;
  const timeUp = (): boolean => opts.durationS !== undefined && wallS() >= opts.durationS;
  let lastRender = 0;
  let failure: unknown;
  // Wall time of the run itself, without the final flush and close.
  let runWallS: number;
  try {
    while (!control.stopping() && !timeUp()) {
      const target = wallS() * speed;
      let steps = 0;
      while (!control.stopping() && twin.timeS + twin.tickS <= target + 1e-9) {
        const o = await runner.tick();
        lastLinks = o.link;
        for (const n of o.notes) w.alerts.push(`t+${formatDurationS(twin.timeS)} ${n}`);
        await keepPaceWithStore(w);
        // Yield now and then so the API, signals and the sink's writes keep moving at high speeds.
        if (++steps % 20 === 0) await new Promise<void>((r) => setImmediate(r));
        if (timeUp()) break;
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
    control.release();
    if (live) {
      live(renderStatus(snapshot()));
      live.done();
    }
    await shutdown(w, api, token, http);
  }
  if (failure) throw failure;

  const produced = runner.rows.gpu + runner.rows.host + runner.rows.link + runner.rows.aux;
  const st = sink.stats();
  const summary: UpSummary = {
    scenario: scenarioLabel(twin.scenario),
    simStartMs: twin.startMs,
    simS: twin.timeS,
    wallS: runWallS,
    rows: { ...runner.rows },
    rowsWritten: st.rowsWritten,
    rowsLost: Math.max(0, produced - st.rowsWritten - st.rowsRejected),
    writeError: health.failedWrites > 0 ? (health.degraded() ?? st.lastError) : undefined,
    decisions: [...runner.decisions],
    stats: { ...twin.stats },
    apiUrl: schedApi.url,
    statusUrl: api.url,
    tokenFile: token.file,
    store: w.where,
    storeFlag: opts.clickhouse ? `--clickhouse ${opts.clickhouse}` : `--data ${opts.data ?? './data'}`,
  };
  out('');
  out(renderSummary(summary));
  return summary;
}
