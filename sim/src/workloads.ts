/** The workloads the twin runs: training gangs, inference services and batch jobs. */
export type WorkloadKind = 'training' | 'inference' | 'batch';
export type CommClass = 'data_parallel' | 'pipeline' | 'independent' | 'inference';
export type WorkloadState = 'queued' | 'running' | 'migrating' | 'done' | 'failed';

export interface WorkloadSpec {
  readonly id: string;
  readonly kind: WorkloadKind;
  readonly comm: CommClass;
  readonly gpus: number;
  /** Preferred region (index). */
  readonly region: number;
  readonly checkpointBytes: number;
  /** Share of each GPU's memory the workload holds (memory follows job size). */
  readonly memFrac: number;
  /** Utilisation a GPU of this workload runs at, 0–100 (inference scales it by its request rate). */
  readonly utilLevel: number;
  /** Simulated second it arrives. */
  readonly arrivalS: number;
  /**
   * Work to do, in GPU-seconds at full clock per GPU (progress slows when clocks throttle or the
   * gang is stalled), or, when `fixedEnd` is set, wall seconds from start (trace replay).
   */
  readonly durationS: number;
  /** Trace pods end at their trace time whatever their progress. */
  readonly fixedEnd?: boolean;
  readonly priority?: number;
  readonly pinned?: boolean;
  /** Inference only. */
  readonly peakRpsPerReplica?: number;
  readonly sloMs?: number;
  /** Progress already made at arrival (initial fill: jobs already half way through). */
  readonly initialProgressS?: number;
  /** Pipeline gangs may be placed across two regions from the start (the fabric's purpose). */
  readonly spanRegion?: number;
}

export interface Migration {
  readonly moveId: string;
  readonly to: number;
  readonly startS: number;
  readonly transferEndS: number;
  /**
   * When the moved copy has restarted at the target. For a gang this is `endS`; an inference set
   * (make-before-break) serves at the target from here while its source drains until `endS`.
   */
  readonly readyS: number;
  readonly endS: number;
  readonly bytes: number;
  readonly rateBps: number;
  readonly path: readonly number[];
  readonly target: Int32Array;
}

export interface Workload extends WorkloadSpec {
  /** Index in the twin's workload table; the GPU→workload column stores it. */
  readonly slot: number;
  state: WorkloadState;
  /** Region the gang (or most of it) is in now. */
  currentRegion: number;
  alloc: Int32Array;
  progressS: number;
  startS: number;
  endS: number;
  migration: Migration | null;
  moves: number;
  queuedS: number;
  sloViolationS: number;
  /** Current demand, for inference: requests/s. */
  rps: number;
  /** Inference only: the estimated p99 latency of the last tick, ms. */
  p99Ms: number;
  /**
   * Set when a host failure took the gang's GPUs: the region whose cluster re-creates it. It waits
   * for room there (its Job controller restarts it in its own cluster; nothing re-places it in
   * another region unless a rebalancer moves it), and its wait counts from `requeuedS`.
   */
  heldIn?: number;
  /** Simulated second the gang was requeued after a failure (its queue wait counts from here). */
  requeuedS?: number;
}

/** Cross-region traffic each GPU at a region boundary generates, bytes/s, by communication class. */
export const COMM_BPS_PER_GPU: Record<CommClass, number> = {
  // Gradient all-reduce between the halves of a data-parallel gang: heavy.
  data_parallel: 10e9 / 8,
  // Activations between pipeline stages: moderate.
  pipeline: 2e9 / 8,
  independent: 0,
  // Requests and responses from users in other regions: light.
  inference: 0.05e9 / 8,
};
