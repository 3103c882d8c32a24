/**
 * The twin: a seeded, deterministic, time-stepped model of a multi-region GPU fabric. `step()`
 * advances simulated time by one tick and returns the telemetry rows of that instant. Nothing here
 * reads the wall clock (except to default t=0) or Math.random, so the same scenario, seed and start
 * give byte-identical rows.
 */
import type { SampleRow, TableRows } from '@meridian/store';
import type { Executor, Move, MoveOutcome } from '@meridian/scheduler';
import { Fabric } from './fabric.js';
import {
  COMM_BPS_PER_GPU,
  type Workload,
  type WorkloadKind,
  type WorkloadSpec,
  type WorkloadState,
} from './workloads.js';
import { Routes, settleLink } from './network.js';
import { clamp, settleThermals, stepGpus } from './physics.js';
import { Rng } from './rng.js';
import { SIM_SOURCE } from './rows.js';
import { loadScenario, type GeneratorSpec, type Scenario, type ScenarioEvent } from './scenario.js';
import { gpuRows, hostRows, inventoryRows, linkRows, topologyRows } from './telemetry.js';
import { readTrace, traceWorkloads } from './trace.js';
import { resolve, dirname } from 'node:path';

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
}

export interface TickOutput {
  /** Instant of this tick's rows, epoch ms. */
  readonly ts: number;
  readonly gpu: SampleRow[];
  readonly host: SampleRow[];
  readonly link: SampleRow[];
  readonly workloads: TableRows['workloads'][];
  /** Human-readable notes of what happened this tick (events, failures), for the status view. */
  readonly notes: string[];
  /**
   * Inference p99 latency per service every INFERENCE_METRIC_S (`extra_metrics`: request latency is
   * not a catalog metric; it belongs to the service, not to a GPU, host or link).
   */
  readonly extra: TableRows['extra_metrics'][];
}

export interface TwinStats {
  arrived: number;
  started: number;
  completed: number;
  failed: number;
  /** Sum over completed workloads of (end − arrival), simulated seconds. */
  completionS: number;
  /** Sum over started workloads of (start − arrival), simulated seconds. */
  queueS: number;
  /** Seconds during which an inference service's estimated p99 exceeded its SLO, summed over services. */
  sloViolationS: number;
  moves: number;
  movesFailed: number;
  bytesMoved: number;
}

/** How often every workload's state is re-stated in `workloads` (besides each change), simulated s. */
const WORKLOAD_SNAPSHOT_S = 60;
const INFERENCE_METRIC_S = 10;
/** The extra_metrics name of the inference latency estimate. */
export const INFERENCE_P99_METRIC = 'inference_p99_ms';

/** Suffix of the stage row that states the part of a pipeline gang placed in a second region. */
const SPAN_SUFFIX = '/span';

type Surge = { kind: WorkloadKind | 'all'; factor: number; untilS: number };
type Active = { event: ScenarioEvent; undo: () => void; untilS: number };

export class Twin {
  readonly scenario: Scenario;
  readonly fabric: Fabric;
  readonly routes: Routes;
  readonly seed: number;
  readonly startMs: number;
  readonly tickS: number;
  readonly restartS: number;
  readonly workloads: Workload[] = [];
  readonly stats: TwinStats = {
    arrived: 0,
    started: 0,
    completed: 0,
    failed: 0,
    completionS: 0,
    queueS: 0,
    sloViolationS: 0,
    moves: 0,
    movesFailed: 0,
    bytesMoved: 0,
  };
  /** Simulated seconds since start (the end of the last tick). */
  timeS = 0;

  private readonly byId = new Map<string, Workload>();
  private queue: Workload[] = [];
  private running = new Set<Workload>();
  private traced: WorkloadSpec[] = [];
  private traceNext = 0;
  private seq = 0;
  private eventNext = 0;
  private readonly events: ScenarioEvent[];
  private active: Active[] = [];
  private surges: Surge[] = [];
  /** Workload rows of this tick, snapshotted at each state change (a pod may start and end in one tick). */
  private changed: TableRows['workloads'][] = [];
  /** Gangs whose last rows stated a span stage, and its region: the stage row is closed when they stop spanning. */
  private readonly spanning = new Map<string, string>();
  private tickTs = 0;
  private notes: string[] = [];
  private lastSnapshotS = -Infinity;
  private readonly rngPhysics: Rng;
  private readonly rngProbe: Rng;
  private readonly rngArrivals: Rng;
  /**
   * Where new work goes, by region index (Karmada static weights for new replicas): null = in
   * proportion to each region's GPUs. Set through the executor's `place`.
   */
  private admission: Float64Array | null = null;

