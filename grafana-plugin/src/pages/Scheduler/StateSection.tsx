import { dateTimeFormat } from '@grafana/data';
import { Badge, Button, Stack, useStyles2 } from '@grafana/ui';
import React from 'react';
import { ErrorState, Loading } from '../../components/common/PageStates';
import { Section } from '../../components/common/Section';
import { testIds } from '../../components/testIds';
import { schedulerApi, type SchedulerState } from '../../data/schedulerApi';
import type { AsyncState } from '../../data/useAsync';
import { getStyles } from './styles';
import type { SchedulerAction } from './useSchedulerAction';

/** The "Scheduler" section: running or paused, the last pass, and the controls for an operator. */
export function StateSection({
  state,
  canWrite,
  action,
}: {
  state: AsyncState<SchedulerState>;
  canWrite: boolean;
  action: SchedulerAction;
}) {
  const s = useStyles2(getStyles);
  return (
    <Section
      title="Scheduler"
      actions={
        canWrite && state.status === 'done' ? (
          <Controls paused={state.data.paused} busy={action.busy} act={action.act} />
        ) : undefined
      }
    >
      {state.status === 'loading' && <Loading what="the scheduler state" />}
      {state.status === 'error' && <ErrorState error={state.error} title="Could not reach the scheduler API" />}
      {state.status === 'done' && (
        <div>
          {state.data.paused ? (
            <Badge color="orange" text="paused: no moves are made" />
          ) : (
            <Badge color="green" text="running" />
          )}{' '}
          Last pass{' '}
          {state.data.lastPassTs
            ? `${dateTimeFormat(state.data.lastPassTs, { format: 'YYYY-MM-DD HH:mm:ss', timeZone: 'utc' })} UTC`
            : 'not run yet'}
          .{state.data.lastError && <span className={s.note}>Last error: {state.data.lastError}</span>}
          {!canWrite && (
            <span className={s.note}> You can view the scheduler; controls need the Scheduler operator role.</span>
          )}
        </div>
      )}
    </Section>
  );
}

/** Rebalance now, and pause or resume (whichever applies). */
function Controls({ paused, busy, act }: { paused: boolean; busy: boolean; act: SchedulerAction['act'] }) {
  return (
    <div data-testid={testIds.scheduler.controls}>
      <Stack gap={1}>
        <Button
          data-testid={testIds.scheduler.rebalance}
          icon="sync"
          variant="secondary"
          size="sm"
          disabled={busy}
          onClick={() => act('Rebalance now', schedulerApi.rebalanceNow)}
        >
          Rebalance now
        </Button>
        {paused ? (
          <Button
            data-testid={testIds.scheduler.resume}
            icon="play"
            size="sm"
            disabled={busy}
            onClick={() => act('Resume', schedulerApi.resume)}
          >
            Resume
          </Button>
        ) : (
          <Button
            data-testid={testIds.scheduler.pause}
            icon="pause"
            variant="destructive"
            size="sm"
            disabled={busy}
            onClick={() => act('Pause', schedulerApi.pause)}
          >
            Pause
          </Button>
        )}
      </Stack>
    </div>
  );
}
