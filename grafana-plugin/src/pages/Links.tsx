import { css, cx } from '@emotion/css';
import { type GrafanaTheme2 } from '@grafana/data';
import { RadioButtonGroup, useStyles2, useTheme2 } from '@grafana/ui';
import React, { useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { useAppSettings } from '../components/common/AppSettingsContext';
import { healthColor, HealthBadge } from '../components/common/HealthBadge';
import { ChartGrid, LineChart, type Point } from '../components/common/LineChart';
import { Empty, ErrorState, Loading } from '../components/common/PageStates';
import { PageShell } from '../components/common/PageShell';
import { Section } from '../components/common/Section';
import { useTimeRange, type TimeRangeState } from '../components/common/useTimeRange';
import { testIds } from '../components/testIds';
import { prefixRoute, ROUTES } from '../constants';
import { LINK_SERIES } from '../data/catalogRefs';
import { num, runQueries, timeMs } from '../data/dsQuery';
import { loadFabric, type LinkView } from '../data/fabric';
import { linkHistorySql } from '../data/queries';
import { intervalMs } from '../data/resolution';
import { resolutionForRange } from '@meridian/catalog';
import { fmt, grafanaUnit } from '../data/units';
import { useAsync } from '../data/useAsync';

type Figure = 'rtt' | 'jitter' | 'loss' | 'throughput';
const FIGURES: Array<{ value: Figure; label: string; unit: string; decimals: number }> = [
  { value: 'rtt', label: 'RTT', unit: 'ms', decimals: 2 },
  { value: 'jitter', label: 'Jitter', unit: 'ms', decimals: 2 },
  { value: 'loss', label: 'Loss', unit: 'percent', decimals: 2 },
  { value: 'throughput', label: 'Throughput', unit: 'Bps', decimals: 1 },
];

/** /links: the region×region matrix; ?link=<id> adds that link's history with optics and FEC. */
export default function Links() {
  const time = useTimeRange();
  const { clickhouseUid } = useAppSettings();
  const [params, setParams] = useSearchParams();
  const selected = params.get('link') ?? '';
  const [figure, setFigure] = useState<Figure>('rtt');
  const s = useStyles2(getStyles);
  const theme = useTheme2();
  const fabric = useAsync(
    () => loadFabric(clickhouseUid, { from: time.fromMs, to: time.toMs }),
    [clickhouseUid, time.fromMs, time.toMs, time.refreshKey],
  );

  const select = (id: string) => {
    const next = new URLSearchParams(params);
    next.set('link', id);
    setParams(next);
  };

  return (
    <PageShell time={time} trail={<Link to={`${prefixRoute(ROUTES.Overview)}?${time.query}`}>Overview</Link>}>
      <div data-testid={testIds.links.container}>
        <Section
          title="Region × region"
          actions={<RadioButtonGroup options={FIGURES} value={figure} onChange={setFigure} size="sm" />}
        >
          {fabric.status === 'loading' && <Loading what="the link matrix" />}
          {fabric.status === 'error' && <ErrorState error={fabric.error} title="Could not load the links" />}
          {fabric.status === 'done' &&
            (fabric.data.links.length === 0 ? (
              <Empty
                title="No inter-region link measurements in this range"
                hint="Check that link probes (STAMP or ping) run between regions, or widen the time range."
              />
            ) : (
              <Matrix
                links={fabric.data.links}
                regions={fabric.data.regions.map((r) => r.name)}
                figure={figure}
                selected={selected}
                onSelect={select}
                theme={theme}
                s={s}
              />
            ))}
        </Section>
        {selected && fabric.status === 'done' && (
          <LinkHistory link={fabric.data.links.find((l) => l.id === selected)} id={selected} time={time} />
        )}
      </div>
    </PageShell>
  );
}

function Matrix(props: {
  links: LinkView[];
  regions: string[];
  figure: Figure;
  selected: string;
  onSelect: (id: string) => void;
  theme: GrafanaTheme2;
  s: ReturnType<typeof getStyles>;
}) {
  const { links, figure, selected, onSelect, theme, s } = props;
  const names = [...new Set([...props.regions, ...links.flatMap((l) => [l.from, l.to])])].sort();
  const byPair = new Map(links.map((l) => [`${l.from}|${l.to}`, l]));
  const f = FIGURES.find((x) => x.value === figure)!;
  return (
    <table className={s.matrix} data-testid={testIds.links.matrix}>
      <thead>
        <tr>
          <th>from \ to</th>
          {names.map((n) => (
            <th key={n}>{n}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {names.map((from) => (
          <tr key={from}>
            <th>{from}</th>
            {names.map((to) => {
              const l = byPair.get(`${from}|${to}`);
              if (!l)
                return (
                  <td key={to} className={s.none}>
                    {from === to ? '' : '–'}
                  </td>
                );
              return (
                <td
                  key={to}
                  data-testid={testIds.links.cell(from, to)}
                  className={cx(s.cell, l.id === selected && s.selected)}
                  style={{ borderLeft: `4px solid ${healthColor(theme, l.health)}` }}
                  onClick={() => onSelect(l.id)}
                  title={`${l.id}: RTT ${fmt(l.rtt, 'ms', 2)}, floor ${fmt(l.floor, 'ms', 2)}, jitter ${fmt(l.jitter, 'ms', 2)}, loss ${fmt(l.loss, 'percent', 2)}`}
                >
                  {fmt(l[figure], f.unit, f.decimals)}
                  {figure === 'rtt' && l.floor !== null && <div className={s.sub}>floor {fmt(l.floor, 'ms', 1)}</div>}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function LinkHistory({ link, id, time }: { link?: LinkView; id: string; time: TimeRangeState }) {
  const { clickhouseUid } = useAppSettings();
  const state = useAsync(async () => {
    const res = resolutionForRange(time.fromMs, time.toMs);
    const rows = await runQueries(
      clickhouseUid,
      { history: linkHistorySql(res, id, LINK_SERIES) },
      { from: time.fromMs, to: time.toMs },
      intervalMs(time.fromMs, time.toMs, res),
    );
    return rows.history ?? [];
  }, [clickhouseUid, id, time.fromMs, time.toMs, time.refreshKey]);
  return (
    <Section title={`Link ${id}`} testId={testIds.links.history}>
      {link ? (
        <div>
          <HealthBadge health={link.health} /> RTT {fmt(link.rtt, 'ms', 2)} against a fiber floor of{' '}
          {fmt(link.floor, 'ms', 2)}
          {link.route_km ? ` (${link.route_km.toLocaleString('en-US')} km)` : ''}, jitter {fmt(link.jitter, 'ms', 2)},
          loss {fmt(link.loss, 'percent', 2)}, utilization {fmt(link.utilization, 'percentunit', 0)}. Regions:{' '}
          <Link to={`${prefixRoute(ROUTES.Regions)}/${encodeURIComponent(link.from)}?${time.query}`}>{link.from}</Link>{' '}
          → <Link to={`${prefixRoute(ROUTES.Regions)}/${encodeURIComponent(link.to)}?${time.query}`}>{link.to}</Link>
          {link.probed_by ? `. Probed from ${link.probed_by}.` : ''}
        </div>
      ) : (
        <p>No summary for {id} in this range.</p>
      )}
      {state.status === 'loading' && <Loading what="the link history" />}
      {state.status === 'error' && <ErrorState error={state.error} title={`Could not load the history of ${id}`} />}
      {state.status === 'done' &&
        (state.data.length === 0 ? (
          <Empty
            title={`No samples for ${id} in this range`}
            hint="The link may not be probed any more; widen the time range or pick another cell."
          />
        ) : (
          <ChartGrid>
            {LINK_SERIES.map((m) => {
              const col = m.kind === 'counter' ? `${m.name}_per_s` : m.name;
              const points: Point[] = state.data.map((r) => ({ t: timeMs(r.time) ?? 0, v: num(r[col]) }));
              // Optics and FEC exist only where ethtool collected them: skip series with no values at all.
              if (points.every((p) => p.v === null)) return null;
              const title =
                m.kind === 'counter'
                  ? `${m.description.split('(')[0]!.trim()} per second`
                  : m.description.split('.')[0]!;
              return (
                <LineChart
                  key={m.name}
                  name={m.name}
                  title={title}
                  unit={m.kind === 'counter' ? 'short' : grafanaUnit(m.unit)}
                  points={points}
                />
              );
            })}
          </ChartGrid>
        ))}
    </Section>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  matrix: css({
    borderCollapse: 'collapse',
    fontSize: theme.typography.bodySmall.fontSize,
    'th, td': { padding: theme.spacing(0.5, 1), border: `1px solid ${theme.colors.border.weak}`, textAlign: 'right' },
    th: { color: theme.colors.text.secondary, background: theme.colors.background.secondary },
  }),
  cell: css({ cursor: 'pointer', '&:hover': { background: theme.colors.action.hover } }),
  selected: css({ background: theme.colors.action.selected }),
  none: css({ color: theme.colors.text.disabled, textAlign: 'center' }),
  sub: css({ color: theme.colors.text.secondary, fontSize: theme.typography.size.xs }),
});