  constructor(scenario: Scenario | string, opts: TwinOptions = {}) {
    this.scenario = typeof scenario === 'string' ? loadScenario(scenario) : scenario;
    this.seed = opts.seed ?? this.scenario.seed;
    this.startMs =
      opts.startMs ??
      (this.scenario.start ? Date.parse(this.scenario.start) : Math.floor(Date.now() / 60_000) * 60_000);
    this.tickS = this.scenario.tick;
    this.tickTs = this.startMs;
    this.restartS = this.scenario.restart;
    this.fabric = new Fabric(this.scenario);
    this.routes = new Routes(this.fabric);
    const root = new Rng(this.seed);
    this.rngPhysics = root.fork('physics');
    this.rngProbe = root.fork('probes');
    this.rngArrivals = root.fork('arrivals');
    this.events = [...this.scenario.events].sort((a, b) => a.at - b.at);

    const trace = this.scenario.workloads.trace;
    if (trace) {
      const path = opts.tracePath ?? resolve(dirname(this.scenario.file), trace.path);
      this.traced = traceWorkloads(
        readTrace(path),
        trace,
        this.fabric.regions.map((r) => r.gpuCount),
      );
    }
    const gen = this.scenario.workloads.generator;
    if (gen) this.initialFill(gen);
    this.schedule();
    this.applyLoad(0);
    settleThermals(this.fabric);
  }

  /** Epoch ms of the current simulated instant. */
  get nowMs(): number {
    return this.startMs + Math.round(this.timeS * 1000);
  }

  workload(id: string): Workload | undefined {
    return this.byId.get(id);
  }

  topologyRows(): TableRows['topology'][] {
    return topologyRows(this.fabric, this.startMs);
  }

  inventoryRows(): TableRows['inventory'][] {
    return inventoryRows(this.fabric, this.startMs);
  }

  /** Advance one tick and return the rows stamped at its end. */
  step(): TickOutput {
    const dt = this.tickS;
    const t0 = this.timeS;
    const t1 = t0 + dt;
    this.notes = [];
    this.tickTs = this.startMs + Math.round(t1 * 1000);
    this.applyEvents(t1);
    this.arrive(t0, t1);
    this.finish(t1);
    this.schedule();
    // A trace pod shorter than a tick ends in the tick it started in.
    this.finish(t1);
    this.applyLoad(t1);
    for (const l of this.fabric.links) settleLink(l, dt);
    this.progress(t1, dt);
    stepGpus(this.fabric, dt, this.rngPhysics);
    this.timeS = t1;

    const ts = this.nowMs;
    const gpu: SampleRow[] = [];
    const host: SampleRow[] = [];
    const link: SampleRow[] = [];
    gpuRows(this.fabric, ts, gpu);
    hostRows(this.fabric, ts, host);
    linkRows(this.fabric, ts, dt, this.rngProbe, link);
    const workloads = this.changed;
    if (t1 - this.lastSnapshotS >= WORKLOAD_SNAPSHOT_S) {
      // Re-state every live workload now and then, so a reader of the latest rows sees them all.
      this.lastSnapshotS = t1;
      const seen = new Set(workloads.map((r) => r.workload_id));
      for (const w of this.workloads) {
        if (w.state !== 'done' && w.state !== 'failed' && !seen.has(w.id)) workloads.push(...this.workloadRows(w, ts));
      }
    }
    this.changed = [];
    const extra: TableRows['extra_metrics'][] = [];
    if (Math.floor(t1 / INFERENCE_METRIC_S) !== Math.floor(t0 / INFERENCE_METRIC_S)) {
      for (const w of this.running) {
        if (w.kind !== 'inference' || w.alloc.length === 0) continue;
        const g = w.alloc[0] as number;
        extra.push({
          ts,
          source: SIM_SOURCE,
          region: this.regionName(w.currentRegion),
          host: this.fabric.hostNames[this.fabric.gpuHost[g] as number] as string,
          name: INFERENCE_P99_METRIC,
          labels: { workload_id: w.id, slo_ms: String(w.sloMs ?? 200) },
          value: Math.round(w.p99Ms * 100) / 100,
        });
      }
    }
    return { ts, gpu, host, link, workloads, notes: this.notes, extra };
  }

