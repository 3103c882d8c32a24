import React from 'react';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import { useAppSettings } from '../components/common/AppSettingsContext';
import { GpuCharts } from '../components/common/GpuCharts';
import { GpuProfiling } from '../components/common/GpuProfiling';
import { GpuTable } from '../components/common/GpuTable';
import { GpuWorkloads } from '../components/common/GpuWorkloads';
import { Empty, ErrorState, Loading } from '../components/common/PageStates';
import { PageShell } from '../components/common/PageShell';
import { Section } from '../components/common/Section';
import { useTimeRange } from '../components/common/useTimeRange';
import { testIds } from '../components/testIds';
import { prefixRoute, ROUTES } from '../constants';
import { holdersSql, toHolder, withHolders } from '../data/assignments';
import { runQueries } from '../data/dsQuery';
import { nestMig, toGpuRow } from '../data/gpus';
import { gpuTableSql } from '../data/queries';
import { intervalMs } from '../data/resolution';
import { resolutionForRange } from '@meridian/catalog';
import { fmt } from '../data/units';
import { useAsync } from '../data/useAsync';

/** /gpus: the whole fleet's GPU table; /gpus/:uuid: one GPU, its MIG instances and its time series. */
export default function Gpus() {
  const { uuid } = useParams();
  const [params] = useSearchParams();
  const workload = params.get('workload') ?? '';
  const time = useTimeRange();
  const { clickhouseUid } = useAppSettings();
  const gpus = useAsync(async () => {
    const res = resolutionForRange(time.fromMs, time.toMs);
    const rows = await runQueries(
      clickhouseUid,
      // Who held each GPU rides in the same request (one round trip per page).
      { gpus: gpuTableSql(res, uuid ? { gpu: uuid } : {}), holders: holdersSql() },
      { from: time.fromMs, to: time.toMs },
      intervalMs(time.fromMs, time.toMs, res),
    );
    return withHolders(nestMig((rows.gpus ?? []).map(toGpuRow)), (rows.holders ?? []).map(toHolder));
  }, [clickhouseUid, uuid, time.fromMs, time.toMs, time.refreshKey]);

  const trail = (
    <nav aria-label="Breadcrumb">
      <Link to={`${prefixRoute(ROUTES.Overview)}?${time.query}`}>Overview</Link> /{' '}
      <Link to={`${prefixRoute(ROUTES.Gpus)}?${time.query}`}>GPUs</Link>
      {uuid && <> / {uuid}</>}
    </nav>
  );

  if (uuid) {
    const gpu = gpus.status === 'done' ? gpus.data[0] : undefined;
    return (
      <PageShell time={time} trail={trail}>
        <div data-testid={testIds.gpus.detail}>
          <Section title={`GPU ${uuid}`}>
            {gpus.status === 'loading' && <Loading what="the GPU" />}
            {gpus.status === 'error' && <ErrorState error={gpus.error} title="Could not load this GPU" />}
            {gpus.status === 'done' &&
              (!gpu ? (
                <Empty
                  title={`GPU ${uuid} reported nothing in this range`}
                  hint="Widen the time range. If the GPU was replaced, find its successor in the GPU table."
                />
              ) : (
                <>
                  <p>
                    {gpu.model} on{' '}
                    <Link
                      to={`${prefixRoute(ROUTES.Regions)}/${encodeURIComponent(gpu.region)}/hosts/${encodeURIComponent(gpu.host)}?${time.query}`}
                    >
                      {gpu.host}
                    </Link>{' '}
                    in{' '}
                    <Link to={`${prefixRoute(ROUTES.Regions)}/${encodeURIComponent(gpu.region)}?${time.query}`}>
                      {gpu.region}
                    </Link>
                    : utilization {fmt(gpu.util, 'percent', 0)}, power {fmt(gpu.power, 'watt', 0)}, hottest{' '}
                    {fmt(gpu.temp_max, 'celsius', 0)}
                    {gpu.mig.length > 0 && `, ${gpu.mig.length} MIG instances`}.
                  </p>
                  <GpuTable gpus={gpus.data} query={time.query} />
                </>
              ))}
          </Section>
          <GpuWorkloads uuid={uuid} workload={workload} time={time} />
          <Section title="How busy, NVLink and energy">
            <GpuProfiling scope={{ gpu: uuid }} time={time} />
          </Section>
          <Section title="Over time">
            <GpuCharts scope={{ gpu: uuid }} time={time} />
          </Section>
        </div>
      </PageShell>
    );
  }

  return (
    <PageShell time={time} trail={trail}>
      <div data-testid={testIds.gpus.container}>
        <Section title="All GPUs">
          {gpus.status === 'loading' && <Loading what="the GPU table" />}
          {gpus.status === 'error' && <ErrorState error={gpus.error} title="Could not load the GPU table" />}
          {gpus.status === 'done' &&
            (gpus.data.length === 0 ? (
              <Empty
                title="No GPUs reported in this range"
                hint="Widen the time range, or check that collectors write to the ClickHouse data source this app is configured with."
              />
            ) : (
              <GpuTable gpus={gpus.data} query={time.query} />
            ))}
        </Section>
        {gpus.status === 'done' && gpus.data.length > 0 && (
          <Section title="How busy, NVLink and energy">
            <GpuProfiling scope={{}} time={time} />
          </Section>
        )}
      </div>
    </PageShell>
  );
}
