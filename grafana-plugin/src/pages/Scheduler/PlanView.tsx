import { dateTimeFormat } from '@grafana/data';
import { Badge, Button, Stack, useStyles2 } from '@grafana/ui';
import React from 'react';
import { Link } from 'react-router-dom';
import { linkIdFor } from '../../components/common/SchedulerLists';
import { testIds } from '../../components/testIds';
import { prefixRoute, ROUTES } from '../../constants';
import type { Plan } from '../../data/schedulerApi';
import { fmt } from '../../data/units';
import { getStyles } from './styles';

/** One plan: its moves with their benefit and cost, what was held back, and approve or reject for an operator. */
export function PlanView(props: {
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
