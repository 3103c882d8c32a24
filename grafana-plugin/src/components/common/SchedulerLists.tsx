import { css } from '@emotion/css';
import { dateTimeFormat, type GrafanaTheme2 } from '@grafana/data';
import { Badge, useStyles2 } from '@grafana/ui';
import React, { useState } from 'react';
import { Link } from 'react-router-dom';
import { prefixRoute, ROUTES } from '../../constants';
import { parseJsonField, type Alert, type Decision } from '../../data/schedulerApi';

function when(ts: string | number | undefined | null): string {
  if (ts === undefined || ts === null || ts === '') return '–';
  const ms =
    typeof ts === 'number'
      ? ts
      : /^\d+$/.test(ts)
        ? Number(ts)
        : Date.parse(ts.includes('T') || ts.endsWith('Z') ? ts : `${ts.replace(' ', 'T')}Z`);
  return Number.isFinite(ms) ? dateTimeFormat(ms, { format: 'YYYY-MM-DD HH:mm:ss', timeZone: 'utc' }) : String(ts);
}

/** Link id of the fiber path a move uses, as the link tables name it. */
export function linkIdFor(from: string, to: string): string {
  return `${from}->${to}`;
}

/** Moves that happened are green, failures red, waiting orange; holds (a reasoned no) stay neutral. */
function outcomeColor(d: Decision): 'green' | 'red' | 'orange' | 'blue' {
  if (/fail|reject|error/.test(d.outcome)) return 'red';
  if (/pending/.test(d.outcome)) return 'orange';
  if (d.action === 'hold') return 'blue';
  return 'green';
}

export function DecisionList({
  decisions,
  query,
  detailed = false,
}: {
  decisions: Decision[];
  query: string;
  detailed?: boolean;
}) {
  const s = useStyles2(getStyles);
  const [open, setOpen] = useState<string | null>(null);
  return (
    <table className={s.table}>
      <thead>
        <tr>
          <th>Time (UTC)</th>
          <th>Workload</th>
          <th>Action</th>
          <th>From → to</th>
          <th>Reason</th>
          <th>Outcome</th>
        </tr>
      </thead>
      <tbody>
        {decisions.map((d, i) => (
          // decision ids repeat when a record is re-sent; the position keeps React keys unique.
          <React.Fragment key={`${d.decision_id}-${i}`}>
            <tr data-testid={`decision-${d.decision_id}`}>
              <td>{when(d.ts)}</td>
              <td>{d.workload_id}</td>
              <td>{d.action}</td>
              <td>
                {d.region_from ? (
                  <Link to={`${prefixRoute(ROUTES.Regions)}/${encodeURIComponent(d.region_from)}?${query}`}>
                    {d.region_from}
                  </Link>
                ) : (
                  '–'
                )}
                {' → '}
                {d.region_to ? (
                  <Link to={`${prefixRoute(ROUTES.Regions)}/${encodeURIComponent(d.region_to)}?${query}`}>
                    {d.region_to}
                  </Link>
                ) : (
                  '–'
                )}
                {d.region_from && d.region_to && d.region_from !== d.region_to && (
                  <>
                    {' '}
                    (
                    <Link
                      to={`${prefixRoute(ROUTES.Links)}?${query}&link=${encodeURIComponent(linkIdFor(d.region_from, d.region_to))}`}
                    >
                      link
                    </Link>
                    )
                  </>
                )}
              </td>
              <td>
                {d.reason}
                {detailed && (
                  <button
                    type="button"
                    className={s.more}
                    onClick={() => setOpen(open === d.decision_id ? null : d.decision_id)}
                  >
                    {open === d.decision_id ? 'hide inputs' : 'inputs'}
                  </button>
                )}
              </td>
              <td>
                <Badge color={outcomeColor(d)} text={d.outcome} />
              </td>
            </tr>
            {detailed && open === d.decision_id && (
              <tr>
                <td colSpan={6}>
                  <pre className={s.pre}>
                    {JSON.stringify(
                      {
                        inputs: parseJsonField(d.inputs),
                        scores: parseJsonField(d.scores),
                        limits: d.limits ?? [],
                        benefit: d.benefit,
                        cost: d.cost,
                        executor: d.executor,
                      },
                      null,
                      2,
                    )}
                  </pre>
                </td>
              </tr>
            )}
          </React.Fragment>
        ))}
      </tbody>
    </table>
  );
}

export function AlertList({ alerts, query }: { alerts: Alert[]; query: string }) {
  const s = useStyles2(getStyles);
  const regionLink = (r: string | undefined) =>
    r ? <Link to={`${prefixRoute(ROUTES.Regions)}/${encodeURIComponent(r)}?${query}`}>{r}</Link> : null;
  return (
    <table className={s.table}>
      <thead>
        <tr>
          <th>Alert</th>
          <th>Severity</th>
          <th>Where</th>
          <th>Summary</th>
          <th>Since (UTC)</th>
        </tr>
      </thead>
      <tbody>
        {alerts.map((a, i) => {
          const { alertname, severity, region_from: from, region_to: to } = a.labels;
          return (
            <tr key={`${alertname}-${from ?? ''}-${to ?? ''}-${i}`}>
              <td>{alertname}</td>
              <td>
                <Badge
                  color={severity === 'critical' ? 'red' : severity === 'warning' ? 'orange' : 'blue'}
                  text={severity}
                />
              </td>
              <td>
                {regionLink(from) ?? '–'}
                {to && to !== from ? <> → {regionLink(to)}</> : null}
                {from && to && from !== to && (
                  <>
                    {' '}
                    (
                    <Link to={`${prefixRoute(ROUTES.Links)}?${query}&link=${encodeURIComponent(linkIdFor(from, to))}`}>
                      link
                    </Link>
                    )
                  </>
                )}
              </td>
              <td>{a.summary}</td>
              <td>{when(a.startsAt)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  table: css({
    width: '100%',
    borderCollapse: 'collapse',
    fontSize: theme.typography.bodySmall.fontSize,
    'th, td': {
      textAlign: 'left',
      padding: theme.spacing(0.5, 1),
      borderBottom: `1px solid ${theme.colors.border.weak}`,
      verticalAlign: 'top',
    },
    th: { color: theme.colors.text.secondary, fontWeight: theme.typography.fontWeightMedium },
  }),
  more: css({
    marginLeft: theme.spacing(1),
    background: 'none',
    border: 'none',
    color: theme.colors.text.link,
    cursor: 'pointer',
    padding: 0,
    fontSize: 'inherit',
  }),
  pre: css({ maxHeight: 300, overflow: 'auto', margin: 0 }),
});