  /** The twin as the scheduler's executor: it carries out moves in simulated time and steers arrivals. */
  executor(): Executor {
    return {
      name: 'twin',
      execute: (move) => Promise.resolve(this.executeMove(move)),
      place: (weights) => {
        this.setAdmissionWeights(weights);
        return Promise.resolve();
      },
    };
  }

  /**
   * Weights (by region name) for the preferred region of work that arrives from now on, as Karmada's
   * static weights place new replicas; a region left out gets none. Null or all-zero weights restore
   * the default (in proportion to GPUs). Each arrival still takes one draw from the arrivals stream,
   * so the same work arrives at the same instants whatever the weights; only its region changes.
   */
  setAdmissionWeights(weights: ReadonlyMap<string, number> | null): void {
    if (!weights) {
      this.admission = null;
      return;
    }
    const w = new Float64Array(this.fabric.regions.length);
    for (const [name, v] of weights) {
      const r = this.fabric.regionByName(name);
      if (!r) throw new Error(`admission weights: no region "${name}"; give one of the scenario's regions`);
      if (!(v >= 0)) throw new Error(`admission weights: region "${name}" has weight ${v}; give a number ≥ 0`);
      w[r.index] = v;
    }
    this.admission = w.some((v) => v > 0) ? w : null;
  }

  /**
   * Start a move now. Training and batch gangs stop (break-before-make): their checkpoint crosses the
   * route at the spare bandwidth, then they restart at the target. Inference services keep serving
   * at the source until the copy at the target is up (make-before-break).
   */
  executeMove(move: Move): MoveOutcome {
    const fail = (error: string): MoveOutcome => {
      this.stats.movesFailed++;
      return { status: 'failed', error };
    };
    const w = this.byId.get(move.workloadId);
    if (!w) return fail(`no workload "${move.workloadId}"`);
    if (w.state !== 'running') return fail(`workload ${w.id} is ${w.state}, not running`);
    if (w.pinned) return fail(`workload ${w.id} is pinned`);
    const from = this.fabric.regionByName(move.from);
    const to = this.fabric.regionByName(move.to);
    if (!from) return fail(`no region "${move.from}"`);
    if (!to) return fail(`no region "${move.to}"`);
    if (w.currentRegion !== from.index)
      return fail(`workload ${w.id} is in ${this.regionName(w.currentRegion)}, not ${move.from}`);
    if (from.index === to.index) return fail('source and target are the same region');
    const path = this.routes.path(from.index, to.index);
    if (!path) return fail(`no route from ${move.from} to ${move.to} (link cut)`);
    const rate = this.routes.spareBps(from.index, to.index);
    if (rate <= 0) return fail(`no bandwidth from ${move.from} to ${move.to}`);
    const target = this.fabric.allocate(to.index, w.gpus, w.slot);
    if (!target) return fail(`not enough free GPUs in ${move.to} for ${w.gpus}`);

    const bytes = move.checkpointBytes > 0 ? move.checkpointBytes : w.checkpointBytes;
    const transferS = bytes / rate;
    const now = this.timeS;
    // Make-before-break: the new replicas take traffic for one tick (readiness passed, the load
    // balancer shifting) before the old ones are released, so the switchover lands on warm GPUs.
    const drainS = w.kind === 'inference' ? this.tickS : 0;
    const durationS = transferS + this.restartS + drainS;
    w.migration = {
      moveId: move.moveId,
      to: to.index,
      startS: now,
      transferEndS: now + transferS,
      readyS: now + transferS + this.restartS,
      endS: now + durationS,
      bytes,
      rateBps: rate,
      path,
      target,
    };
    for (const g of target) this.fabric.memFrac[g] = 0;
    if (w.kind !== 'inference') {
      this.fabric.release(w.alloc);
      w.alloc = target;
      w.state = 'migrating';
      this.markChanged(w);
    }
    w.moves++;
    this.stats.moves++;
    this.stats.bytesMoved += bytes;
    this.notes.push(
      `move ${w.id} ${move.from}→${move.to} ${(bytes / 2 ** 30).toFixed(0)} GiB, ${durationS.toFixed(0)} s`,
    );
    return { status: 'started', expectedDurationMs: Math.round(durationS * 1000) };
  }

