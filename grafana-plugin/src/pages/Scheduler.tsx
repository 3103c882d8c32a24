import { css } from '@emotion/css';
import { dateTimeFormat, type GrafanaTheme2 } from '@grafana/data';
import { hasPermission } from '@grafana/runtime';
import { Alert as UiAlert, Badge, Button, Pagination, Stack, useStyles2 } from '@grafana/ui';
import React, { useState } from 'react';
import { Link } from 'react-router-dom';
import { AlertList, DecisionList, linkIdFor } from '../components/common/SchedulerLists';
import { Empty, ErrorState, Loading } from '../components/common/PageStates';
import { PageShell } from '../components/common/PageShell';
import { Section } from '../components/common/Section';
import { useTimeRange } from '../components/common/useTimeRange';
import { testIds } from '../components/testIds';
import { ACTIONS, prefixRoute, ROUTES } from '../constants';
import { toDataError } from '../data/errors';
import { schedulerApi, type Plan } from '../data/schedulerApi';
import { fmt } from '../data/units';
import { useAsync } from '../data/useAsync';

const DECISIONS_PER_PAGE = 25;

export default function Scheduler() {
  const time = useTimeRange();
  const s = useStyles2(getStyles);
  const canWrite = hasPermission(ACTIONS.schedulerWrite);
  const [version, setVersion] = useState(0);
  const [page, setPage] = useState(1);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const deps = [time.refreshKey, version];
  const state = useAsync(() => schedulerApi.state(), deps);
  const plan = useAsync(() => schedulerApi.plan(), deps);
  const alerts = useAsync(() => schedulerApi.alerts(), deps);
  const decisions = useAsync(
    () => schedulerApi.decisions({ limit: DECISIONS_PER_PAGE, offset: (page - 1) * DECISIONS_PER_PAGE }),
    [...deps, page],
  );

  const act = async (label: string, fn: () => Promise<unknown>) => {
    setBusy(true);
    setResult(null);
    try {
      await fn();
      setResult({ ok: true, text: `${label}: done` });
    } catch (e) {
      const err = toDataError(e, label);
      setResult({
        ok: false,
        text:
          err.kind === 'permission'
            ? `${label}: the scheduler refused (permission denied). The app's token may be a viewer token; an admin can set an operator token in the configuration.`
            : err.message,
      });
    } finally {
      setBusy(false);
      setVersion((v) => v + 1);
    }
  };

  return (
    <PageShell time={time} trail={<Link to={`${prefixRoute(ROUTES.Overview)}?${time.query}`}>Overview</Link>}>
      <div data-testid={testIds.scheduler.container}>
        {result && (
          <UiAlert severity={result.ok ? 'success' : 'error'} title={result.text} onRemove={() => setResult(null)} />
        )}
        <Section
          title="Scheduler"
          actions={
            canWrite && state.status === 'done' ? (
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
                  {state.data.paused ? (
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
                query={time.query}
                canWrite={canWrite}
                busy={busy}
                onApprove={(id) => act('Approve plan', () => schedulerApi.approve(id))}
                onReject={(id) => act('Reject plan', () => schedulerApi.reject(id))}
              />
            ))}
        </Section>

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
              <AlertList alerts={alerts.data} query={time.query} />
            ))}
        </Section>

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
                <DecisionList decisions={decisions.data.decisions} query={time.query} detailed />
                {/* The API pages by offset without a total: offer the next page while pages come back full. */}
                {(page > 1 || decisions.data.decisions.length === DECISIONS_PER_PAGE) && (
                  <div className={s.pager}>
                    <Pagination
                      currentPage={page}
                      numberOfPages={decisions.data.decisions.length === DECISIONS_PER_PAGE ? page + 1 : page}
                      onNavigate={setPage}
                    />
                  </div>
                )}
              </>
            ))}
        </Section>
      </div>
    </PageShell>
  );
}

function PlanView(props: {
  plan: Plan;
  pending: boolean;
  expiresTs: number | null;
  query: string;
  canWrite: boolean;
  busy: boolean;
  onApprove: (passId: string) => void;
  onReject: (passId: string) => void;
}) {
  const { plan, pending, query, canWrite, busy } = props;
  const s = useStyles2(getStyles);
  const region = (r: string) => (
    <Link to={`${prefixRoute(ROUTES.Regions)}/${encodeURIComponent(r)}?${query}`}>{r}</Link>
  );
  const link = (from: string, to: string) => (
    <Link to={`${prefixRoute(ROUTES.Links)}?${query}&link=${encodeURIComponent(linkIdFor(from, to))}`}>link</Link>
  );
  return (
    <div>
      <div>
        Pass <code>{plan.passId}</code>{' '}
        <Badge color={pending ? 'orange' : 'blue'} text={pending ? 'waiting for approval' : 'latest plan'} /> with{' '}
        {plan.moves.length} move
        {plan.moves.length === 1 ? '' : 's'}
        {pending && props.expiresTs
          ? `; expires ${dateTimeFormat(props.expiresTs, { format: 'HH:mm:ss', timeZone: 'utc' })} UTC`
          : ''}
        .
      </div>
      {plan.moves.length > 0 && (
        <table className={s.table}>
          <thead>
            <tr>
              <th>Workload</th>
              <th>GPUs</th>
              <th>From → to</th>
              <th>Reason</th>
              <th>Benefit</th>
              <th>Cost</th>
            </tr>
          </thead>
          <tbody>
            {plan.moves.map(({ move, benefit, cost }) => (
              <tr key={move.moveId}>
                <td>{move.workloadId}</td>
                <td>{move.gpus}</td>
                <td>
                  {region(move.from)} → {region(move.to)} ({link(move.from, move.to)})
                </td>
                <td>{move.reason}</td>
                <td>{fmt(benefit, 'short', 1)}</td>
                <td>{fmt(cost, 'short', 1)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {(plan.rejected ?? []).length > 0 && (
        <details>
          <summary>{plan.rejected!.length} candidate moves held back</summary>
          <table className={s.table}>
            <tbody>
              {plan.rejected!.map((r, i) => (
                <tr key={`${r.workloadId}-${r.to}-${i}`}>
                  <td>{r.workloadId}</td>
                  <td>
                    {r.from} → {r.to}
                  </td>
                  <td>{r.reason}</td>
                  <td>{r.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
      {canWrite && pending && (
        <Stack gap={1}>
          <Button
            data-testid={testIds.scheduler.approve}
            icon="check"
            disabled={busy}
            onClick={() => props.onApprove(plan.passId)}
          >
            Approve plan
          </Button>
          <Button
            data-testid={testIds.scheduler.reject}
            icon="times"
            variant="destructive"
            disabled={busy}
            onClick={() => props.onReject(plan.passId)}
          >
            Reject plan
          </Button>
        </Stack>
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  note: css({ color: theme.colors.text.secondary, marginLeft: theme.spacing(1) }),
  pager: css({ display: 'flex', justifyContent: 'center', marginTop: theme.spacing(1) }),
  table: css({
    width: '100%',
    borderCollapse: 'collapse',
    marginBottom: theme.spacing(2),
    'th, td': {
      padding: theme.spacing(0.5, 1),
      borderBottom: `1px solid ${theme.colors.border.weak}`,
      textAlign: 'left',
    },
    th: { color: theme.colors.text.secondary },
  }),
});
