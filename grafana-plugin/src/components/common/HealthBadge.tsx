import { type GrafanaTheme2 } from '@grafana/data';
import { Badge } from '@grafana/ui';
import React from 'react';
import type { Health } from '../../data/health';

export function healthColor(theme: GrafanaTheme2, h: Health): string {
  switch (h) {
    case 'ok':
      return theme.colors.success.main;
    case 'warn':
      return theme.colors.warning.main;
    case 'critical':
      return theme.colors.error.main;
    case 'unknown':
      return theme.colors.text.disabled;
  }
}

const BADGE = { ok: 'green', warn: 'orange', critical: 'red', unknown: 'darkgrey' } as const;
const TEXT = { ok: 'healthy', warn: 'degraded', critical: 'critical', unknown: 'no data' } as const;

export function HealthBadge({ health }: { health: Health }) {
  return <Badge color={BADGE[health]} text={TEXT[health]} />;
}
