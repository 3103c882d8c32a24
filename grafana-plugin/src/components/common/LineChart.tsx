import { css } from '@emotion/css';
import { dateTimeFormat, type GrafanaTheme2 } from '@grafana/data';
import { useStyles2, useTheme2 } from '@grafana/ui';
import React, { useMemo } from 'react';
import { fmt } from '../../data/units';
import { testIds } from '../testIds';

export interface Point {
  t: number;
  v: number | null;
}

interface Props {
  name: string;
  title: string;
  unit: string;
  points: Point[];
  width?: number;
  height?: number;
}

/**
 * A small themed SVG line chart. @grafana/ui's TimeSeries lives in its "graveyard" (deprecated) and
 * draws on canvas through uPlot; an SVG path keeps these drill-down charts light, testable in jsdom
 * and correct in both themes.
 */
export function LineChart({ name, title, unit, points, width = 420, height = 140 }: Props) {
  const theme = useTheme2();
  const s = useStyles2(getStyles);
  const pad = { l: 56, r: 8, t: 8, b: 20 };
  const valid = points.filter((p): p is { t: number; v: number } => p.v !== null && Number.isFinite(p.v));
  const geo = useMemo(() => {
    if (valid.length === 0) return null;
    const t0 = valid[0]!.t;
    const t1 = valid[valid.length - 1]!.t;
    let lo = Math.min(...valid.map((p) => p.v));
    let hi = Math.max(...valid.map((p) => p.v));
    if (hi === lo) {
      hi += 1;
      lo = Math.max(0, lo - 1);
    }
    const x = (t: number) => pad.l + ((t - t0) / Math.max(1, t1 - t0)) * (width - pad.l - pad.r);
    const y = (v: number) => pad.t + (1 - (v - lo) / (hi - lo)) * (height - pad.t - pad.b);
    const d = valid.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
    return { d, lo, hi, t0, t1 };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [points, width, height]);
  const last = valid.length ? valid[valid.length - 1]!.v : null;

  return (
    <figure className={s.figure} data-testid={testIds.chart(name)}>
      <figcaption className={s.caption}>
        <span>{title}</span>
        <strong>{fmt(last, unit)}</strong>
      </figcaption>
      {geo ? (
        <svg viewBox={`0 0 ${width} ${height}`} width="100%" role="img" aria-label={`${title} over time`}>
          <line
            x1={pad.l}
            x2={width - pad.r}
            y1={height - pad.b}
            y2={height - pad.b}
            stroke={theme.colors.border.medium}
          />
          <text x={pad.l - 4} y={pad.t + 8} textAnchor="end" fontSize={10} fill={theme.colors.text.secondary}>
            {fmt(geo.hi, unit)}
          </text>
          <text x={pad.l - 4} y={height - pad.b} textAnchor="end" fontSize={10} fill={theme.colors.text.secondary}>
            {fmt(geo.lo, unit)}
          </text>
          <text x={pad.l} y={height - 4} fontSize={10} fill={theme.colors.text.secondary}>
            {dateTimeFormat(geo.t0, { format: 'MM-DD HH:mm', timeZone: 'utc' })}
          </text>
          <text x={width - pad.r} y={height - 4} textAnchor="end" fontSize={10} fill={theme.colors.text.secondary}>
            {dateTimeFormat(geo.t1, { format: 'MM-DD HH:mm', timeZone: 'utc' })}
          </text>
          <path d={geo.d} fill="none" stroke={theme.visualization.getColorByName('blue')} strokeWidth={1.5} />
        </svg>
      ) : (
        <div className={s.noData}>No samples in this range</div>
      )}
    </figure>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  figure: css({ margin: 0, minWidth: 0 }),
  caption: css({
    display: 'flex',
    justifyContent: 'space-between',
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  noData: css({ padding: theme.spacing(3), textAlign: 'center', color: theme.colors.text.disabled }),
});

export function ChartGrid({ children }: { children: React.ReactNode }) {
  const s = useStyles2((theme: GrafanaTheme2) => ({
    grid: css({ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(320px, 1fr))', gap: theme.spacing(2) }),
  }));
  return <div className={s.grid}>{children}</div>;
}
