/**
 * Turning the twin's state into catalog rows: the workload rows (each change as it happens, and
 * every live workload re-stated now and then), the GPU, host and link samples of a tick, and the
 * inference latency estimates that go to `extra_metrics`.
 */
import type { SampleColumns, SampleRow, TableRows } from '@meridian/store';
import type { Rng } from '../rng.js';
import { AssignmentRows } from './assignments.js';
import { GPU_ROW, HOST_ROW, LINK_ROW, SIM_SOURCE } from '../rows.js';
import { gpuRows, hostRows, linkRows } from '../telemetry.js';
import type { Workload } from '../workloads.js';
import type { TwinState, WorkloadRow } from './state.js';

/** How often every workload's state is re-stated in `workloads` (besides each change), simulated s. */
const WORKLOAD_SNAPSHOT_S = 60;
const INFERENCE_METRIC_S = 10;
/** The extra_metrics name of the inference latency estimate. */
export const INFERENCE_P99_METRIC = 'inference_p99_ms';

/** Suffix of the stage row that states the part of a pipeline gang placed in a second region. */
const SPAN_SUFFIX = '/span';

/** A tick's samples as column batches, the form the store takes (no object per row). */
export interface TickSamples {
  readonly gpu: SampleColumns;
  readonly host: SampleColumns;
  readonly link: SampleColumns;
}

export interface TickOutput {
  /** Instant of this tick's rows, epoch ms. */
  readonly ts: number;
  /** This tick's gpu, host and link samples as columns: what the runner hands the pipeline. */
  readonly samples: TickSamples;
  /**
   * The same samples as row objects, built from `samples` on first read (for the status view, the
   * tests and the benches that read rows); the store path never reads them, so never pays for them.
   */
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
  /** Which workload holds which GPU: interval starts and ends of this tick (`gpu_assignments`). */
  readonly assignments: TableRows['gpu_assignments'][];
}

/** A TickOutput whose rows are built from its columns only when read. */
class Tick implements TickOutput {
  private rows: { gpu?: SampleRow[]; host?: SampleRow[]; link?: SampleRow[] } = {};
  constructor(
    readonly ts: number,
    readonly samples: TickSamples,
    readonly workloads: TableRows['workloads'][],
    readonly notes: string[],
    readonly extra: TableRows['extra_metrics'][],
    readonly assignments: TableRows['gpu_assignments'][],
  ) {}
  get gpu(): SampleRow[] {
    return (this.rows.gpu ??= GPU_ROW.toRows(this.samples.gpu));
  }
  get host(): SampleRow[] {
    return (this.rows.host ??= HOST_ROW.toRows(this.samples.host));
  }
  get link(): SampleRow[] {
    return (this.rows.link ??= LINK_ROW.toRows(this.samples.link));
  }
}

export class WorkloadRows {
  /** Workload rows of this tick, snapshotted at each state change (a pod may start and end in one tick). */
  private changed: WorkloadRow[] = [];
  /** Gangs whose last rows stated a span stage, and its region: the stage row is closed when they stop spanning. */
  private readonly spanning = new Map<string, string>();
  private lastSnapshotS = -Infinity;
  private readonly assignmentRows: AssignmentRows;
  /** One builder per entity for the twin's life: its dictionaries (hosts, GPU UUIDs) are built once. */
  private readonly builders = { gpu: GPU_ROW.builder(), host: HOST_ROW.builder(), link: LINK_ROW.builder() };

  constructor(private readonly s: TwinState) {
    this.assignmentRows = new AssignmentRows(s);
  }

  /** State the workload as it is now, stamped with the tick being computed. */
  markChanged(w: Workload): void {
    this.changed.push(...this.rowsOf(w, this.s.tickTs));
  }

  /** Drop the rows stated for a workload this tick (the initial fill withdraws one that did not fit). */
  withdraw(id: string): void {
    this.changed = this.changed.filter((c) => c.workload_id !== id);
  }

  /** The rows of the tick that ends at t0 + dt (= `timeS`), stamped `ts`; probes draw from `rngProbe`. */
  tick(t0: number, dt: number, rngProbe: Rng): TickOutput {
    const s = this.s;
    const f = s.fabric;
    const t1 = s.timeS;
    const ts = s.startMs + Math.round(t1 * 1000);
    const b = this.builders;
    gpuRows(f, ts, b.gpu);
    hostRows(f, ts, b.host);
    linkRows(f, ts, dt, rngProbe, b.link);
    const samples: TickSamples = { gpu: b.gpu.take(), host: b.host.take(), link: b.link.take() };
    const workloads = this.changed;
    if (t1 - this.lastSnapshotS >= WORKLOAD_SNAPSHOT_S) {
      // Re-state every live workload now and then, so a reader of the latest rows sees them all.
      this.lastSnapshotS = t1;
      const seen = new Set(workloads.map((r) => r.workload_id));
      for (const w of s.workloads) {
        if (w.state !== 'done' && w.state !== 'failed' && !seen.has(w.id)) workloads.push(...this.rowsOf(w, ts));
      }
    }
    this.changed = [];
    const extra: TableRows['extra_metrics'][] = [];
    if (Math.floor(t1 / INFERENCE_METRIC_S) !== Math.floor(t0 / INFERENCE_METRIC_S)) {
      for (const w of s.running) {
        if (w.kind !== 'inference' || w.alloc.length === 0) continue;
        const g = w.alloc[0] as number;
        extra.push({
          ts,
          source: SIM_SOURCE,
          region: s.regionName(w.currentRegion),
          host: f.hostNames[f.gpuHost[g] as number] as string,
          name: INFERENCE_P99_METRIC,
          labels: { workload_id: w.id, slo_ms: String(w.sloMs ?? 200) },
          value: Math.round(w.p99Ms * 100) / 100,
        });
      }
    }
    return new Tick(ts, samples, workloads, s.notes, extra, this.assignmentRows.tick(ts));
  }

  /**
   * The rows that state a workload. A pipeline gang placed across two regions is written as two
   * coupled stage rows, the head (its id, in its current region) and `<id>/span` (its GPUs in the
   * other region), so that a reader of the store counts each region's GPUs where they are and sees
   * which link the stages talk over. The twin moves a gang whole through its head (Moves.execute), so
   * the span row is pinned; once the gang no longer spans, the span row is closed.
   */
  private rowsOf(w: Workload, ts: number): WorkloadRow[] {
    const s = this.s;
    const f = s.fabric;
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
    const head: WorkloadRow = {
      ts,
      source: SIM_SOURCE,
      workload_id: w.id,
      kind: w.kind,
      comm_class: w.comm,
      gpus: w.gpus - nRemote,
      region: s.regionName(w.currentRegion),
      checkpoint_bytes: w.checkpointBytes,
      state: w.state,
      priority: w.priority ?? 0,
      pinned: w.pinned ? 1 : 0,
      coupled_with: nRemote > 0 ? [spanId] : [],
      // What the twin does not model is stated as unknown rather than invented: its inference sets
      // move whole (Moves.execute allocates all their GPUs at the target), so no replica size; no
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
      this.spanning.set(w.id, s.regionName(remote));
      return [
        head,
        {
          ...head,
          workload_id: spanId,
          gpus: nRemote,
          region: s.regionName(remote),
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
    const closed: WorkloadRow = {
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
