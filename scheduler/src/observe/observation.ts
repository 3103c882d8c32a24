/**
 * What one pass of the loop sees: per-region figures, the link matrix and the workloads. Everything
 * the planner decides is a pure function of an Observation, the config and the scheduler's memory,
 * which is what makes a pass replayable.
 */

export type CommClass = 'independent' | 'inference' | 'pipeline' | 'data_parallel';
export type WorkloadKind = 'training' | 'inference' | 'batch';

export interface RegionObservation {
  readonly region: string;
  /** GPUs the region has (inventory/topology). */
  readonly gpusTotal: number;
  /** Request-based accounting: GPUs held by running workloads, kept beside the measured use. */
  readonly gpusAllocated: number;
  /**
   * Windowed mean of how busy the region's GPUs are, percent 0–100, by the catalog's rule
   * (utilisation.ts: SM active where DCGM profiling exists, a MIG GPU's graphics-engine activity,
   * else NVML utilization); null when no GPU data came in the window.
   */
  readonly utilGpu: number | null;
  /** How many GPUs' figures came from each source of that rule (absent: not known). */
  readonly utilSource?: { readonly smActive: number; readonly grEngine: number; readonly nvml: number };
  /** 1 − power draw / power limit, 0–1; null when unknown. */
  readonly powerHeadroom: number | null;
  /** Degrees between the hottest GPU's windowed temperature and the slowdown threshold. */
  readonly thermalHeadroomC: number | null;
  /** Share of GPU samples in the window that reported throttling, 0–1. */
  readonly throttledShare: number | null;
  /**
   * The same two figures over the freshest window (config `recentSeconds`): has a condition the
   * smoothed window still shows already cleared? Absent or null: only the smoothed figures are known.
   */
  readonly utilGpuRecent?: number | null;
  readonly throttledShareRecent?: number | null;
  /** XID errors per GPU-hour over the window. */
  readonly xidRate: number | null;
  /** Uncorrectable (DBE) ECC errors per GPU-hour over the window. */
  readonly eccRate: number | null;
  /** GPU models present (feasibility: a job asking for a model needs one of these). */
  readonly gpuModels: readonly string[];
  /** Smallest per-GPU memory in the region, bytes; null when unknown. */
  readonly gpuMemoryBytes: number | null;
  /** Newest sample from the region (epoch ms); null when none at all. */
  readonly lastSampleTs: number | null;
}

export interface LinkObservation {
  readonly from: string;
  readonly to: string;
  /** Windowed RTT, ms. */
  readonly rttMs: number | null;
  /** The route's round-trip floor (catalog fiberRttFloorMs: propagation and equipment, both ways), ms. */
  readonly floorMs: number | null;
  readonly lossPct: number | null;
  readonly jitterMs: number | null;
  /** Bytes/s in use and the link's capacity, bytes/s. */
  readonly throughputBps: number | null;
  readonly capacityBps: number | null;
  readonly lastSampleTs: number | null;
  /**
   * The hosts whose probes the figures come from (the pair's elected probers, see the collector's
   * STAMP roster; the twin's link model names none). At most 8, sorted.
   */
  readonly probers?: readonly string[];
}

export interface WorkloadObservation {
  readonly id: string;
  readonly kind: WorkloadKind;
  readonly commClass: CommClass;
  readonly gpus: number;
  readonly region: string;
  readonly checkpointBytes: number;
  readonly priority: number;
  readonly pinned: boolean;
  /**
   * GPUs per divisible unit. Only inference replica sets are divisible (a Deployment can run some
   * replicas in each region); every gang (training, pipeline stage, data-parallel) moves whole.
   */
  readonly replicaGpus?: number;
  /** Data-parallel only: declares DiLoCo-style or hierarchical low-communication sync. */
  readonly lowComm?: boolean;
  /**
   * Other workloads this one exchanges per-step traffic with: the other pipeline stages (or low-comm
   * DP shards) of the same job, by workload id. Their regions are looked up in the same Observation.
   */
  readonly coupledWith?: readonly string[];
  /** Pipeline only: the most RTT the stages tolerate between regions, ms. */
  readonly latencyBudgetMs?: number;
  readonly gpuModel?: string;
  readonly minGpuMemoryBytes?: number;
  /** When the last checkpoint was written (epoch ms): work since then is lost by a move. */
  readonly lastCheckpointTs?: number;
  readonly restartSeconds?: number;
}

export interface Observation {
  /** The instant the pass observed (epoch ms). */
  readonly ts: number;
  readonly regions: readonly RegionObservation[];
  readonly links: readonly LinkObservation[];
  readonly workloads: readonly WorkloadObservation[];
  /**
   * Workloads waiting to start (state `queued`), each in the region it asked for. The plan makes room
   * for a gang that fits in no region (plan.ts, makeRoom). Absent: none known.
   */
  readonly queued?: readonly WorkloadObservation[];
}

export function linkKey(from: string, to: string): string {
  return `${from}->${to}`;
}

/** Links are measured per direction; a pair's health is that of its worse direction. */
export function findLinks(obs: Observation, a: string, b: string): LinkObservation[] {
  return obs.links.filter((l) => (l.from === a && l.to === b) || (l.from === b && l.to === a));
}
