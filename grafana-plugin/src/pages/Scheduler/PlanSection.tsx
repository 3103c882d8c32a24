import React from 'react';
import { Empty, ErrorState, Loading } from '../../components/common/PageStates';
import { Section } from '../../components/common/Section';
import { testIds } from '../../components/testIds';
import { schedulerApi, type PlanResponse } from '../../data/schedulerApi';
import type { AsyncState } from '../../data/useAsync';
import { PlanView } from './PlanView';
import type { SchedulerAction } from './useSchedulerAction';
import { WhatIfPanel } from './WhatIfPanel';

/** The "Current plan" section: the latest plan, or why there is none, and (operators) the what-if. */
export function PlanSection({
  plan,
  query,
  canWrite,
  action,
}: {
  plan: AsyncState<PlanResponse>;
  query: string;
  canWrite: boolean;
  action: SchedulerAction;
}) {
  const { busy, act } = action;
  return (
    <Section title="Current plan" testId={testIds.scheduler.plan}>
      {plan.status === 'loading' && <Loading what="the plan" />}
      {plan.status === 'error' && <ErrorState error={plan.error} title="Could not load the plan" />}
      {plan.status === 'done' &&
        (plan.data.plan === null ||
        (plan.data.plan.moves.length === 0 && (plan.data.plan.rejected ?? []).length === 0) ? (
          <Empty
            title="No plan waiting"
            hint="The last pass found nothing worth moving. Use “Rebalance now” to plan again, or check the decision history for what was held back and why."
          />
        ) : (
          <PlanView
            plan={plan.data.plan}
            pending={plan.data.pending}
            expiresTs={plan.data.expiresTs}
            query={query}
            canWrite={canWrite}
            busy={busy}
            onApprove={(id) => act('Approve plan', () => schedulerApi.approve(id))}
            onReject={(id) => act('Reject plan', () => schedulerApi.reject(id))}
          />
        ))}
      {/* Beside approve: the plan's projected effect, or a hypothetical event's, before anything moves. */}
      {canWrite && <WhatIfPanel busy={busy} />}
    </Section>
  );
}
