import { css } from '@emotion/css';
import { type GrafanaTheme2 } from '@grafana/data';
import { useStyles2, useTheme2 } from '@grafana/ui';
import React from 'react';
import type { LinkView, RegionView } from '../../data/fabric';
import { fmt } from '../../data/units';
import { testIds } from '../testIds';
import { healthColor } from './HealthBadge';

const W = 900;
const H = 420;
const PAD = 80;

/**
 * Region positions: a geographic projection when every region has coordinates in the topology table
 * (equirectangular, fitted to the fleet's bounding box), otherwise a ring, so the drawing never
 * depends on optional data.
 */
export function layoutRegions(regions: RegionView[]): Map<string, { x: number; y: number }> {
  const out = new Map<string, { x: number; y: number }>();
  const geo =
    regions.length > 1 && regions.every((r) => r.lat !== null && r.lon !== null && (r.lat !== 0 || r.lon !== 0));
  if (geo) {
    const lons = regions.map((r) => r.lon!);
    const lats = regions.map((r) => r.lat!);
    const [x0, x1] = [Math.min(...lons), Math.max(...lons)];
    const [y0, y1] = [Math.min(...lats), Math.max(...lats)];
    for (const r of regions) {
      const x = PAD + ((r.lon! - x0) / Math.max(1e-6, x1 - x0)) * (W - 2 * PAD);
      const y = PAD + (1 - (r.lat! - y0) / Math.max(1e-6, y1 - y0)) * (H - 2 * PAD);
      out.set(r.name, { x, y });
    }
    return out;
  }
  regions.forEach((r, i) => {
    const a = (2 * Math.PI * i) / Math.max(1, regions.length) - Math.PI / 2;
    out.set(r.name, { x: W / 2 + Math.cos(a) * (W / 2 - PAD * 1.5), y: H / 2 + Math.sin(a) * (H / 2 - PAD / 1.5) });
  });
  return out;
}

interface Props {
  regions: RegionView[];
  links: LinkView[];
  onRegion: (name: string) => void;
  onLink: (id: string) => void;
}

export function FabricMap({ regions, links, onRegion, onLink }: Props) {
  const theme = useTheme2();
  const s = useStyles2(getStyles);
  const pos = layoutRegions(regions);
  const maxGpus = Math.max(1, ...regions.map((r) => r.gpus));
  return (
    <svg
      className={s.svg}
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-label="Regions and fiber links"
      data-testid={testIds.overview.map}
    >
      {links.map((l) => {
        const a = pos.get(l.from);
        const b = pos.get(l.to);
        if (!a || !b) return null;
        // Both directions of a pair are drawn side by side, offset perpendicular to the line.
        const dx = b.x - a.x;
        const dy = b.y - a.y;
        const len = Math.hypot(dx, dy) || 1;
        const ox = (-dy / len) * 3;
        const oy = (dx / len) * 3;
        return (
          <g key={l.id} data-testid={testIds.overview.link(l.id)} className={s.clickable} onClick={() => onLink(l.id)}>
            <title>
              {`${l.from} → ${l.to}: RTT ${fmt(l.rtt, 'ms', 2)} (floor ${fmt(l.floor, 'ms', 2)}), loss ${fmt(l.loss, 'percent', 2)}, utilization ${fmt(l.utilization, 'percentunit', 0)}`}
            </title>
            <line
              x1={a.x + ox}
              y1={a.y + oy}
              x2={b.x + ox}
              y2={b.y + oy}
              stroke={healthColor(theme, l.health)}
              strokeWidth={3}
            />
          </g>
        );
      })}
      {regions.map((r) => {
        const p = pos.get(r.name)!;
        const radius = 14 + 16 * Math.sqrt(r.gpus / maxGpus);
        return (
          <g
            key={r.name}
            data-testid={testIds.overview.region(r.name)}
            className={s.clickable}
            onClick={() => onRegion(r.name)}
            role="link"
            aria-label={`Region ${r.name}`}
          >
            <circle
              cx={p.x}
              cy={p.y}
              r={radius}
              fill={healthColor(theme, r.health)}
              fillOpacity={0.25}
              stroke={healthColor(theme, r.health)}
              strokeWidth={2}
            />
            <text x={p.x} y={p.y - radius - 20} textAnchor="middle" className={s.name}>
              {r.name}
            </text>
            <text x={p.x} y={p.y - radius - 6} textAnchor="middle" className={s.figures}>
              {`${r.gpus} GPUs · ${fmt(r.util, 'percent', 0)} · ${fmt(r.power, 'watt', 0)}`}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  svg: css({
    width: '100%',
    height: 'auto',
    maxHeight: 460,
    background: theme.colors.background.canvas,
    borderRadius: theme.shape.radius.default,
  }),
  clickable: css({ cursor: 'pointer' }),
  name: css({ fill: theme.colors.text.primary, fontSize: 14, fontWeight: theme.typography.fontWeightMedium }),
  figures: css({ fill: theme.colors.text.secondary, fontSize: 11 }),
});
