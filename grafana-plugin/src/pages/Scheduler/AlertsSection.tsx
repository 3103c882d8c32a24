import React from 'react';
import { Empty, ErrorState, Loading } from '../../components/common/PageStates';
import { AlertList } from '../../components/common/SchedulerLists';
import { Section } from '../../components/common/Section';
import { testIds } from '../../components/testIds';
import type { Alert } from '../../data/schedulerApi';
import type { AsyncState } from '../../data/useAsync';

/** The "Alerts" section: the alerts firing now. */
export function AlertsSection({ alerts, query }: { alerts: AsyncState<Alert[]>; query: string }) {
  return (
    <Section title="Alerts" testId={testIds.scheduler.alerts}>
      {alerts.status === 'loading' && <Loading what="alerts" />}
      {alerts.status === 'error' && <ErrorState error={alerts.error} title="Could not load alerts" />}
      {alerts.status === 'done' &&
        (alerts.data.length === 0 ? (
          <Empty
            title="No active alerts"
            hint="Nothing is firing. Alerts also go to Alertmanager when it is configured."
          />
        ) : (
          <AlertList alerts={alerts.data} query={query} />
        ))}
    </Section>
  );
}