  // --- events -------------------------------------------------------------------------------

  private applyEvents(t1: number): void {
    this.active = this.active.filter((a) => {
      if (a.untilS > t1) return true;
      a.undo();
      this.notes.push(`${a.event.type} ended`);
      return false;
    });
    this.surges = this.surges.filter((s) => s.untilS > t1);
    while (this.eventNext < this.events.length && (this.events[this.eventNext] as ScenarioEvent).at <= t1) {
      const e = this.events[this.eventNext++] as ScenarioEvent;
      const undo = this.startEvent(e);
      const until = e.duration === undefined ? Infinity : e.at + e.duration;
      if (undo && Number.isFinite(until)) this.active.push({ event: e, undo, untilS: until });
    }
  }

  private startEvent(e: ScenarioEvent): (() => void) | null {
    const f = this.fabric;
    switch (e.type) {
      case 'cooling_loss': {
        const r = f.regionByName(e.region);
        if (!r) return null;
        r.coolingLoss = e.severity;
        this.notes.push(`cooling loss in ${r.name} (severity ${e.severity})`);
        return () => (r.coolingLoss = 0);
      }
      case 'link_degradation': {
        const l = f.linkById(e.link);
        if (!l) return null;
        l.addedRttMs += e.added_rtt_ms;
        l.addedLossPct += e.added_loss_pct;
        l.capacityFactor *= e.capacity_factor;
        this.notes.push(
          `link ${l.id} degraded (+${e.added_rtt_ms} ms RTT, +${e.added_loss_pct}% loss, ×${e.capacity_factor} capacity)`,
        );
        return () => {
          l.addedRttMs -= e.added_rtt_ms;
          l.addedLossPct -= e.added_loss_pct;
          l.capacityFactor /= e.capacity_factor;
        };
      }
      case 'link_cut': {
        const l = f.linkById(e.link);
        if (!l) return null;
        l.cut = true;
        this.routes.recompute();
        this.notes.push(`link ${l.id} cut`);
        return () => {
          l.cut = false;
          this.routes.recompute();
        };
      }
      case 'host_failure': {
        const r = f.regionByName(e.region);
        if (!r) return null;
        const hosts: number[] = [];
        if (typeof e.hosts === 'number') {
          for (let h = r.hostStart; h < r.hostStart + r.hostCount && hosts.length < e.hosts; h++)
            if (f.hostFailed[h] === 0) hosts.push(h);
        } else {
          for (const name of e.hosts) {
            const h = f.hostNames.indexOf(name);
            if (h >= 0) hosts.push(h);
          }
        }
        for (const h of hosts) this.failHost(h);
        return () => {
          for (const h of hosts) f.hostFailed[h] = 0;
        };
      }
      case 'arrival_surge': {
        this.surges.push({ kind: e.kind, factor: e.factor, untilS: e.at + e.duration });
        this.notes.push(`arrival surge ×${e.factor} (${e.kind})`);
        return null;
      }
    }
  }

  private failHost(h: number): void {
    const f = this.fabric;
    f.hostFailed[h] = 1;
    const start = f.hostGpuStart[h] as number;
    const n = f.hostGpuCount[h] as number;
    const hit = new Set<number>();
    for (let g = start; g < start + n; g++) {
      // XID 79: the GPU has fallen off the bus. The host is gone, so this is only seen in the stats.
      f.xidLast[g] = 79;
      f.xidCount[g] = (f.xidCount[g] as number) + 1;
      const slot = f.job[g] as number;
      if (slot >= 0) hit.add(slot);
    }
    this.notes.push(`host ${f.hostNames[h]} failed`);
    for (const slot of [...hit].sort((a, b) => a - b)) {
      const w = this.workloads[slot];
      if (!w) continue;
      // The gang dies with its host and goes back to the queue (it resumes from its checkpoint).
      this.stop(w, 'failed');
      this.stats.failed++;
      w.state = 'queued';
      this.queue.push(w);
      this.markChanged(w);
    }
  }

  // --- arrivals -----------------------------------------------------------------------------

