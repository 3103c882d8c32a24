import { schedulerApi } from '../../data/schedulerApi';
import { useAsync } from '../../data/useAsync';

export const DECISIONS_PER_PAGE = 25;

/*
 * One hook per scheduler resource. Each reloads when `deps` change: the page passes the refresh key and
 * a version bumped after every control action, so an action's effect shows without a manual refresh.
 */

/** Whether the scheduler runs or is paused, its last pass and last error. */
export function useSchedulerState(deps: readonly unknown[]) {
  return useAsync(() => schedulerApi.state(), deps);
}

/** The latest plan, and whether it waits for approval. */
export function useSchedulerPlan(deps: readonly unknown[]) {
  return useAsync(() => schedulerApi.plan(), deps);
}

/** The active alerts. */
export function useSchedulerAlerts(deps: readonly unknown[]) {
  return useAsync(() => schedulerApi.alerts(), deps);
}

/** One page (1-based) of the decision history, DECISIONS_PER_PAGE decisions a page. */
export function useSchedulerDecisions(deps: readonly unknown[], page: number) {
  return useAsync(
    () => schedulerApi.decisions({ limit: DECISIONS_PER_PAGE, offset: (page - 1) * DECISIONS_PER_PAGE }),
    [...deps, page],
  );
}
