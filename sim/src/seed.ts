/**
 * Seed data for dashboards, the plugin's browser tests and benches: runs the twin as fast as it can
 * (not in real time) into a store, through the collector's pipeline and store sink.
 */
import { createPipeline, createStoreSink } from '@meridian/collector';
import { createScheduler, type ConfigInput, type Scheduler } from '@meridian/scheduler';
import type { Store } from '@meridian/store';
import { InterimPlanner } from './planner.js';
import { TwinRunner, type RowCounts } from './runner.js';
import type { Scenario } from './scenario.js';
import { Twin, type TwinStats } from './twin.js';

export interface SeedOptions {
  /** A shipped scenario name (`default`, `large`, `cooling-loss` …), a YAML path, or a parsed scenario. Default `default`. */
  readonly scenario?: string | Scenario;
  /** Simulated seconds to run. Default 300. */
  readonly durationS?: number;
  /** Overrides the scenario's seed. */
  readonly seed?: number;
  /**
   * Simulated t=0, epoch ms. Default: `durationS` before now (rounded down to the second), so the
   * seeded data ends at the present and shows in Grafana's default "last N minutes" views.
   */
  readonly startMs?: number;
  /**
   * Who plans moves every 30 simulated seconds, executed by the twin and recorded in
   * `scheduler_decisions`: `interim` (default; the twin's threshold planner), `scheduler` (the real
   * @meridian/scheduler reading this store, passes awaited so the run is reproducible), or `none`.
   */
  readonly planner?: 'interim' | 'scheduler' | 'none';
  /** Scheduler config for `planner: 'scheduler'` (e.g. shorter persistSeconds for short seeds). */
  readonly schedulerConfig?: ConfigInput;
  readonly tracePath?: string;
}

export interface SeedResult {
  readonly scenario: string;
  readonly seed: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly ticks: number;
  readonly rows: RowCounts;
  readonly decisions: number;
  readonly stats: TwinStats;
}

/** Rows per flush: bounds memory on `large` (10,240 GPU rows a tick) while keeping inserts big. */
const FLUSH_ROWS = 100_000;

export async function seedStore(store: Store, opts: SeedOptions = {}): Promise<SeedResult> {
  const durationS = opts.durationS ?? 300;
  const startMs = opts.startMs ?? Math.floor(Date.now() / 1000) * 1000 - durationS * 1000;
  const twin = new Twin(opts.scenario ?? 'default', {
    startMs,
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.tracePath ? { tracePath: opts.tracePath } : {}),
  });
  const sink = createStoreSink({ store });
  const out = createPipeline({
    sink,
    maxRows: FLUSH_ROWS,
    flushIntervalMs: 0,
    collectorId: 'sim',
    runId: `${twin.scenario.name}-${twin.seed}-${startMs}`,
  });
  const kind = opts.planner ?? 'interim';
  let scheduler: Scheduler | undefined;
  let runner: TwinRunner;
  if (kind === 'scheduler') {
    const sched = await createScheduler({
      store,
      executor: twin.executor(),
      clock: () => twin.nowMs,
      config: { ...opts.schedulerConfig, store: { source: 'sim' } },
    });
    scheduler = sched;
    runner = new TwinRunner(twin, out, {
      externalPass: async () => {
        // The scheduler reads the store: it must hold everything up to now.
        await out.flush();
        await sink.drained();
        return (await sched.runPass()).decisions;
      },
    });
  } else {
    runner = new TwinRunner(twin, out, kind === 'interim' ? { planner: new InterimPlanner() } : {});
  }
  runner.writeStatic();
  let ticks = 0;
  let pending = 0;
  try {
    while (twin.timeS < durationS - 1e-9) {
      const o = await runner.tick();
      ticks++;
      pending += o.gpu.length + o.host.length + o.link.length;
      if (pending >= FLUSH_ROWS) {
        await out.flush();
        pending = 0;
      }
    }
    await out.flush();
    // The sink acknowledges a batch once it is spooled; wait until the store has every one.
    await sink.drained();
  } finally {
    await scheduler?.stop();
    await out.close();
  }
  const st = out.stats();
  if (st.failedRows > 0) throw new Error(`seedStore: ${st.failedRows} rows could not be delivered`);
  const rejected = sink.stats().rowsRejected;
  if (rejected > 0) throw new Error(`seedStore: the store's validation refused ${rejected} rows (a twin bug)`);
  return {
    scenario: twin.scenario.name,
    seed: twin.seed,
    startMs,
    endMs: twin.nowMs,
    ticks,
    rows: { ...runner.rows },
    decisions: runner.decisions.length,
    stats: { ...twin.stats },
  };
}
