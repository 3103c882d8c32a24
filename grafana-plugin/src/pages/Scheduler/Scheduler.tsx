import { hasPermission } from '@grafana/runtime';
import { Alert as UiAlert } from '@grafana/ui';
import React, { useState } from 'react';
import { Link } from 'react-router-dom';
import { PageShell } from '../../components/common/PageShell';
import { useTimeRange } from '../../components/common/useTimeRange';
import { testIds } from '../../components/testIds';
import { ACTIONS, prefixRoute, ROUTES } from '../../constants';
import { AlertsSection } from './AlertsSection';
import { DecisionsSection } from './DecisionsSection';
import { PlanSection } from './PlanSection';
import { StateSection } from './StateSection';
import { useSchedulerAction } from './useSchedulerAction';
import { useSchedulerAlerts, useSchedulerDecisions, useSchedulerPlan, useSchedulerState } from './useSchedulerData';

/**
 * The Scheduler page: its state and controls, the current plan, the alerts and the decision history.
 * Every section reloads on refresh and after each control action.
 */
export default function Scheduler() {
  const time = useTimeRange();
  const canWrite = hasPermission(ACTIONS.schedulerWrite);
  const action = useSchedulerAction();
  const [page, setPage] = useState(1);
  const deps = [time.refreshKey, action.version];
  const state = useSchedulerState(deps);
  const plan = useSchedulerPlan(deps);
  const alerts = useSchedulerAlerts(deps);
  const decisions = useSchedulerDecisions(deps, page);
  const { result } = action;

  return (
    <PageShell time={time} trail={<Link to={`${prefixRoute(ROUTES.Overview)}?${time.query}`}>Overview</Link>}>
      <div data-testid={testIds.scheduler.container}>
        {result && (
          <UiAlert severity={result.ok ? 'success' : 'error'} title={result.text} onRemove={action.clearResult} />
        )}
        <StateSection state={state} canWrite={canWrite} action={action} />
        <PlanSection plan={plan} query={time.query} canWrite={canWrite} action={action} />
        <AlertsSection alerts={alerts} query={time.query} />
        <DecisionsSection decisions={decisions} query={time.query} page={page} onPage={setPage} />
      </div>
    </PageShell>
  );
}
