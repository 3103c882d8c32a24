/**
 * Where work comes from: the scenario's generator (Poisson arrivals per kind from the seeded
 * arrivals stream, multiplied by running surges, plus the initial fill at t=0) and the replayed
 * trace (pods at their trace times). Every arrival is admitted to the workload table and the queue.
 */
import { resolve, dirname } from 'node:path';
import type { Rng } from '../rng.js';
import type { GeneratorSpec } from '../scenario.js';
import { readTrace, traceWorkloads, type TracedWorkload } from '../trace.js';
import type { Workload, WorkloadKind, WorkloadSpec } from '../workloads.js';
import type { Events } from './events.js';
import type { Placement } from './placement.js';
import type { WorkloadRows } from './rows.js';
import type { TwinState } from './state.js';

export class Arrivals {
  private traced: TracedWorkload[] = [];
  /** Work given to the twin as already running at t = 0 (TwinOptions.workloads). */
  private readonly seeded: readonly WorkloadSpec[];
  private traceNext = 0;
  private seq = 0;

  constructor(
    private readonly s: TwinState,
    private readonly rng: Rng,
    private readonly rows: WorkloadRows,
    private readonly placement: Placement,
    private readonly events: Events,
    opts: { tracePath: string | undefined; seed: number; workloads: readonly WorkloadSpec[] },
  ) {
    const { tracePath, seed } = opts;
    this.seeded = opts.workloads;
    const trace = s.scenario.workloads.trace;
    if (trace) {
      const path = tracePath ?? resolve(dirname(s.scenario.file), trace.path);
      const { layout, pods } = readTrace(path, trace);
      this.traced = traceWorkloads(
        pods,
        trace,
        { names: s.fabric.regions.map((r) => r.name), gpuCounts: s.fabric.regions.map((r) => r.gpuCount) },
        seed,
        layout,
      );
    }
  }

  /** Admit the trace pods and generated work that arrive in [t0, t1). */
  arrive(t0: number, t1: number): void {
    this.arriveTrace(t1);
    const gen = this.s.scenario.workloads.generator;
    if (!gen) return;
    for (const kind of ['training', 'inference', 'batch'] as const) {
      const spec = gen[kind];
      if (!spec || spec.per_hour <= 0) continue;
      const lambda = (spec.per_hour * this.events.surgeFactor(kind) * (t1 - t0)) / 3600;
      const n = poisson(lambda, this.rng);
      for (let i = 0; i < n; i++) this.admit(this.generate(kind, gen, t0 + ((i + 0.5) / n) * (t1 - t0), 0));
    }
  }

  /** Admit the trace pods that arrive before t1. */
  private arriveTrace(t1: number): void {
    while (this.traceNext < this.traced.length && (this.traced[this.traceNext] as TracedWorkload).spec.arrivalS < t1) {
      const { spec, draw } = this.traced[this.traceNext++] as TracedWorkload;
      // Submitted where the trace says; placed by the admission weights where the scheduler set them.
      this.admit({ ...spec, region: this.placement.traceRegion(spec.region, draw) });
    }
  }

  /** At t=0, fill the fleet to the generator's `initial_fill` with work already part done. */
  initialFill(): void {
    for (const spec of this.seeded) this.admit(spec);
    // Trace pods alive at the trace offset start at t = 0, so the run opens at the trace's load.
    this.arriveTrace(Number.MIN_VALUE);
    const gen = this.s.scenario.workloads.generator;
    if (!gen) return;
    const s = this.s;
    const kinds = (['training', 'inference', 'batch'] as const).filter((k) => (gen[k]?.per_hour ?? 0) > 0);
    if (kinds.length === 0 || gen.initial_fill <= 0) return;
    const target = gen.initial_fill * s.fabric.gpuCount;
    let busy = 0;
    for (let misses = 0; busy < target && misses < 50;) {
      const kind = this.rng.pick(kinds);
      const w = this.admit(this.generate(kind, gen, 0, this.rng.uniform(0.05, 0.9)));
      if (this.placement.place(w)) {
        busy += w.gpus;
        s.queue = s.queue.filter((q) => q !== w);
      } else {
        // Did not fit: withdraw it, so t=0 starts with an empty queue.
        s.queue = s.queue.filter((q) => q !== w);
        s.byId.delete(w.id);
        s.workloads.pop();
        s.stats.arrived--;
        this.rows.withdraw(w.id);
        misses++;
      }
    }
  }

  private admit(spec: WorkloadSpec): Workload {
    const s = this.s;
    const w: Workload = {
      ...spec,
      slot: s.workloads.length,
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
    s.workloads.push(w);
    s.byId.set(w.id, w);
    s.queue.push(w);
    this.rows.markChanged(w);
    s.stats.arrived++;
    return w;
  }

  /** One generated workload of `kind`; its draws from the arrivals stream do not depend on the weights. */
  private generate(kind: WorkloadKind, gen: GeneratorSpec, arrivalS: number, progressFrac: number): WorkloadSpec {
    const rng = this.rng;
    const region = this.placement.pickRegion(rng);
    const id = `${kind === 'training' ? 'train' : kind === 'inference' ? 'infer' : 'batch'}-${String(++this.seq).padStart(6, '0')}`;
    if (kind === 'training') {
      const s = gen.training;
      if (!s) throw new Error('unreachable');
      const gpus = rng.pick(s.gpus);
      const comm = rng.pick(s.comm);
      const duration = rng.uniform(s.duration[0], s.duration[1]);
      // A quarter of pipeline gangs are placed across two regions on purpose: the fabric exists to
      // run one job over several cities, and their activations load the long-haul links.
      const span = comm === 'pipeline' && rng.next() < 0.25 ? this.placement.nearestRegion(region) : undefined;
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