  private arrive(t0: number, t1: number): void {
    while (this.traceNext < this.traced.length && (this.traced[this.traceNext] as WorkloadSpec).arrivalS < t1) {
      this.admit(this.traced[this.traceNext++] as WorkloadSpec);
    }
    const gen = this.scenario.workloads.generator;
    if (!gen) return;
    for (const kind of ['training', 'inference', 'batch'] as const) {
      const spec = gen[kind];
      if (!spec || spec.per_hour <= 0) continue;
      const lambda = (spec.per_hour * this.surgeFactor(kind) * (t1 - t0)) / 3600;
      const n = poisson(lambda, this.rngArrivals);
      for (let i = 0; i < n; i++) this.admit(this.generate(kind, gen, t0 + ((i + 0.5) / n) * (t1 - t0), 0));
    }
  }

  private surgeFactor(kind: WorkloadKind): number {
    let f = 1;
    for (const s of this.surges) if (s.kind === 'all' || s.kind === kind) f *= s.factor;
    return f;
  }

  private generate(kind: WorkloadKind, gen: GeneratorSpec, arrivalS: number, progressFrac: number): WorkloadSpec {
    const rng = this.rngArrivals;
    const region = this.pickRegion();
    const id = `${kind === 'training' ? 'train' : kind === 'inference' ? 'infer' : 'batch'}-${String(++this.seq).padStart(6, '0')}`;
    if (kind === 'training') {
      const s = gen.training;
      if (!s) throw new Error('unreachable');
      const gpus = rng.pick(s.gpus);
      const comm = rng.pick(s.comm);
      const duration = rng.uniform(s.duration[0], s.duration[1]);
      // A quarter of pipeline gangs are placed across two regions on purpose: the fabric exists to
      // run one job over several cities, and their activations load the long-haul links.
      const span = comm === 'pipeline' && rng.next() < 0.25 ? this.nearestRegion(region) : undefined;
      return {
        id,
        kind,
        comm,
        gpus,
        region,
        checkpointBytes: Math.round(gpus * s.checkpoint_gb_per_gpu * 2 ** 30),
        memFrac: 0.75 + 0.2 * rng.next(),
        utilLevel: 92 + 6 * rng.next(),
        arrivalS,
        durationS: duration,
        initialProgressS: duration * progressFrac,
        priority: rng.int(0, 2),
        ...(span !== undefined && gpus >= 2 ? { spanRegion: span } : {}),
      };
    }
    if (kind === 'inference') {
      const s = gen.inference;
      if (!s) throw new Error('unreachable');
      const replicas = rng.pick(s.replicas);
      const duration = rng.uniform(s.duration[0], s.duration[1]);
      return {
        id,
        kind,
        comm: 'inference',
        gpus: replicas,
        region,
        checkpointBytes: Math.round(replicas * s.checkpoint_gb_per_gpu * 2 ** 30),
        memFrac: 0.4 + 0.3 * rng.next(),
        utilLevel: 90,
        arrivalS,
        durationS: duration,
        fixedEnd: true,
        initialProgressS: duration * progressFrac,
        priority: 2,
        peakRpsPerReplica: s.peak_rps_per_replica,
        sloMs: s.slo_ms,
      };
    }
    const s = gen.batch;
    if (!s) throw new Error('unreachable');
    const gpus = rng.pick(s.gpus);
    const duration = rng.uniform(s.duration[0], s.duration[1]);
    return {
      id,
      kind,
      comm: 'independent',
      gpus,
      region,
      checkpointBytes: Math.round(gpus * s.checkpoint_gb_per_gpu * 2 ** 30),
      memFrac: 0.3 + 0.4 * rng.next(),
      utilLevel: 70 + 25 * rng.next(),
      arrivalS,
      durationS: duration,
      initialProgressS: duration * progressFrac,
      priority: 0,
    };
  }

  /** Regions receive work in proportion to their GPUs, or to the admission weights where set. */
  private pickRegion(): number {
    const weight = (i: number, gpus: number) => (this.admission ? (this.admission[i] as number) : gpus);
    let sum = 0;
    for (const r of this.fabric.regions) sum += weight(r.index, r.gpuCount);
    let x = this.rngArrivals.next() * sum;
    let last = 0;
    for (const r of this.fabric.regions) {
      const v = weight(r.index, r.gpuCount);
      if (v <= 0) continue;
      last = r.index;
      if (x < v) return r.index;
      x -= v;
    }
    return last;
  }

