import { css } from '@emotion/css';
import { type GrafanaTheme2 } from '@grafana/data';

/** The Scheduler page's styles, shared by its sections. */
export const getStyles = (theme: GrafanaTheme2) => ({
  note: css({ color: theme.colors.text.secondary, marginLeft: theme.spacing(1) }),
  pager: css({ display: 'flex', justifyContent: 'center', marginTop: theme.spacing(1) }),
  table: css({
    width: '100%',
    borderCollapse: 'collapse',
    marginBottom: theme.spacing(2),
    'th, td': {
      padding: theme.spacing(0.5, 1),
      borderBottom: `1px solid ${theme.colors.border.weak}`,
      textAlign: 'left',
    },
    th: { color: theme.colors.text.secondary },
  }),
});
