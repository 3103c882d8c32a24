/**
 * The plan's types: what a pass plans (moves, holds, room for a queued gang) and the context every
 * planning step reads.
 */
import type { Highs } from 'highs';
import type { Assessment, RegionAssessment } from '../assess/assess.js';
import type { Move } from '../act/executor.js';
import type { SchedulerConfig } from '../config.js';
import type { SchedulerMemory } from '../memory.js';
import type { Observation, WorkloadObservation } from '../observe/observation.js';
import type { DestOption, Problem } from './problem.js';

/** Names of the rules that can stop a move; they label metrics and audit rows. */
export type RejectReason =
  | 'pinned'
  | 'source-stale'
  | 'priority'
  | 'cooldown'
  | 'backoff'
  | 'flap-prevented'
  | 'no-feasible-destination'
  | 'cost-exceeds-benefit'
  | 'not-selected'
  | 'coupled-partner-moving'
  | 'moves-per-pass'
  | 'moves-per-hour'
  | 'moves-per-region'
  | 'disruption-budget';

export interface PlannedMove {
  readonly move: Move;
  readonly benefit: number;
  readonly cost: number;
  readonly trigger: string;
  readonly evacuate: boolean;
  /** A resubmission of work a failed region stopped: no move limit counts it, in this pass or later. */
  readonly stopped?: true;
  /** The limits checked (and passed) for this move. */
  readonly limits: readonly string[];
  readonly option: DestOption;
}

export interface Rejection {
  readonly workloadId: string;
  readonly commClass: string;
  readonly from: string;
  readonly to: string;
  readonly reason: RejectReason;
  readonly trigger: string;
  readonly benefit: number;
  readonly cost: number;
  readonly detail: string;
}

export interface Plan {
  readonly passId: string;
  readonly ts: number;
  readonly moves: readonly PlannedMove[];
  readonly rejected: readonly Rejection[];
  /** A queued gang this plan's `room` moves make space for, and where; null when none. */
  readonly room: Room | null;
  readonly solver: {
    readonly method: string;
    readonly status: string;
    readonly variables: number;
    readonly objective: number;
  };
}

export interface PlanOptions {
  /** Manual one-shot "rebalance now (fresh)": every unpinned workload is a candidate. */
  readonly fresh?: boolean;
  /** A loaded HiGHS runtime; without it the greedy heuristic is used. */
  readonly highs?: Highs;
  /** Sees the assignment problem before it is solved (the bench measures solvers on it). */
  readonly onProblem?: (p: Problem) => void;
}

export interface PlanResult {
  readonly plan: Plan;
  /** A→B→A returns refused this pass. */
  readonly flapsPrevented: number;
  readonly solveMs: number;
}

export interface Room {
  /** The queued gang. */
  readonly workloadId: string;
  /** The region room is made in. */
  readonly region: string;
  readonly gpus: number;
}

export const HOUR_MS = 3_600_000;

export interface Context {
  readonly obs: Observation;
  readonly asmt: Assessment;
  readonly cfg: SchedulerConfig;
  readonly mem: SchedulerMemory;
  readonly byId: ReadonlyMap<string, WorkloadObservation>;
  /** The fleet's allocated share over the balance regions (for the balance trigger's text). */
  readonly fleetShare: number;
  /** Starved regions that take moves (`ok`, not heating), in assessment order: the holes work may fill. */
  readonly holes: readonly RegionAssessment[];
  readonly holeRegions: ReadonlySet<string>;
  /** Workloads with a move in flight: neither a candidate nor moved for room. */
  readonly inFlight: ReadonlySet<string>;
  /**
   * GPUs per source region of the moves in flight whose workload is still seen there: they relieve
   * the source's overload and imbalance already.
   */
  readonly leaving: ReadonlyMap<string, number>;
}

export interface Blocked {
  readonly reason: RejectReason;
  readonly to: string;
  readonly detail: string;
}

export const pct = (x: number): string => `${Math.round(x * 100)}%`;
