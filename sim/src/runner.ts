/**
 * Drives a twin into a telemetry pipeline: each tick's samples are pushed, as columns, to the collector's pipeline
 * (the same batcher and store sink the per-node agent uses), and every `planEveryS` the planner's
 * moves go to the twin's executor and its decisions to `scheduler_decisions`.
 */
import type { Pipeline } from '@meridian/collector';
import type { TableRows } from '@meridian/store';
import type { Planner } from './planner.js';
import type { TickOutput, Twin } from './twin.js';

/**
 * Simulated seconds of samples one gpu insert holds when a twin writes through the collector's
 * pipeline: the one batch setting of `meridian up` and bench:sim (pass twinBatchRows(twin) as the
 * pipeline's maxRows). Why time and not a row count: every insert into a raw table also runs the
 * store's rollup views (raw -> 1m -> 1h -> 1d, and per region), and the cascade views re-aggregate
 * every series the insert touches. An insert holding a few seconds per series pays that cascade for
 * little data; one holding tens of seconds pays it once for all of them. At `large` (10,240 GPUs)
 * the store took 20-26k rows/s in 5 s inserts, ~58k in 20 s ones and ~74k in 60 s ones; 30 s is
 * where the gain flattens, at ~90 MB of columns a batch (row objects would be several times that).
 * It also matches the scheduler's 30 s pass, which flushes the pipeline anyway.
 */
export const TWIN_BATCH_S = 30;

/** The pipeline's maxRows for a twin: TWIN_BATCH_S of its gpu samples (one row per GPU a tick). */
export function twinBatchRows(twin: Twin): number {
  return Math.max(1, twin.fabric.gpuCount) * Math.max(1, Math.round(TWIN_BATCH_S / twin.tickS));
}

export interface RunnerOptions {
  /** A planner the runner drives itself: its moves go to the twin, its decisions to the pipeline. */
  readonly planner?: Planner;
  /**
   * Or an external scheduler's pass (e.g. @meridian/scheduler's runPass): it reads the store,
   * executes through the twin's executor and records its own decisions; the runner only keeps the
   * returned decisions for the status view.
   */
  readonly externalPass?: () => Promise<readonly TableRows['scheduler_decisions'][]>;
  /**
   * `await` (default): the tick waits for the pass, so a run is reproducible. `background`: the twin
   * keeps stepping while the pass reads the store and plans, as a real fabric does not wait for its
   * scheduler; a pass that falls due while one is running is skipped (and counted).
   */
  readonly externalMode?: 'await' | 'background';
  /** Simulated seconds between planner passes. Default 30 s (the scheduler's default period). */
  readonly planEveryS?: number;
}

export interface RowCounts {
  gpu: number;
  host: number;
  link: number;
  aux: number;
}

export class TwinRunner {
  readonly rows: RowCounts = { gpu: 0, host: 0, link: 0, aux: 0 };
  readonly decisions: TableRows['scheduler_decisions'][] = [];
  private nextPlanS: number;
  /** Wall milliseconds the last external pass took (flush, store reads, solve, act). */
  lastPassMs = 0;
  passes = 0;
  passesSkipped = 0;
  passErrors = 0;
  lastPassError: string | undefined;
  private inFlight: Promise<void> | null = null;

  /** Waits for a background pass still running (before shutting the store). */
  async settle(): Promise<void> {
    await this.inFlight;
  }

  constructor(
    readonly twin: Twin,
    readonly out: Pipeline,
    private readonly opts: RunnerOptions = {},
  ) {
    this.nextPlanS = opts.planEveryS ?? 30;
  }

  /** Topology and inventory, once at the start of a run. */
  writeStatic(): void {
    const topo = this.twin.topologyRows();
    const inv = this.twin.inventoryRows();
    this.out.push('topology', topo);
    this.out.push('inventory', inv);
    this.rows.aux += topo.length + inv.length;
  }

  async tick(): Promise<TickOutput> {
    const o = this.twin.step();
    // Columns, not rows: the store takes them as they are (see TickOutput.samples).
    this.out.pushColumns('gpu', o.samples.gpu);
    this.out.pushColumns('host', o.samples.host);
    this.out.pushColumns('link', o.samples.link);
    if (o.workloads.length) this.out.push('workloads', o.workloads);
    if (o.extra.length) this.out.push('extra_metrics', o.extra);
    if (o.assignments.length) this.out.push('gpu_assignments', o.assignments);
    this.rows.gpu += o.samples.gpu.rows;
    this.rows.host += o.samples.host.rows;
    this.rows.link += o.samples.link.rows;
    this.rows.aux += o.workloads.length + o.extra.length + o.assignments.length;
    const external = this.opts.externalPass;
    if (external && this.twin.timeS >= this.nextPlanS) {
      this.nextPlanS += this.opts.planEveryS ?? 30;
      if (this.inFlight) {
        this.passesSkipped++;
      } else {
        const t0 = performance.now();
        const run = external().then(
          (d) => {
            this.decisions.push(...d);
            this.passes++;
            this.lastPassMs = performance.now() - t0;
          },
          (err: unknown) => {
            this.passErrors++;
            this.lastPassError = err instanceof Error ? err.message : String(err);
          },
        );
        this.inFlight = run.finally(() => {
          this.inFlight = null;
        });
        if ((this.opts.externalMode ?? 'await') === 'await') await this.inFlight;
      }
    }
    const planner = this.opts.planner;
    if (planner && this.twin.timeS >= this.nextPlanS) {
      this.nextPlanS += this.opts.planEveryS ?? 30;
      const pass = planner.pass(this.twin);
      const outcomes = new Map<string, string>();
      const executor = this.twin.executor();
      for (const m of pass.moves) {
        const r = await executor.execute(m);
        outcomes.set(
          m.moveId,
          r.status === 'failed'
            ? `failed: ${r.error}`
            : r.status === 'started'
              ? `started (${(r.expectedDurationMs / 1000).toFixed(0)} s)`
              : r.status,
        );
      }
      const decided = pass.decisions.map((d) => ({ ...d, outcome: outcomes.get(d.decision_id) ?? d.outcome }));
      if (decided.length) {
        this.out.push('scheduler_decisions', decided);
        this.rows.aux += decided.length;
        this.decisions.push(...decided);
      }
    }
    return o;
  }
}
