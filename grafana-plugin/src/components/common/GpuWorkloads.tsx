import { css } from '@emotion/css';
import { type GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';
import React from 'react';
import { Link } from 'react-router-dom';
import { prefixRoute, ROUTES } from '../../constants';
import {
  gpuIntervalsSql,
  toDecision,
  toInterval,
  workloadDecisionsSql,
  workloadPlacementsSql,
  type Interval,
} from '../../data/assignments';
import { runQueries } from '../../data/dsQuery';
import { intervalMs } from '../../data/resolution';
import { useAsync } from '../../data/useAsync';
import { testIds } from '../testIds';
import { useAppSettings } from './AppSettingsContext';
import { Empty, ErrorState, Loading } from './PageStates';
import { Section } from './Section';
import type { TimeRangeState } from './useTimeRange';
import { compactTable } from './tableStyle';

const when = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
const span = (i: Pick<Interval, 'from' | 'to'>) => `${when(i.from)} → ${i.to === null ? 'running' : when(i.to)}`;

/**
 * One GPU's holders over the range (pods, Slurm jobs, containers, units), and the history of one
 * of their workloads: the regions and hosts it ran on, and the scheduler's moves and holds of it.
 * The workload is the one the URL names (`?workload=`, what the GPU table links to), else the
 * GPU's latest holder.
 */
export function GpuWorkloads({ uuid, workload, time }: { uuid: string; workload: string; time: TimeRangeState }) {
  const s = useStyles2(getStyles);
  const { clickhouseUid } = useAppSettings();
  const range = { from: time.fromMs, to: time.toMs };
  const step = intervalMs(time.fromMs, time.toMs, 'raw');
  const intervals = useAsync(async () => {
    const rows = await runQueries(clickhouseUid, { intervals: gpuIntervalsSql(uuid) }, range, step);
    return (rows.intervals ?? []).map(toInterval);
  }, [clickhouseUid, uuid, time.fromMs, time.toMs, time.refreshKey]);
  const chosen = workload || (intervals.status === 'done' ? (intervals.data[0]?.workload_id ?? '') : '');
  const history = useAsync(async () => {
    if (!chosen) return undefined;
    const rows = await runQueries(
      clickhouseUid,
      { placements: workloadPlacementsSql(chosen), decisions: workloadDecisionsSql(chosen) },
      range,
      step,
    );
    return {
      placements: (rows.placements ?? []).map(toInterval),
      decisions: (rows.decisions ?? []).map(toDecision),
    };
  }, [clickhouseUid, chosen, time.fromMs, time.toMs, time.refreshKey]);

  const link = (id: string) =>
    `${prefixRoute(ROUTES.Gpus)}/${encodeURIComponent(uuid)}?${time.query}&workload=${encodeURIComponent(id)}`;

  return (
    <>
      <Section title="Who held this GPU" testId={testIds.gpus.holders}>
        {intervals.status === 'loading' && <Loading what="the GPU's workloads" />}
        {intervals.status === 'error' && (
          <ErrorState error={intervals.error} title="Could not load who held this GPU" />
        )}
        {intervals.status === 'done' &&
          (intervals.data.length === 0 ? (
            <Empty
              title="No workload held this GPU in this range"
              hint="Attribution comes from the collector (the kubelet's PodResources, or the GPU processes' cgroups). Widen the range, or check that the collector's attribution is on."
            />
          ) : (
            <table className={s.table}>
              <thead>
                <tr>
                  <th>When</th>
                  <th>MIG</th>
                  <th>Held by</th>
                  <th>Workload</th>
                </tr>
              </thead>
              <tbody>
                {intervals.data.map((i) => (
                  <tr key={`${i.from}/${i.mig_instance}`}>
                    <td>{span(i)}</td>
                    <td>{i.mig_instance}</td>
                    <td>
                      {i.orchestrator}: {i.namespace ? `${i.namespace}/` : ''}
                      {i.pod}
                    </td>
                    <td>{i.workload_id ? <Link to={link(i.workload_id)}>{i.workload_id}</Link> : ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ))}
      </Section>
      {chosen && (
        <Section title={`Workload ${chosen}`} testId={testIds.gpus.workload}>
          {history.status === 'loading' && <Loading what="the workload's history" />}
          {history.status === 'error' && (
            <ErrorState error={history.error} title="Could not load the workload's history" />
          )}
          {history.status === 'done' && history.data && (
            <div className={s.columns}>
              <div>
                <h4>Where it ran</h4>
                <ul>
                  {history.data.placements.map((p) => (
                    <li key={`${p.region}/${p.host}/${p.from}`}>
                      {p.region} / {p.host}: {span(p)}
                    </li>
                  ))}
                </ul>
              </div>
              <div>
                <h4>Moves and holds</h4>
                {history.data.decisions.length === 0 ? (
                  <p className={s.muted}>The scheduler did not move or hold it in this range.</p>
                ) : (
                  <ul>
                    {history.data.decisions.map((d) => (
                      <li key={`${d.ts}/${d.action}`}>
                        {when(d.ts)} {d.action} {d.region_from}
                        {d.region_to && d.region_to !== d.region_from ? ` → ${d.region_to}` : ''} ({d.outcome}):{' '}
                        {d.reason}
                      </li>
                    ))}
                  </ul>
                )}
              </div>
            </div>
          )}
        </Section>
      )}
    </>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  table: compactTable(theme),
  columns: css({ display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(320px, 1fr))', gap: theme.spacing(2) }),
  muted: css({ color: theme.colors.text.secondary }),
});
