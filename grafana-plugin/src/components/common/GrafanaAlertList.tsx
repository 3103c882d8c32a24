import { css } from '@emotion/css';
import { dateTimeFormat, type GrafanaTheme2 } from '@grafana/data';
import { Badge, LinkButton, useStyles2 } from '@grafana/ui';
import React from 'react';
import type { GrafanaAlert } from '../../data/grafanaAlerts';

/** Labels that say where an alert is, in the order a person reads them. */
const WHERE = ['region', 'region_from', 'region_to', 'host', 'gpu_uuid', 'xid'] as const;

/** Firing Grafana alerts from Meridian's rules: what, where, since when, and NVIDIA's action for an Xid. */
export function GrafanaAlertList({ alerts }: { alerts: GrafanaAlert[] }) {
  const s = useStyles2(getStyles);
  return (
    <div>
      <ul className={s.list}>
        {alerts.map((a, i) => (
          <li key={`${a.labels.alertname}-${i}`} className={s.item}>
            <div className={s.head}>
              <Badge text={a.labels.severity ?? 'alert'} color={a.labels.severity === 'critical' ? 'red' : 'orange'} />
              <strong>{a.labels.alertname}</strong>
              <span className={s.where}>
                {WHERE.filter((k) => a.labels[k])
                  .map((k) => `${k} ${a.labels[k]}`)
                  .join(' · ')}
              </span>
            </div>
            {a.annotations.summary && <div>{a.annotations.summary}</div>}
            {a.labels.nvidia_action && <div className={s.action}>NVIDIA: {a.labels.nvidia_action}</div>}
            {a.activeAt && (
              <div className={s.when}>
                since {dateTimeFormat(Date.parse(a.activeAt), { format: 'YYYY-MM-DD HH:mm:ss', timeZone: 'utc' })} UTC
              </div>
            )}
          </li>
        ))}
      </ul>
      <LinkButton
        href="/alerting/list?search=label:app%3Dmeridian"
        variant="secondary"
        fill="text"
        size="sm"
        icon="bell"
      >
        Open in Grafana Alerting
      </LinkButton>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  list: css({ listStyle: 'none', margin: 0, padding: 0 }),
  item: css({ padding: theme.spacing(1, 0), borderBottom: `1px solid ${theme.colors.border.weak}` }),
  head: css({ display: 'flex', gap: theme.spacing(1), alignItems: 'center', flexWrap: 'wrap' }),
  where: css({ color: theme.colors.text.secondary }),
  action: css({ fontSize: theme.typography.bodySmall.fontSize }),
  when: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
});
