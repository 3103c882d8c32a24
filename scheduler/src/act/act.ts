/**
 * Act: hands planned moves to the executor and remembers what was started (cooldown, flap memory,
 * the hourly limit, moves in flight awaiting verification); a failed move backs its job off.
 */
import type { Assessment } from '../assess/assess.js';
import type { SchedulerConfig } from '../config.js';
import { jobMemory, type SchedulerMemory } from '../memory.js';
import { reasonLabel, type SchedulerMetrics } from '../metrics.js';
import type { PlannedMove } from '../plan/types.js';
import { backoffMs } from './backoff.js';
import type { Executor, MoveOutcome } from './executor.js';

export interface ExecutedMove {
  readonly planned: PlannedMove;
  readonly outcome: MoveOutcome;
}

const HOUR_MS = 3_600_000;

export async function executeMoves(
  moves: readonly PlannedMove[],
  now: number,
  deps: {
    readonly config: SchedulerConfig;
    readonly memory: SchedulerMemory;
    readonly executor: Executor;
    readonly metrics: SchedulerMetrics;
    /** The assessment the moves were planned on (the destination's allocation before the move). */
    readonly asmt: Assessment | null;
  },
): Promise<ExecutedMove[]> {
  const { memory, executor } = deps;
  const out: ExecutedMove[] = [];
  for (const pm of moves) {
    let outcome: MoveOutcome;
    try {
      outcome = await executor.execute(pm.move);
    } catch (err) {
      outcome = { status: 'failed', error: (err as Error).message };
    }
    const job = jobMemory(memory, pm.move.workloadId);
    if (outcome.status === 'started' || outcome.status === 'done') {
      job.moves.push({ ts: now, from: pm.move.from, to: pm.move.to });
      // A resubmission of stopped work is no migration: later passes' hourly limit does not count it.
      if (!pm.stopped) memory.recentMoves.push(now);
      const dest = deps.asmt?.regions.get(pm.move.to);
      memory.inFlight.push({
        move: pm.move,
        decisionId: `${pm.move.moveId}/move`,
        startedTs: now,
        destAllocatedBefore: dest?.gpusAllocated ?? 0,
        expectedDurationMs: outcome.status === 'started' ? outcome.expectedDurationMs : 0,
      });
    } else if (outcome.status === 'failed') {
      failMove(memory, deps.config, pm.move.workloadId, now);
    }
    deps.metrics.moves.inc({ reason: reasonLabel(pm.trigger), outcome: outcome.status });
    out.push({ planned: pm, outcome });
  }
  const hourAgo = now - HOUR_MS;
  memory.recentMoves = memory.recentMoves.filter((t) => t > hourAgo);
  return out;
}

/** A failed or unhelpful move: the job backs off, and is parked after `backoff.maxAttempts`. */
export function failMove(memory: SchedulerMemory, config: SchedulerConfig, workloadId: string, now: number): void {
  const job = jobMemory(memory, workloadId);
  job.failures++;
  job.notBefore =
    job.failures >= config.backoff.maxAttempts
      ? Number.MAX_SAFE_INTEGER // parked: an operator's fresh rebalance or a restart clears it
      : now + backoffMs(config.backoff, job.failures, workloadId);
}

export function outcomeText(o: MoveOutcome): string {
  return o.status === 'failed' ? `failed: ${o.error}` : o.status;
}

/** The executor's note for the decision's reason (e.g. both Slurm job ids); undefined when none. */
export function outcomeNote(o: MoveOutcome): string | undefined {
  return o.status === 'done' || o.status === 'started' ? o.note : undefined;
}
