import { css } from '@emotion/css';
import { type GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';
import React from 'react';
import { BUSY_SOURCE_LABELS, resolutionForRange } from '@meridian/catalog';
import { runQueries } from '../../data/dsQuery';
import { gpuProfilingSql, nestProfiling, toProfilingRow, type ProfilingRow } from '../../data/profiling';
import type { GpuScope } from '../../data/queries';
import { intervalMs } from '../../data/resolution';
import { fmt } from '../../data/units';
import { useAsync } from '../../data/useAsync';
import { useAppSettings } from './AppSettingsContext';
import { Empty, ErrorState, Loading } from './PageStates';
import type { TimeRangeState } from './useTimeRange';
import { compactTable } from './tableStyle';

/** Test ids of this component (kept here: the page's own ids are another component's). */
export const profilingTestIds = {
  container: 'data-testid gpu-profiling',
  row: (uuid: string, mig = '') => `data-testid gpu-profiling-row-${uuid}${mig ? `-${mig}` : ''}`,
  note: 'data-testid gpu-profiling-note',
} as const;

/** Whole GPUs shown at most; the rest are counted (the table is sorted worst NVLink first). */
const MAX_GPUS = 50;

const NO_PROFILING = 'not reported: no DCGM profiling on this host';
const NO_NVLINK = 'not reported on this host';

/**
 * How busy each GPU really is (NVML utilization beside DCGM's SM and tensor activity, and the catalog's
 * busy figure with its source), its MIG instances under it, NVLink errors (worst first) and energy
 * over the range. What a host cannot report is said in words, never shown as zero.
 */
export function GpuProfiling({ scope, time }: { scope: GpuScope; time: TimeRangeState }) {
  const { clickhouseUid } = useAppSettings();
  const s = useStyles2(getStyles);
  const state = useAsync(async () => {
    const res = resolutionForRange(time.fromMs, time.toMs);
    const rows = await runQueries(
      clickhouseUid,
      { profiling: gpuProfilingSql(res, scope) },
      { from: time.fromMs, to: time.toMs },
      intervalMs(time.fromMs, time.toMs, res),
    );
    return nestProfiling((rows.profiling ?? []).map(toProfilingRow));
  }, [clickhouseUid, scope.region, scope.host, scope.gpu, time.fromMs, time.toMs, time.refreshKey]);

  if (state.status === 'loading') return <Loading what="GPU activity" />;
  if (state.status === 'error') return <ErrorState error={state.error} title="Could not load GPU activity" />;
  const gpus = state.data;
  if (gpus.length === 0) return <Empty title="No GPU activity in this range" hint="Widen the time range." />;
  const profiled = gpus.filter((g) => g.sm_active !== null || g.instances.some((i) => i.busy !== null)).length;
  const shown = gpus.slice(0, MAX_GPUS);
  return (
    <div data-testid={profilingTestIds.container}>
      <p className={s.note} data-testid={profilingTestIds.note}>
        {profiled === gpus.length
          ? 'Every GPU here reports DCGM profiling: busy is SM activity (a MIG GPU: its instances’ engine activity).'
          : `${gpus.length - profiled} of ${gpus.length} GPUs report no DCGM profiling: their busy figure is NVML utilization, which only says a kernel ran.`}
        {gpus.length > shown.length && ` Showing the ${shown.length} with the most NVLink errors of ${gpus.length}.`}
      </p>
      <table className={s.table}>
        <thead>
          <tr>
            <th>GPU</th>
            <th>NVML util</th>
            <th>SM active</th>
            <th>Tensor active</th>
            <th>Busy (source)</th>
            <th>NVLink errors</th>
            <th>Energy</th>
          </tr>
        </thead>
        <tbody>
          {shown.flatMap((g) => [
            <ProfilingLine key={`${g.host}/${g.gpu_uuid}`} row={g} label={`${g.host} ${g.gpu_uuid}`} />,
            ...g.instances.map((i) => (
              <ProfilingLine
                key={`${i.host}/${i.gpu_uuid}/${i.mig_instance}`}
                row={i}
                label={`└ MIG instance ${i.mig_instance}`}
                instance
              />
            )),
          ])}
        </tbody>
      </table>
    </div>
  );
}

function ProfilingLine({ row, label, instance = false }: { row: ProfilingRow; label: string; instance?: boolean }) {
  const s = useStyles2(getStyles);
  // A MIG instance has no NVML utilization, SM activity is per device, NVLink and energy the parent's.
  const missing = (v: number | null, what: string) => (v === null ? <span className={s.missing}>{what}</span> : null);
  return (
    <tr
      data-testid={profilingTestIds.row(row.gpu_uuid, row.mig_instance)}
      className={instance ? s.instance : undefined}
    >
      <td>{label}</td>
      <td>{instance ? '' : (missing(row.nvml_util, 'not reported') ?? fmt(row.nvml_util, 'percent', 0))}</td>
      <td>{instance ? '' : (missing(row.sm_active, NO_PROFILING) ?? fmt(row.sm_active, 'percent', 0))}</td>
      <td>{missing(row.tensor_active, instance ? '' : NO_PROFILING) ?? fmt(row.tensor_active, 'percent', 0)}</td>
      <td>
        {row.busy === null || row.busy_source === ''
          ? missing(null, 'not reported')
          : `${fmt(row.busy, 'percent', 0)} (${BUSY_SOURCE_LABELS[row.busy_source]})`}
      </td>
      <td>{instance ? '' : (missing(row.nvlink_errors, NO_NVLINK) ?? fmt(row.nvlink_errors, 'short', 0))}</td>
      <td>{instance ? '' : (missing(row.energy_kwh, 'not reported') ?? `${fmt(row.energy_kwh, 'short', 2)} kWh`)}</td>
    </tr>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  table: compactTable(theme),
  instance: css({ color: theme.colors.text.secondary }),
  missing: css({ color: theme.colors.text.secondary, fontStyle: 'italic' }),
  note: css({ color: theme.colors.text.secondary, marginBottom: theme.spacing(1) }),
});
