/**
 * Placement steering (config `placement.steer`): weights for new work, counting this pass's moves,
 * handed to an executor that can place, unless every plan waits for approval: a person approves
 * what changes in the cluster, so the weights are then only recorded and served on the API. A
 * failure to set them is logged and does not fail the pass: arrivals then go where the platform
 * puts them, as without steering.
 */
import type { Assessment } from '../assess/assess.js';
import type { SchedulerConfig } from '../config.js';
import type { SchedulerMemory } from '../memory.js';
import type { Observation } from '../observe/observation.js';
import { placementWeights, type Placement } from '../plan/placement.js';
import type { Plan } from '../plan/types.js';
import type { Executor } from './executor.js';

/**
 * The latest placement weights (served as `GET /api/v1/placement`, for an admission controller or
 * Kueue to read) and what became of them: `set` or `unchanged` (in force), `recorded` (dry-run),
 * `not-set: …` (approval required, or an executor that cannot place), `failed: …`.
 */
export interface PlacementState extends Placement {
  readonly passId: string;
  readonly ts: number;
  readonly outcome: string;
  readonly executor: string;
  /** A region making room for a queued gang: it takes no new work meanwhile. */
  readonly hold: string | null;
}

export async function steer(
  plan: Plan,
  obs: Observation,
  asmt: Assessment,
  now: number,
  deps: {
    readonly config: SchedulerConfig;
    readonly memory: SchedulerMemory;
    readonly executor: Executor;
    readonly log: (line: string) => void;
  },
): Promise<PlacementState> {
  const { config, executor } = deps;
  const hold = plan.room?.region;
  const p = placementWeights(obs, asmt, config, deps.memory, hold);
  const place = executor.place?.bind(executor);
  let outcome: string;
  if (config.requireApproval) outcome = 'not-set: approval required (weights recorded only)';
  else if (!place) outcome = `not-set: executor ${executor.name} cannot place`;
  else {
    try {
      outcome = (await place(p.weights)) ?? 'set';
    } catch (err) {
      outcome = `failed: ${(err as Error).message}`;
      deps.log(`placement weights not set (${executor.name}): ${(err as Error).message}`);
    }
  }
  return { ...p, passId: plan.passId, ts: now, outcome, executor: executor.name, hold: hold ?? null };
}
