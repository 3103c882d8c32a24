import React from 'react';
import { GPU_SERIES } from '../../data/catalogRefs';
import { num, runQueries, timeMs } from '../../data/dsQuery';
import { gpuSeriesSql, throttleReasonsSql, type GpuScope } from '../../data/queries';
import { throttleReasonNames } from '../../data/throttleReasons';
import { resolutionForRange } from '@meridian/catalog';
import { intervalMs } from '../../data/resolution';
import { grafanaUnit } from '../../data/units';
import { useAsync } from '../../data/useAsync';
import { useAppSettings } from './AppSettingsContext';
import { ChartGrid, LineChart, type Point } from './LineChart';
import { Empty, ErrorState, Loading } from './PageStates';
import { testIds } from '../testIds';
import type { TimeRangeState } from './useTimeRange';

/** Utilization, memory, power, temperature, clocks, throttling and errors for a region, host or GPU. */
export function GpuCharts({ scope, time }: { scope: GpuScope; time: TimeRangeState }) {
  const { clickhouseUid } = useAppSettings();
  const state = useAsync(async () => {
    const res = resolutionForRange(time.fromMs, time.toMs);
    const step = intervalMs(time.fromMs, time.toMs, res);
    const sqls: Record<string, string> = Object.fromEntries(
      GPU_SERIES.map((m) => [m.name, gpuSeriesSql(m, res, scope)]),
    );
    sqls.throttle_reasons = throttleReasonsSql(res, scope);
    return runQueries(clickhouseUid, sqls, { from: time.fromMs, to: time.toMs }, step);
  }, [clickhouseUid, scope.region, scope.host, scope.gpu, time.fromMs, time.toMs, time.refreshKey]);

  if (state.status === 'loading') return <Loading what="time series" />;
  if (state.status === 'error') return <ErrorState error={state.error} title="Could not load the time series" />;
  const any = GPU_SERIES.some((m) => (state.data[m.name] ?? []).length > 0);
  if (!any)
    return (
      <Empty
        title="No samples in this range"
        hint="Widen the time range, or check that the collector on these hosts is running."
      />
    );
  const mask = num(state.data.throttle_reasons?.[0]?.reasons) ?? 0;
  const reasons = throttleReasonNames(mask);
  return (
    <>
      <p data-testid={testIds.throttleReasons}>
        Clock throttle reasons in this range: {reasons.length ? reasons.join(', ') : 'none'}
      </p>
      <ChartGrid>
        {GPU_SERIES.map((m) => {
          const rows = state.data[m.name] ?? [];
          const col = m.kind === 'counter' ? `${m.name}_per_s` : m.name;
          const points: Point[] = rows.map((r) => ({ t: timeMs(r.time) ?? 0, v: num(r[col]) }));
          const unit = m.kind === 'counter' ? 'short' : grafanaUnit(m.unit);
          const title =
            m.kind === 'counter' ? `${m.description.split('.')[0]} (per second)` : m.description.split('.')[0]!;
          return <LineChart key={m.name} name={m.name} title={title} unit={unit} points={points} />;
        })}
      </ChartGrid>
    </>
  );
}
