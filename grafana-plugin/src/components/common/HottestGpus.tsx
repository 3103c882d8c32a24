import { css } from '@emotion/css';
import { type GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';
import React from 'react';
import { Link } from 'react-router-dom';
import { resolutionForRange } from '@meridian/catalog';
import { prefixRoute, ROUTES } from '../../constants';
import { hottestGpusSql, toHotGpu } from '../../data/assignments';
import { runQueries } from '../../data/dsQuery';
import { intervalMs } from '../../data/resolution';
import { fmt } from '../../data/units';
import { useAsync } from '../../data/useAsync';
import { testIds } from '../testIds';
import { useAppSettings } from './AppSettingsContext';
import { Empty, ErrorState, Loading } from './PageStates';
import { Section } from './Section';
import type { TimeRangeState } from './useTimeRange';
import { compactTable } from './tableStyle';

/** The Overview's answer to "who is on the hottest GPUs": the ten hottest, and whose work runs there. */
export function HottestGpus({ time }: { time: TimeRangeState }) {
  const s = useStyles2(getStyles);
  const { clickhouseUid } = useAppSettings();
  const hot = useAsync(async () => {
    const res = resolutionForRange(time.fromMs, time.toMs);
    const rows = await runQueries(
      clickhouseUid,
      { hottest: hottestGpusSql(res) },
      { from: time.fromMs, to: time.toMs },
      intervalMs(time.fromMs, time.toMs, res),
    );
    return (rows.hottest ?? []).map(toHotGpu);
  }, [clickhouseUid, time.fromMs, time.toMs, time.refreshKey]);

  return (
    <Section title="Who is on the hottest GPUs" testId={testIds.overview.hottest}>
      {hot.status === 'loading' && <Loading what="the hottest GPUs" />}
      {hot.status === 'error' && <ErrorState error={hot.error} title="Could not load the hottest GPUs" />}
      {hot.status === 'done' &&
        (hot.data.length === 0 ? (
          <Empty title="No GPU temperatures in this range" hint="Widen the time range." />
        ) : (
          <table className={s.table}>
            <thead>
              <tr>
                <th>GPU</th>
                <th>Where</th>
                <th>Temp max</th>
                <th>Util</th>
                <th>Workload</th>
              </tr>
            </thead>
            <tbody>
              {hot.data.map((g) => {
                const gpu = `${prefixRoute(ROUTES.Gpus)}/${encodeURIComponent(g.gpu_uuid)}?${time.query}`;
                return (
                  <tr key={`${g.host}/${g.gpu_uuid}`}>
                    <td>
                      <Link to={gpu}>{g.gpu_uuid}</Link>
                    </td>
                    <td>
                      {g.region} / {g.host}
                    </td>
                    <td>{fmt(g.temp_max, 'celsius', 0)}</td>
                    <td>{fmt(g.util, 'percent', 0)}</td>
                    <td>
                      {g.workload_id ? (
                        <Link to={`${gpu}&workload=${encodeURIComponent(g.workload_id)}`}>
                          {g.pod ? `${g.namespace ? `${g.namespace}/` : ''}${g.pod}` : g.workload_id}
                        </Link>
                      ) : (
                        <span className={s.muted}>nobody</span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        ))}
    </Section>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  table: compactTable(theme),
  muted: css({ color: theme.colors.text.secondary }),
});
