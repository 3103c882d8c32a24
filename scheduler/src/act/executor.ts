/**
 * The contract between the planner and whatever carries out its moves: dry-run, approval, webhook,
 * Kubernetes/Karmada, or the twin (sim/ implements it). Kept tiny on purpose: a move is gang-atomic
 * (a workload moves whole), and the executor reports how it went.
 */
import { cmp } from '../order.js';

export interface Move {
  readonly moveId: string;
  readonly workloadId: string;
  readonly from: string;
  readonly to: string;
  readonly gpus: number;
  readonly checkpointBytes: number;
  /** Human-readable reason, recorded in the audit trail. */
  readonly reason: string;
  /**
   * Optional extensions (executors written against the original contract may ignore them):
   * for a divisible inference set, how many replicas move; the workload's communication class.
   */
  readonly replicas?: number;
  readonly commClass?: string;
}

export type MoveOutcome =
  | { readonly status: 'started'; readonly expectedDurationMs: number; readonly note?: string }
  /** note: what the executor wants in the decision's reason (e.g. the Slurm job ids on both sides). */
  | { readonly status: 'done'; readonly note?: string }
  | { readonly status: 'recorded' }
  | { readonly status: 'pending-approval' }
  | { readonly status: 'failed'; readonly error: string };

export interface Executor {
  readonly name: string;
  execute(move: Move): Promise<MoveOutcome>;
  /**
   * Optional: steer where NEW work starts (Karmada static weights for new replicas), by region name;
   * a region left out gets none. Balancing arrivals costs no migration. Resolves to `recorded` when
   * the weights were only recorded (dry-run), to nothing or `set` once they are in force; throws when
   * they could not be set. Executors without it get no weights; the pass still records them and the
   * API serves them (`GET /api/v1/placement`).
   */
  place?(weights: ReadonlyMap<string, number>): Promise<PlaceOutcome | void>;
}

export type PlaceOutcome = 'set' | 'recorded' | 'unchanged';

/** Weights as a plain object with sorted keys: the JSON every executor and the API send. */
export function weightsObject(weights: ReadonlyMap<string, number>): Record<string, number> {
  return Object.fromEntries([...weights].sort(([a], [b]) => cmp(a, b)));
}
