/**
 * The twin: a seeded, deterministic, time-stepped model of a multi-region GPU fabric. `step()`
 * advances simulated time by one tick and returns the telemetry rows of that instant. Nothing here
 * reads the wall clock (except to default t=0) or Math.random, so the same scenario, seed and start
 * give byte-identical rows.
 *
 * This class is a façade: each concern lives in `./twin/` and shares one TwinState, and `step()`
 * is the one place that orders them:
 *   events (scripted) → arrivals (generator, trace) → placement (queue, completion) → moves
 *   (landing) → load (utilisation, links, physics, then progress at the clock it gives) → rows.
 */
import type { TableRows } from '@meridian/store';
import type { Executor, Move, MoveOutcome } from '@meridian/scheduler';
import { Fabric } from './fabric.js';
import type { Workload, WorkloadSpec } from './workloads.js';
import { Routes } from './network.js';
import { Rng } from './rng.js';
import { loadScenario, type Scenario } from './scenario.js';
import { inventoryRows, topologyRows } from './telemetry.js';
import { Arrivals } from './twin/arrivals.js';
import { Events } from './twin/events.js';
import { Load } from './twin/load.js';
import { Moves } from './twin/moves.js';
import { Placement } from './twin/placement.js';
import { WorkloadRows, type TickOutput } from './twin/rows.js';
import { TwinState, type TwinStats } from './twin/state.js';

export { INFERENCE_P99_METRIC } from './twin/rows.js';
export type { TickOutput, TickSamples } from './twin/rows.js';
export type { TwinStats } from './twin/state.js';

export interface TwinOptions {
  /** Overrides the scenario's seed. */
  readonly seed?: number;
  /**
   * Simulated t=0 in epoch ms. Default: the scenario's `start`, else now rounded down to the minute
   * (the store's raw tables expire old rows, so a fixed date in the past would be dropped on insert).
   * Pass it explicitly wherever runs must be byte-identical.
   */
  readonly startMs?: number;
  /** Replaces the scenario's trace path (tests point it at a small file). */
  readonly tracePath?: string;
  /** Work already running at t = 0, each in its region (the what-if seeds the observed workloads). */
  readonly workloads?: readonly WorkloadSpec[];
}

export class Twin {
  readonly scenario: Scenario;
  readonly fabric: Fabric;
  readonly routes: Routes;
  readonly seed: number;
  readonly startMs: number;
  readonly tickS: number;
  readonly restartS: number;
  readonly workloads: Workload[];
  readonly stats: TwinStats;

  private readonly state: TwinState;
  private readonly rows: WorkloadRows;
  private readonly placement: Placement;
  private readonly moves: Moves;
  private readonly events: Events;
  private readonly arrivals: Arrivals;
  private readonly load: Load;
  private readonly rngProbe: Rng;

  constructor(scenario: Scenario | string, opts: TwinOptions = {}) {
    this.scenario = typeof scenario === 'string' ? loadScenario(scenario) : scenario;
    this.seed = opts.seed ?? this.scenario.seed;
    this.startMs =
      opts.startMs ??
      (this.scenario.start ? Date.parse(this.scenario.start) : Math.floor(Date.now() / 60_000) * 60_000);
    this.tickS = this.scenario.tick;
    this.restartS = this.scenario.restart;
    this.fabric = new Fabric(this.scenario);
    this.routes = new Routes(this.fabric);
    // One stream per concern, forked in this order: the streams and so every run depend on it.
    const root = new Rng(this.seed);
    const rngPhysics = root.fork('physics');
    this.rngProbe = root.fork('probes');
    const rngArrivals = root.fork('arrivals');

    const s = new TwinState(this.scenario, this.fabric, this.routes, this.startMs);
    this.state = s;
    this.workloads = s.workloads;
    this.stats = s.stats;
    this.rows = new WorkloadRows(s);
    this.placement = new Placement(s, this.rows);
    this.moves = new Moves(s, this.rows, this.placement);
    this.events = new Events(s, this.rows, this.placement);
    this.arrivals = new Arrivals(s, rngArrivals, this.rows, this.placement, this.events, {
      tracePath: opts.tracePath,
      seed: this.seed,
      workloads: opts.workloads ?? [],
    });
    this.load = new Load(s, rngPhysics);

    this.arrivals.initialFill();
    this.placement.schedule();
    this.load.settle();
  }

  /** Simulated seconds since start (the end of the last tick). */
  get timeS(): number {
    return this.state.timeS;
  }

  /** Epoch ms of the current simulated instant. */
  get nowMs(): number {
    return this.startMs + Math.round(this.state.timeS * 1000);
  }

  workload(id: string): Workload | undefined {
    return this.state.byId.get(id);
  }

  regionName(i: number): string {
    return this.state.regionName(i);
  }

  topologyRows(): TableRows['topology'][] {
    return topologyRows(this.fabric, this.startMs);
  }

  inventoryRows(): TableRows['inventory'][] {
    return inventoryRows(this.fabric, this.startMs);
  }

  /** Advance one tick and return the rows stamped at its end. */
  step(): TickOutput {
    const s = this.state;
    const dt = this.tickS;
    const t0 = s.timeS;
    const t1 = t0 + dt;
    s.notes = [];
    s.tickTs = this.startMs + Math.round(t1 * 1000);
    this.events.apply(t1);
    this.arrivals.arrive(t0, t1);
    this.finish(t1);
    this.placement.schedule();
    // A trace pod shorter than a tick ends in the tick it started in.
    this.finish(t1);
    this.load.apply(t1);
    this.load.advance(dt);
    s.timeS = t1;
    return this.rows.tick(t0, dt, this.rngProbe);
  }

  /** The twin as the scheduler's executor: it carries out moves in simulated time and steers arrivals. */
  executor(): Executor {
    return this.moves.executor();
  }

  /** See Placement.setAdmissionWeights: Karmada-style static weights for the region of new work. */
  setAdmissionWeights(weights: ReadonlyMap<string, number> | null): void {
    this.placement.setAdmissionWeights(weights);
  }

  /** See Moves.execute: start a move now; it takes modelled time and loads the route's links. */
  executeMove(move: Move): MoveOutcome {
    return this.moves.execute(move);
  }

  /** Land the moves due by t1 and end the work that is done, in the order of the running set. */
  private finish(t1: number): void {
    for (const w of [...this.state.running]) {
      this.moves.land(w, t1);
      this.placement.completeIfDone(w, t1);
    }
  }
}
