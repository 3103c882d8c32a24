import { css } from '@emotion/css';
import { type GrafanaTheme2 } from '@grafana/data';
import { PluginPage } from '@grafana/runtime';
import { RefreshPicker, Stack, TimeRangePicker, useStyles2 } from '@grafana/ui';
import React, { type ReactNode } from 'react';
import { testIds } from '../testIds';
import type { TimeRangeState } from './useTimeRange';

interface Props {
  time: TimeRangeState;
  children: ReactNode;
  /** Breadcrumb-style links shown left of the time controls. */
  trail?: ReactNode;
}

/** Every page: Grafana's PluginPage chrome, a time picker and a refresh button. */
export function PageShell({ time, children, trail }: Props) {
  const styles = useStyles2(getStyles);
  return (
    <PluginPage>
      <div className={styles.toolbar} data-testid={testIds.page.toolbar}>
        <div className={styles.trail}>{trail}</div>
        <Stack gap={1} alignItems="center">
          <TimeRangePicker
            value={time.range}
            onChange={time.setRange}
            onChangeTimeZone={() => undefined}
            onMoveBackward={() => shift(time, -1)}
            onMoveForward={() => shift(time, 1)}
            onZoom={() => zoomOut(time)}
            timeZone="utc"
          />
          <RefreshPicker onRefresh={time.refresh} onIntervalChanged={() => undefined} noIntervalPicker />
        </Stack>
      </div>
      {children}
    </PluginPage>
  );
}

function shift(time: TimeRangeState, dir: 1 | -1) {
  const span = time.toMs - time.fromMs;
  const from = time.fromMs + (dir * span) / 2;
  const to = time.toMs + (dir * span) / 2;
  time.setRange({ ...time.range, raw: { from: String(Math.round(from)), to: String(Math.round(to)) } });
}

function zoomOut(time: TimeRangeState) {
  const span = time.toMs - time.fromMs;
  time.setRange({
    ...time.range,
    raw: { from: String(Math.round(time.fromMs - span / 2)), to: String(Math.round(time.toMs + span / 2)) },
  });
}

const getStyles = (theme: GrafanaTheme2) => ({
  toolbar: css({
    display: 'flex',
    justifyContent: 'space-between',
    alignItems: 'center',
    gap: theme.spacing(2),
    marginBottom: theme.spacing(2),
    flexWrap: 'wrap',
  }),
  trail: css({ display: 'flex', gap: theme.spacing(1), alignItems: 'center', color: theme.colors.text.secondary }),
});
