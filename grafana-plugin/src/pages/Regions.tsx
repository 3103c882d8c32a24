import { css } from '@emotion/css';
import { type GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';
import React from 'react';
import { Link, useParams } from 'react-router-dom';
import { useAppSettings } from '../components/common/AppSettingsContext';
import { GpuCharts } from '../components/common/GpuCharts';
import { GpuTable } from '../components/common/GpuTable';
import { HealthBadge } from '../components/common/HealthBadge';
import { Empty, ErrorState, Loading } from '../components/common/PageStates';
import { PageShell } from '../components/common/PageShell';
import { Section } from '../components/common/Section';
import { useTimeRange, type TimeRangeState } from '../components/common/useTimeRange';
import { testIds } from '../components/testIds';
import { prefixRoute, ROUTES } from '../constants';
import { num, runQueries, str } from '../data/dsQuery';
import { loadFabric } from '../data/fabric';
import { nestMig, toGpuRow } from '../data/gpus';
import { regionHealth } from '../data/health';
import { gpuTableSql, hostSummarySql } from '../data/queries';
import { intervalMs } from '../data/resolution';
import { resolutionForRange } from '@meridian/catalog';
import { fmt } from '../data/units';
import { useAsync } from '../data/useAsync';

function useTableStyles() {
  return useStyles2((theme: GrafanaTheme2) => ({
    table: css({
      width: '100%',
      borderCollapse: 'collapse',
      'th, td': {
        padding: theme.spacing(0.5, 1),
        borderBottom: `1px solid ${theme.colors.border.weak}`,
        textAlign: 'left',
      },
      th: { color: theme.colors.text.secondary },
    }),
    trail: css({ display: 'flex', gap: theme.spacing(1) }),
  }));
}

/** /regions: every region with its health; /regions/:region and /regions/:region/hosts/:host drill down. */
export default function Regions() {
  const { region, host } = useParams();
  const time = useTimeRange();
  if (region && host) return <HostPage region={region} host={host} time={time} />;
  if (region) return <RegionPage region={region} time={time} />;
  return <RegionList time={time} />;
}

function Trail({ time, region, host }: { time: TimeRangeState; region?: string; host?: string }) {
  const s = useTableStyles();
  return (
    <nav className={s.trail} aria-label="Breadcrumb">
      <Link to={`${prefixRoute(ROUTES.Overview)}?${time.query}`}>Overview</Link>/
      <Link to={`${prefixRoute(ROUTES.Regions)}?${time.query}`}>Regions</Link>
      {region && (
        <>
          /<Link to={`${prefixRoute(ROUTES.Regions)}/${encodeURIComponent(region)}?${time.query}`}>{region}</Link>
        </>
      )}
      {host && <>/{host}</>}
    </nav>
  );
}

function RegionList({ time }: { time: TimeRangeState }) {
  const { clickhouseUid } = useAppSettings();
  const s = useTableStyles();
  const state = useAsync(
    () => loadFabric(clickhouseUid, { from: time.fromMs, to: time.toMs }),
    [clickhouseUid, time.fromMs, time.toMs, time.refreshKey],
  );
  return (
    <PageShell time={time} trail={<Trail time={time} />}>
      <div data-testid={testIds.regions.container}>
        <Section title="Regions">
          {state.status === 'loading' && <Loading what="regions" />}
          {state.status === 'error' && <ErrorState error={state.error} title="Could not load regions" />}
          {state.status === 'done' &&
            (state.data.regions.length === 0 ? (
              <Empty
                title="No regions in this range"
                hint="Widen the time range, or check that collectors write to this ClickHouse data source."
              />
            ) : (
              <table className={s.table}>
                <thead>
                  <tr>
                    <th>Region</th>
                    <th>Health</th>
                    <th>Hosts</th>
                    <th>GPUs</th>
                    <th>Utilization</th>
                    <th>Power</th>
                    <th>Hottest GPU</th>
                    <th>Throttled</th>
                    <th>XID errors</th>
                  </tr>
                </thead>
                <tbody>
                  {state.data.regions.map((r) => (
                    <tr key={r.name} data-testid={testIds.regions.row(r.name)}>
                      <td>
                        <Link to={`${prefixRoute(ROUTES.Regions)}/${encodeURIComponent(r.name)}?${time.query}`}>
                          {r.name}
                        </Link>
                      </td>
                      <td>
                        <HealthBadge health={r.health} />
                      </td>
                      <td>{r.hosts}</td>
                      <td>{r.gpus.toLocaleString('en-US')}</td>
                      <td>{fmt(r.util, 'percent', 0)}</td>
                      <td>{fmt(r.power, 'watt', 1)}</td>
                      <td>{fmt(r.temp_max, 'celsius', 0)}</td>
                      <td>{fmt(r.throttled, 'percentunit', 1)}</td>
                      <td>{fmt(r.xid_errors, 'short', 0)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ))}
        </Section>
      </div>
    </PageShell>
  );
}

function RegionPage({ region, time }: { region: string; time: TimeRangeState }) {
  const { clickhouseUid } = useAppSettings();
  const s = useTableStyles();
  const hosts = useAsync(async () => {
    const res = resolutionForRange(time.fromMs, time.toMs);
    const rows = await runQueries(
      clickhouseUid,
      { hosts: hostSummarySql(res, region) },
      { from: time.fromMs, to: time.toMs },
      intervalMs(time.fromMs, time.toMs, res),
    );
    return rows.hosts ?? [];
  }, [clickhouseUid, region, time.fromMs, time.toMs, time.refreshKey]);
  return (
    <PageShell time={time} trail={<Trail time={time} region={region} />}>
      <div data-testid={testIds.regions.container}>
        <Section title={`Region ${region}: GPUs over time`}>
          <GpuCharts scope={{ region }} time={time} />
        </Section>
        <Section title={`Hosts in ${region}`}>
          {hosts.status === 'loading' && <Loading what="hosts" />}
          {hosts.status === 'error' && (
            <ErrorState error={hosts.error} title={`Could not load the hosts of ${region}`} />
          )}
          {hosts.status === 'done' &&
            (hosts.data.length === 0 ? (
              <Empty
                title={`No hosts reported in ${region} in this range`}
                hint="Widen the time range, or check the collectors in this region. The region may also have been renamed."
              />
            ) : (
              <table className={s.table}>
                <thead>
                  <tr>
                    <th>Host</th>
                    <th>Health</th>
                    <th>GPUs</th>
                    <th>Utilization</th>
                    <th>Power</th>
                    <th>Hottest GPU</th>
                    <th>Throttled</th>
                    <th>XID errors</th>
                  </tr>
                </thead>
                <tbody>
                  {hosts.data.map((h) => {
                    const name = str(h.host);
                    const figures = {
                      util: num(h.util),
                      temp_max: num(h.temp_max),
                      throttled: num(h.throttled),
                      xid_errors: num(h.xid_errors),
                      ecc_dbe: num(h.ecc_dbe),
                    };
                    return (
                      <tr key={name} data-testid={testIds.regions.hostRow(name)}>
                        <td>
                          <Link
                            to={`${prefixRoute(ROUTES.Regions)}/${encodeURIComponent(region)}/hosts/${encodeURIComponent(name)}?${time.query}`}
                          >
                            {name}
                          </Link>
                        </td>
                        <td>
                          <HealthBadge health={regionHealth(figures)} />
                        </td>
                        <td>{num(h.gpus)}</td>
                        <td>{fmt(figures.util, 'percent', 0)}</td>
                        <td>{fmt(num(h.power), 'watt', 0)}</td>
                        <td>{fmt(figures.temp_max, 'celsius', 0)}</td>
                        <td>{fmt(figures.throttled, 'percentunit', 1)}</td>
                        <td>{fmt(figures.xid_errors, 'short', 0)}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            ))}
        </Section>
      </div>
    </PageShell>
  );
}

function HostPage({ region, host, time }: { region: string; host: string; time: TimeRangeState }) {
  const { clickhouseUid } = useAppSettings();
  const gpus = useAsync(async () => {
    const res = resolutionForRange(time.fromMs, time.toMs);
    const rows = await runQueries(
      clickhouseUid,
      { gpus: gpuTableSql(res, { region, host }) },
      { from: time.fromMs, to: time.toMs },
      intervalMs(time.fromMs, time.toMs, res),
    );
    return nestMig((rows.gpus ?? []).map(toGpuRow));
  }, [clickhouseUid, region, host, time.fromMs, time.toMs, time.refreshKey]);
  return (
    <PageShell time={time} trail={<Trail time={time} region={region} host={host} />}>
      <div data-testid={testIds.regions.container}>
        <Section title={`Host ${host}: GPUs over time`}>
          <GpuCharts scope={{ region, host }} time={time} />
        </Section>
        <Section title={`GPUs on ${host}`}>
          {gpus.status === 'loading' && <Loading what="GPUs" />}
          {gpus.status === 'error' && <ErrorState error={gpus.error} title={`Could not load the GPUs of ${host}`} />}
          {gpus.status === 'done' &&
            (gpus.data.length === 0 ? (
              <Empty
                title={`No GPUs reported on ${host} in this range`}
                hint="Check that the collector on this host runs and can read nvidia-smi or DCGM."
              />
            ) : (
              <GpuTable gpus={gpus.data} query={time.query} />
            ))}
        </Section>
      </div>
    </PageShell>
  );
}
