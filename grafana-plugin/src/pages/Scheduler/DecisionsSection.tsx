import { Pagination, useStyles2 } from '@grafana/ui';
import React from 'react';
import { Empty, ErrorState, Loading } from '../../components/common/PageStates';
import { DecisionList } from '../../components/common/SchedulerLists';
import { Section } from '../../components/common/Section';
import { testIds } from '../../components/testIds';
import type { DecisionPage } from '../../data/schedulerApi';
import type { AsyncState } from '../../data/useAsync';
import { getStyles } from './styles';
import { DECISIONS_PER_PAGE } from './useSchedulerData';

/** The "Decision history" section: one page of decisions, with a pager. */
export function DecisionsSection({
  decisions,
  query,
  page,
  onPage,
}: {
  decisions: AsyncState<DecisionPage>;
  query: string;
  page: number;
  onPage: (page: number) => void;
}) {
  const s = useStyles2(getStyles);
  return (
    <Section title="Decision history" testId={testIds.scheduler.decisions}>
      {decisions.status === 'loading' && <Loading what="decisions" />}
      {decisions.status === 'error' && (
        <ErrorState error={decisions.error} title="Could not load the decision history" />
      )}
      {decisions.status === 'done' &&
        (decisions.data.decisions.length === 0 ? (
          <Empty
            title="No decisions recorded"
            hint="Every pass records what it moved or held back, with the reason. If the scheduler runs and this stays empty, check that it writes to the same ClickHouse."
          />
        ) : (
          <>
            <DecisionList decisions={decisions.data.decisions} query={query} detailed />
            {/* The API pages by offset without a total: offer the next page while pages come back full. */}
            {(page > 1 || decisions.data.decisions.length === DECISIONS_PER_PAGE) && (
              <div className={s.pager}>
                <Pagination
                  currentPage={page}
                  numberOfPages={decisions.data.decisions.length === DECISIONS_PER_PAGE ? page + 1 : page}
                  onNavigate={onPage}
                />
              </div>
            )}
          </>
        ))}
    </Section>
  );
}