  private nearestRegion(r: number): number | undefined {
    let best: number | undefined;
    let bestMs = Infinity;
    for (const o of this.fabric.regions) {
      if (o.index === r) continue;
      const ms = this.routes.delayMs(r, o.index);
      if (ms < bestMs) {
        bestMs = ms;
        best = o.index;
      }
    }
    return best;
  }

  private initialFill(gen: GeneratorSpec): void {
    const kinds = (['training', 'inference', 'batch'] as const).filter((k) => (gen[k]?.per_hour ?? 0) > 0);
    if (kinds.length === 0 || gen.initial_fill <= 0) return;
    const target = gen.initial_fill * this.fabric.gpuCount;
    let busy = 0;
    for (let misses = 0; busy < target && misses < 50;) {
      const kind = this.rngArrivals.pick(kinds);
      const w = this.admit(this.generate(kind, gen, 0, this.rngArrivals.uniform(0.05, 0.9)));
      if (this.place(w)) {
        busy += w.gpus;
        this.queue = this.queue.filter((q) => q !== w);
      } else {
        // Did not fit: withdraw it, so t=0 starts with an empty queue.
        this.queue = this.queue.filter((q) => q !== w);
        this.byId.delete(w.id);
        this.workloads.pop();
        this.stats.arrived--;
        this.changed = this.changed.filter((c) => c.workload_id !== w.id);
        misses++;
      }
    }
  }

  private admit(spec: WorkloadSpec): Workload {
    const w: Workload = {
      ...spec,
      slot: this.workloads.length,
      state: 'queued',
      currentRegion: spec.region,
      alloc: new Int32Array(0),
      progressS: spec.initialProgressS ?? 0,
      startS: -1,
      endS: -1,
      migration: null,
      moves: 0,
      queuedS: 0,
      sloViolationS: 0,
      rps: 0,
      p99Ms: 0,
    };
    this.workloads.push(w);
    this.byId.set(w.id, w);
    this.queue.push(w);
    this.markChanged(w);
    this.stats.arrived++;
    return w;
  }

  // --- placement and completion ---------------------------------------------------------------

  /** FIFO with backfill: a gang that does not fit waits, smaller ones behind it may start. */
  private schedule(): void {
    if (this.queue.length === 0) return;
    const still: Workload[] = [];
    for (const w of this.queue) if (!this.place(w)) still.push(w);
    this.queue = still;
  }

  private place(w: Workload): boolean {
    const f = this.fabric;
    let alloc: Int32Array | null = null;
    let region = w.region;
    if (w.spanRegion !== undefined) {
      const half = Math.floor(w.gpus / 2);
      if (f.freeGpus(w.region) >= w.gpus - half && f.freeGpus(w.spanRegion) >= half) {
        const a = f.allocate(w.region, w.gpus - half, w.slot);
        const b = f.allocate(w.spanRegion, half, w.slot);
        if (a && b) {
          alloc = new Int32Array(w.gpus);
          alloc.set(a);
          alloc.set(b, a.length);
        }
      }
    }
    if (!alloc) {
      // Whole gang in the preferred region, else in the nearest region with room.
      const order = [
        w.region,
        ...f.regions
          .map((r) => r.index)
          .filter((i) => i !== w.region)
          .sort((a, b) => this.routes.delayMs(w.region, a) - this.routes.delayMs(w.region, b)),
      ];
      for (const r of order) {
        if (f.freeGpus(r) < w.gpus) continue;
        alloc = f.allocate(r, w.gpus, w.slot);
        if (alloc) {
          region = r;
          break;
        }
      }
    }
    if (!alloc) return false;
    // Within a tick a workload starts at its arrival instant, or at the tick's start if it waited.
    const now = Math.max(this.timeS, w.arrivalS);
    w.alloc = alloc;
    w.currentRegion = region;
    w.state = 'running';
    w.startS = now;
    w.queuedS = now - w.arrivalS;
    w.endS = w.fixedEnd ? now + w.durationS - (w.initialProgressS ?? 0) : -1;
    for (const g of alloc) f.memFrac[g] = w.memFrac;
    this.running.add(w);
    this.stats.started++;
    this.stats.queueS += Math.max(0, w.queuedS);
    this.markChanged(w);
    return true;
  }

