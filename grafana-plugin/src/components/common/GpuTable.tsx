import { css, cx } from '@emotion/css';
import { type GrafanaTheme2 } from '@grafana/data';
import { Icon, Input, Pagination, useStyles2 } from '@grafana/ui';
import React, { useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { prefixRoute, ROUTES } from '../../constants';
import { filterGpus, gpuKey, sortGpus, type GpuEntry, type GpuRow, type SortDir, type SortKey } from '../../data/gpus';
import { fmt } from '../../data/units';
import { testIds } from '../testIds';
import { compactTable } from './tableStyle';

/** Rows per page. 10,000 GPUs stay fast because only one page of rows is ever in the DOM. */
export const PAGE_SIZE = 50;

const COLUMNS: Array<{ key: SortKey; title: string; unit?: string; decimals?: number }> = [
  { key: 'region', title: 'Region' },
  { key: 'host', title: 'Host' },
  { key: 'gpu_uuid', title: 'GPU' },
  { key: 'model', title: 'Model' },
  { key: 'workload_id', title: 'Workload' },
  { key: 'util', title: 'Util', unit: 'percent', decimals: 0 },
  { key: 'mem_used', title: 'Memory', unit: 'bytes', decimals: 1 },
  { key: 'power', title: 'Power', unit: 'watt', decimals: 0 },
  { key: 'temp_max', title: 'Temp max', unit: 'celsius', decimals: 0 },
  { key: 'throttled', title: 'Throttled', unit: 'percentunit', decimals: 0 },
  { key: 'xid_errors', title: 'XID errors', unit: 'short', decimals: 0 },
];

export function GpuTable({
  gpus,
  query,
  initialFilter = '',
}: {
  gpus: GpuEntry[];
  query: string;
  initialFilter?: string;
}) {
  const s = useStyles2(getStyles);
  const [filter, setFilter] = useState(initialFilter);
  const [sort, setSort] = useState<{ key: SortKey; dir: SortDir }>({ key: 'util', dir: 'desc' });
  const [page, setPage] = useState(1);

  const visible = useMemo(() => sortGpus(filterGpus(gpus, filter), sort.key, sort.dir), [gpus, filter, sort]);
  const pages = Math.max(1, Math.ceil(visible.length / PAGE_SIZE));
  const current = Math.min(page, pages);
  const slice = visible.slice((current - 1) * PAGE_SIZE, current * PAGE_SIZE);

  const onSort = (key: SortKey) => {
    setSort((prev) => ({ key, dir: prev.key === key && prev.dir === 'desc' ? 'asc' : 'desc' }));
    setPage(1);
  };

  const cells = (g: GpuRow, mig: boolean) =>
    COLUMNS.map((c) => {
      if (c.key === 'gpu_uuid') {
        return (
          <td key={c.key}>
            {mig ? (
              <span className={s.mig}>
                MIG {g.mig_instance} {g.mig_profile && `(${g.mig_profile})`}
              </span>
            ) : (
              <Link to={`${prefixRoute(ROUTES.Gpus)}/${encodeURIComponent(g.gpu_uuid)}?${query}`}>{g.gpu_uuid}</Link>
            )}
          </td>
        );
      }
      if (c.key === 'region')
        return (
          <td key={c.key}>
            {mig ? (
              ''
            ) : (
              <Link to={`${prefixRoute(ROUTES.Regions)}/${encodeURIComponent(g.region)}?${query}`}>{g.region}</Link>
            )}
          </td>
        );
      if (c.key === 'host')
        return (
          <td key={c.key}>
            {mig ? (
              ''
            ) : (
              <Link
                to={`${prefixRoute(ROUTES.Regions)}/${encodeURIComponent(g.region)}/hosts/${encodeURIComponent(g.host)}?${query}`}
              >
                {g.host}
              </Link>
            )}
          </td>
        );
      if (c.key === 'model') return <td key={c.key}>{mig ? '' : g.model}</td>;
      if (c.key === 'workload_id') return <td key={c.key}>{holderCell(g, query)}</td>;
      return (
        <td key={c.key} className={s.num}>
          {fmt(g[c.key], c.unit ?? 'none', c.decimals)}
        </td>
      );
    });

  return (
    <div>
      <div className={s.bar}>
        <Input
          data-testid={testIds.gpus.filter}
          prefix={<Icon name="search" />}
          placeholder="Filter by region, host, GPU UUID, model, namespace, pod, workload or MIG profile"
          value={filter}
          onChange={(e) => {
            setFilter(e.currentTarget.value);
            setPage(1);
          }}
          width={60}
        />
        <span data-testid={testIds.gpus.count} className={s.count}>
          {visible.length.toLocaleString('en-US')} of {gpus.length.toLocaleString('en-US')} GPUs
        </span>
      </div>
      <table className={s.table} data-testid={testIds.gpus.table}>
        <thead>
          <tr>
            {COLUMNS.map((c) => (
              <th
                key={c.key}
                aria-sort={sort.key === c.key ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}
              >
                <button type="button" className={s.sort} onClick={() => onSort(c.key)}>
                  {c.title}
                  {sort.key === c.key && <Icon name={sort.dir === 'asc' ? 'arrow-up' : 'arrow-down'} size="sm" />}
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {slice.map((g) => (
            <React.Fragment key={gpuKey(g)}>
              <tr data-testid={testIds.gpus.row(g.gpu_uuid)}>{cells(g, false)}</tr>
              {g.mig.map((m) => (
                <tr
                  key={`${m.gpu_uuid}/${m.mig_instance}`}
                  className={cx(s.migRow)}
                  data-testid={testIds.gpus.row(m.gpu_uuid, m.mig_instance)}
                >
                  {cells(m, true)}
                </tr>
              ))}
            </React.Fragment>
          ))}
        </tbody>
      </table>
      {visible.length === 0 && (
        <p className={s.count}>
          No GPU matches “{filter}”. Clear the filter to see all {gpus.length} GPUs.
        </p>
      )}
      {pages > 1 && (
        <div className={s.pager}>
          <Pagination currentPage={current} numberOfPages={pages} onNavigate={setPage} />
        </div>
      )}
    </div>
  );
}

/** Who held the GPU (namespace/pod, or the Slurm job, container or unit), linking to its workload's history. */
function holderCell(g: GpuRow, query: string) {
  if (!g.workload_id && !g.pod) return '';
  const label = g.pod ? (g.namespace ? `${g.namespace}/${g.pod}` : g.pod) : g.workload_id;
  if (!g.workload_id) return label;
  return (
    <Link
      to={`${prefixRoute(ROUTES.Gpus)}/${encodeURIComponent(g.gpu_uuid)}?${query}&workload=${encodeURIComponent(g.workload_id)}`}
      title={`workload ${g.workload_id}`}
    >
      {label}
    </Link>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  bar: css({ display: 'flex', gap: theme.spacing(2), alignItems: 'center', marginBottom: theme.spacing(1) }),
  count: css({ color: theme.colors.text.secondary }),
  table: compactTable(theme, { whiteSpace: 'nowrap' }),
  num: css({ textAlign: 'right', fontVariantNumeric: 'tabular-nums' }),
  sort: css({
    background: 'none',
    border: 'none',
    padding: 0,
    color: theme.colors.text.secondary,
    fontWeight: theme.typography.fontWeightMedium,
    cursor: 'pointer',
    display: 'inline-flex',
    gap: theme.spacing(0.5),
    alignItems: 'center',
  }),
  mig: css({ paddingLeft: theme.spacing(3), color: theme.colors.text.secondary }),
  migRow: css({ background: theme.colors.background.secondary }),
  pager: css({ display: 'flex', justifyContent: 'center', marginTop: theme.spacing(1) }),
});
