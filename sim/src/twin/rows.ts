/**
 * Turning the twin's state into catalog rows: the workload rows (each change as it happens, and
 * every live workload re-stated now and then), the GPU, host and link samples of a tick, and the
 * inference latency estimates that go to `extra_metrics`.
 */
import type { SampleRow, TableRows } from '@meridian/store';
import type { Rng } from '../rng.js';
import { AssignmentRows } from './assignments.js';
import { SIM_SOURCE } from '../rows.js';
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
  /** Which workload holds which GPU: interval starts and ends of this tick (`gpu_assignments`). */
  readonly assignments: TableRows['gpu_assignments'][];
}

export class WorkloadRows {
  /** Workload rows of this tick, snapshotted at each state change (a pod may start and end in one tick). */
  private changed: WorkloadRow[] = [];
  /** Gangs whose last rows stated a span stage, and its region: the stage row is closed when they stop spanning. */
  private readonly spanning = new Map<string, string>();
  private lastSnapshotS = -Infinity;
  private readonly assignmentRows: AssignmentRows;

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
    const gpu: SampleRow[] = [];
    const host: SampleRow[] = [];
    const link: SampleRow[] = [];
    gpuRows(f, ts, gpu);
    hostRows(f, ts, host);
    linkRows(f, ts, dt, rngProbe, link);
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
    return { ts, gpu, host, link, workloads, notes: s.notes, extra, assignments: this.assignmentRows.tick(ts) };
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