  private finish(t1: number): void {
    for (const w of [...this.running]) {
      const m = w.migration;
      if (m && m.endS <= t1) {
        if (w.kind === 'inference') {
          this.fabric.release(w.alloc);
          w.alloc = m.target;
        }
        for (const g of w.alloc) this.fabric.memFrac[g] = w.memFrac;
        w.currentRegion = m.to;
        w.migration = null;
        w.state = 'running';
        this.markChanged(w);
        this.notes.push(`move ${w.id} done`);
      }
      const done = w.fixedEnd ? w.endS <= t1 : w.progressS >= w.durationS;
      if (done && !w.migration) {
        this.stop(w, 'done');
        this.stats.completed++;
        this.stats.completionS += t1 - w.arrivalS;
      }
    }
  }

  private stop(w: Workload, state: WorkloadState): void {
    this.fabric.release(w.alloc);
    if (w.migration && w.kind === 'inference') this.fabric.release(w.migration.target);
    w.alloc = new Int32Array(0);
    w.migration = null;
    w.state = state;
    w.endS = this.timeS;
    this.running.delete(w);
    this.markChanged(w);
  }

  // --- load, traffic and progress -------------------------------------------------------------

  private applyLoad(t1: number): void {
    const f = this.fabric;
    for (const l of f.links) l.offeredBps = 0;
    const hourUtc = ((this.startMs / 1000 + t1) / 3600) % 24;
    for (const w of this.running) {
      let level = w.utilLevel;
      if (w.kind === 'inference') {
        const r = f.regions[w.currentRegion];
        const local = (hourUtc + (r?.lon ?? 0) / 15 + 24) % 24;
        // Diurnal demand: trough at 04:00 local, peak at 16:00.
        const diurnal = 0.55 - 0.45 * Math.cos((2 * Math.PI * (local - 4)) / 24);
        w.rps = w.gpus * (w.peakRpsPerReplica ?? 40) * diurnal;
        level = clamp(w.utilLevel * diurnal * 1.05, 3, 100);
      }
      const serving = w.state === 'running' || w.kind === 'inference';
      for (const g of w.alloc) f.load[g] = serving ? level : 0;
      // An inference set's new replicas idle until ready, then serve beside the draining old ones.
      if (w.migration && w.kind === 'inference') {
        const warm = t1 >= w.migration.readyS ? level : 0;
        for (const g of w.migration.target) f.load[g] = warm;
      }

      // Traffic between the parts of a gang that spans regions.
      if (serving && w.alloc.length > 0) this.addGangTraffic(w);
      const m = w.migration;
      const t0 = t1 - this.tickS;
      if (m && t0 < m.transferEndS) {
        // The tick the transfer ends in carries only its share of the bytes.
        const share = Math.min(1, (m.transferEndS - Math.max(t0, m.startS)) / this.tickS);
        for (const li of m.path) {
          const l = f.links[li];
          if (l) l.offeredBps += m.rateBps * Math.max(0, share);
        }
      }
    }
  }

  private addGangTraffic(w: Workload): void {
    const bps = COMM_BPS_PER_GPU[w.comm];
    if (bps === 0) return;
    const f = this.fabric;
    const first = f.gpuRegion[w.alloc[0] as number] as number;
    let other = -1;
    let nOther = 0;
    for (const g of w.alloc) {
      const r = f.gpuRegion[g] as number;
      if (r !== first) {
        other = r;
        nOther++;
      }
    }
    if (other < 0) return;
    const boundary = Math.min(nOther, w.alloc.length - nOther);
    const path = this.routes.path(first, other);
    if (!path) return;
    for (const li of path) {
      const l = f.links[li];
      if (l) l.offeredBps += bps * boundary;
    }
  }

  /** How fast a spanning gang progresses given its route: stalls on a cut, slows with delay and loss. */
  private commFactor(w: Workload): number {
    if (w.comm === 'independent' || w.comm === 'inference') return 1;
    const f = this.fabric;
    const first = f.gpuRegion[w.alloc[0] as number] as number;
    let other = -1;
    for (const g of w.alloc) if ((f.gpuRegion[g] as number) !== first) other = f.gpuRegion[g] as number;
    if (other < 0) return 1;
    const path = this.routes.path(first, other);
    if (!path) return 0;
    const rtt = 2 * this.routes.delayMs(first, other);
    let loss = 0;
    for (const li of path) loss += f.links[li]?.lossPct ?? 0;
    return w.comm === 'data_parallel' ? 1 / (1 + rtt / 15 + loss * 0.5) : 1 / (1 + rtt / 100 + loss * 0.2);
  }

