/**
 * Seed data for dashboards, the plugin's browser tests and benches: runs the twin as fast as it can
 * (not in real time) into a store, through the collector's pipeline and store sink.
 */
import { createPipeline, createStoreSink, type StoreTarget } from '@meridian/collector';
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
  /** Run the interim planner every 30 s and record its decisions. Default true. */
  readonly decisions?: boolean;
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

export async function seedStore(store: StoreTarget, opts: SeedOptions = {}): Promise<SeedResult> {
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
  const runner = new TwinRunner(twin, out, opts.decisions === false ? {} : { planner: new InterimPlanner() });
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
