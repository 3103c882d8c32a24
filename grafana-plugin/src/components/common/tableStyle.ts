import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';

/**
 * The app's compact data table: full width, small type, a weak rule under each row. `cell` adds to
 * every th and td (e.g. `whiteSpace: 'nowrap'` where columns must not wrap).
 */
export function compactTable(theme: GrafanaTheme2, cell: Record<string, string> = {}): string {
  return css({
    width: '100%',
    borderCollapse: 'collapse',
    fontSize: theme.typography.bodySmall.fontSize,
    'th, td': {
      padding: theme.spacing(0.5, 1),
      borderBottom: `1px solid ${theme.colors.border.weak}`,
      textAlign: 'left',
      ...cell,
    },
  });
}