  private progress(t1: number, dt: number): void {
    const f = this.fabric;
    for (const w of this.running) {
      if (w.state !== 'running' || w.alloc.length === 0) continue;
      let clock = 0;
      for (const g of w.alloc) {
        const m = f.gpuModel[g];
        clock += m ? (f.clock[g] as number) / m.maxClockMhz : 0;
      }
      const speed = (clock / w.alloc.length) * this.commFactor(w);
      w.progressS += dt * speed;
      if (w.kind === 'inference') {
        // p99 of an M/M/1-ish server: 40 ms at no load, growing as the replicas near saturation;
        // throttled clocks shrink capacity.
        const capacity = w.gpus * (w.peakRpsPerReplica ?? 40) * 1.25 * Math.max(0.1, speed);
        const rho = Math.min(0.99, w.rps / capacity);
        const p99 = 40 / (1 - rho);
        w.p99Ms = p99;
        if (p99 > (w.sloMs ?? 200)) {
          w.sloViolationS += dt;
          this.stats.sloViolationS += dt;
        }
      }
    }
    void t1;
  }

  private markChanged(w: Workload): void {
    this.changed.push(...this.workloadRows(w, this.tickTs));
  }

  regionName(i: number): string {
    return this.fabric.regions[i]?.name ?? '';
  }

  /**
   * The rows that state a workload. A pipeline gang placed across two regions is written as two
   * coupled stage rows, the head (its id, in its current region) and `<id>/span` (its GPUs in the
   * other region), so that a reader of the store counts each region's GPUs where they are and sees
   * which link the stages talk over. The twin moves a gang whole through its head (executeMove), so
   * the span row is pinned; once the gang no longer spans, the span row is closed.
   */
  private workloadRows(w: Workload, ts: number): TableRows['workloads'][] {
    const f = this.fabric;
    let remote = -1;
    let nRemote = 0;
    // A gang being moved holds its target GPUs already and lands whole: it does not span.
    if (!w.migration)
      for (const g of w.alloc) {
        const r = f.gpuRegion[g] as number;
        if (r !== w.currentRegion) {
          remote = r;
          nRemote++;
        }
      }
    const spanId = `${w.id}${SPAN_SUFFIX}`;
    const head: TableRows['workloads'] = {
      ts,
      source: SIM_SOURCE,
      workload_id: w.id,
      kind: w.kind,
      comm_class: w.comm,
      gpus: w.gpus - nRemote,
      region: this.regionName(w.currentRegion),
      checkpoint_bytes: w.checkpointBytes,
      state: w.state,
      priority: w.priority ?? 0,
      pinned: w.pinned ? 1 : 0,
      coupled_with: nRemote > 0 ? [spanId] : [],
      // What the twin does not model is stated as unknown rather than invented: its inference sets
      // move whole (executeMove allocates all their GPUs at the target), so no replica size; no
      // workload asks for a GPU model or memory; no gang declares low-communication sync or a
      // latency budget; and progress is not checkpointed periodically, so no checkpoint time.
      replica_gpus: 0,
      gpu_model: '',
      min_gpu_memory: 0,
      last_checkpoint_ts: null,
      low_comm: 0,
      latency_budget_ms: 0,
    };
    if (nRemote > 0) {
      this.spanning.set(w.id, this.regionName(remote));
      return [
        head,
        {
          ...head,
          workload_id: spanId,
          gpus: nRemote,
          region: this.regionName(remote),
          // Its state travels with the head's checkpoint.
          checkpoint_bytes: 0,
          pinned: 1,
          coupled_with: [w.id],
        },
      ];
    }
    const wasIn = this.spanning.get(w.id);
    if (wasIn === undefined) return [head];
    this.spanning.delete(w.id);
    const closed: TableRows['workloads'] = {
      ...head,
      workload_id: spanId,
      region: wasIn,
      gpus: 0,
      checkpoint_bytes: 0,
      pinned: 1,
      coupled_with: [w.id],
      state: w.state === 'failed' ? 'failed' : 'done',
    };
    return [head, closed];
  }
}

/** Knuth's method: fine for the small per-tick means the arrival processes have. */
function poisson(lambda: number, rng: Rng): number {
  if (lambda <= 0) return 0;
  if (lambda > 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * rng.normal()));
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = rng.next();
  while (p > limit) {
    k++;
    p *= rng.next();
  }
  return k;
}
