import { css } from '@emotion/css';
import { type GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';
import React from 'react';
import { useNavigate } from 'react-router-dom';
import { AlertList, DecisionList } from '../components/common/SchedulerLists';
import { Empty, ErrorState, Loading } from '../components/common/PageStates';
import { FabricMap } from '../components/common/FabricMap';
import { GrafanaAlertList } from '../components/common/GrafanaAlertList';
import { HottestGpus } from '../components/common/HottestGpus';
import { PageShell } from '../components/common/PageShell';
import { Section } from '../components/common/Section';
import { useAppSettings } from '../components/common/AppSettingsContext';
import { useTimeRange } from '../components/common/useTimeRange';
import { testIds } from '../components/testIds';
import { prefixRoute, ROUTES } from '../constants';
import { loadFabric } from '../data/fabric';
import { schedulerApi } from '../data/schedulerApi';
import { firingMeridianAlerts } from '../data/grafanaAlerts';
import { fmt } from '../data/units';
import { useAsync } from '../data/useAsync';

export default function Overview() {
  const settings = useAppSettings();
  const time = useTimeRange();
  const navigate = useNavigate();
  const s = useStyles2(getStyles);
  const fabric = useAsync(
    () => loadFabric(settings.clickhouseUid, { from: time.fromMs, to: time.toMs }),
    [settings.clickhouseUid, time.fromMs, time.toMs, time.refreshKey],
  );
  // The scheduler is a separate service: its panels fail on their own without hiding the telemetry.
  const alerts = useAsync(() => schedulerApi.alerts(), [time.refreshKey]);
  const grafanaAlerts = useAsync(() => firingMeridianAlerts(), [time.refreshKey]);
  const decisions = useAsync(() => schedulerApi.decisions({ limit: 8, offset: 0 }), [time.refreshKey]);

  return (
    <PageShell time={time}>
      <div data-testid={testIds.overview.container}>
        <Section title="Fabric">
          {fabric.status === 'loading' && <Loading what="regions and links" />}
          {fabric.status === 'error' && <ErrorState error={fabric.error} title="Could not load the fabric" />}
          {fabric.status === 'done' &&
            (fabric.data.regions.length === 0 ? (
              <Empty
                title="No regions reported in this range"
                hint="No GPU samples or topology rows were found. Widen the time range, or check that collectors (or `meridian up`) write to the ClickHouse data source this app is configured with."
              />
            ) : (
              <>
                <div className={s.totals}>
                  <span>
                    <strong>{fabric.data.regions.length}</strong> regions
                  </span>
                  <span>
                    <strong>{fabric.data.regions.reduce((a, r) => a + r.gpus, 0).toLocaleString('en-US')}</strong> GPUs
                  </span>
                  <span>
                    <strong>
                      {fmt(
                        fabric.data.regions.reduce((a, r) => a + (r.power ?? 0), 0),
                        'watt',
                        1,
                      )}
                    </strong>{' '}
                    power
                  </span>
                  <span>
                    <strong>{fabric.data.links.length}</strong> links
                  </span>
                  <span className={s.res}>
                    read from the {fabric.data.resolution === 'raw' ? 'raw' : `${fabric.data.resolution} rollup`} tables
                  </span>
                </div>
                <FabricMap
                  regions={fabric.data.regions}
                  links={fabric.data.links}
                  onRegion={(r) => navigate(`${prefixRoute(ROUTES.Regions)}/${encodeURIComponent(r)}?${time.query}`)}
                  onLink={(id) => navigate(`${prefixRoute(ROUTES.Links)}?${time.query}&link=${encodeURIComponent(id)}`)}
                />
              </>
            ))}
        </Section>
        {/* Only once the fabric loaded: a data source error is then shown once, in the Fabric section. */}
        {fabric.status === 'done' && fabric.data.regions.length > 0 && <HottestGpus time={time} />}
        <div className={s.columns}>
          <Section title="Firing in Grafana (Meridian alert rules)" testId={testIds.overview.grafanaAlerts}>
            {grafanaAlerts.status === 'loading' && <Loading what="Grafana alerts" />}
            {grafanaAlerts.status === 'error' && (
              <ErrorState error={grafanaAlerts.error} title="Could not read Grafana's alerts" />
            )}
            {grafanaAlerts.status === 'done' &&
              (grafanaAlerts.data.length === 0 ? (
                <Empty
                  title="No Meridian alert rule is firing"
                  hint="Rules labelled app=meridian (provisioned from dashboards/alerting/) show here when they fire: Xids, ECC, thermal and power slowdown, stale regions and hosts, link loss and RTT."
                />
              ) : (
                <GrafanaAlertList alerts={grafanaAlerts.data} />
              ))}
          </Section>
          <Section title="Scheduler alerts" testId={testIds.overview.alerts}>
            {alerts.status === 'loading' && <Loading what="alerts" />}
            {alerts.status === 'error' && (
              <ErrorState error={alerts.error} title="Could not load alerts from the scheduler" />
            )}
            {alerts.status === 'done' &&
              (alerts.data.length === 0 ? (
                <Empty
                  title="No active alerts"
                  hint="The scheduler reports no firing alerts. New alerts appear here and on the Scheduler page."
                />
              ) : (
                <AlertList alerts={alerts.data} query={time.query} />
              ))}
          </Section>
          <Section title="Latest rebalancing decisions" testId={testIds.overview.decisions}>
            {decisions.status === 'loading' && <Loading what="decisions" />}
            {decisions.status === 'error' && (
              <ErrorState error={decisions.error} title="Could not load decisions from the scheduler" />
            )}
            {decisions.status === 'done' &&
              (decisions.data.decisions.length === 0 ? (
                <Empty
                  title="No decisions yet"
                  hint="The scheduler has not moved or held any workload. Its decisions and their reasons appear here after its next pass."
                />
              ) : (
                <DecisionList decisions={decisions.data.decisions} query={time.query} />
              ))}
          </Section>
        </div>
      </div>
    </PageShell>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  totals: css({ display: 'flex', gap: theme.spacing(3), marginBottom: theme.spacing(1), flexWrap: 'wrap' }),
  res: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize, alignSelf: 'center' }),
  columns: css({ display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(440px, 1fr))', gap: theme.spacing(2) }),
});
