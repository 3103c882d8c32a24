/**
 * Approval (config `requireApproval`, or executor kind `approval`): a plan with moves waits for a
 * person's approve or reject on the API, until `approvalTtlSeconds`; a newer plan with moves replaces
 * it, and an expired one is dropped by the next pass that plans nothing.
 */
import type { Plan } from '../plan/types.js';

export interface PendingPlan {
  readonly plan: Plan;
  readonly createdTs: number;
  readonly expiresTs: number;
}

export class PlanNotPendingError extends Error {
  constructor(
    readonly passId: string,
    readonly why: 'not-pending' | 'expired' = 'not-pending',
  ) {
    super(why === 'expired' ? `plan ${passId} expired before approval` : `no pending plan ${passId}`);
    this.name = 'PlanNotPendingError';
  }
}

export class Approvals {
  private waiting: PendingPlan | null = null;

  constructor(private readonly ttlMs: number) {}

  get pending(): PendingPlan | null {
    return this.waiting;
  }

  /** This pass's plan: held for approval when it has moves; else an expired one is dropped. */
  offer(plan: Plan, now: number): void {
    if (plan.moves.length > 0) this.waiting = { plan, createdTs: now, expiresTs: now + this.ttlMs };
    else if (this.waiting && now > this.waiting.expiresTs) this.waiting = null;
  }

  /** Takes the pending plan for approve or reject; throws when it is not the one pending, or expired. */
  take(passId: string, now: number): PendingPlan {
    const p = this.waiting;
    if (!p || p.plan.passId !== passId) throw new PlanNotPendingError(passId);
    this.waiting = null;
    if (now > p.expiresTs) throw new PlanNotPendingError(passId, 'expired');
    return p;
  }
}
