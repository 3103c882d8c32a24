import { DashboardBuilder, DatasourceVariableBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import * as units from '@grafana/grafana-foundation-sdk/units';
import { COMMON_LABELS, ENTITIES, type Entity, COLLECTOR_SELF_METRICS } from '@meridian/catalog';
import { PROM_VAR, PROMETHEUS_TYPE, prometheusRef } from '../clickhouse.js';
import { baseDashboard, clickhouseVariable } from '../common.js';
import { tablePanel, timeSeriesPanel } from '../panels.js';
import { FLEET_POLICY, MAX_DATA_POINTS } from '../rollup.js';
import { alias, customSeriesSql, keyLabels, label, seriesCountExpr } from '../sql.js';
import { tableFor } from '@meridian/catalog';

/**
 * Collector health has two sources, chosen by two data-source variables:
 *  - ClickHouse ($datasource): what actually arrived, per `source` tag: series reporting and freshness.
 *    This needs nothing but the store, so it works wherever the other dashboards do.
 *  - Prometheus ($prometheus): the collectors' own /metrics (samples read, spool backlog, dropped rows,
 *    errors per source). Those counters never reach ClickHouse, so a Prometheus that scrapes the
 *    collectors is required for this half (deploy/ ships the scrape config).
 * The collector's metric names are its contract, named once in the catalog (COLLECTOR_SELF_METRICS).
 */

const source = COMMON_LABELS[1];

function promPanel(
  title: string,
  expr: string,
  legend: string,
  unit: string,
  description: string,
): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(prometheusRef)
    .withTarget(
      new prometheus.DataqueryBuilder().expr(expr).legendFormat(legend).range().refId('A').datasource(prometheusRef),
    )
    .unit(unit)
    .maxDataPoints(MAX_DATA_POINTS)
    .span(12)
    .height(8);
}

export function collectorHealthDashboard(): DashboardBuilder {
  const b = baseDashboard(
    'collector',
    'Meridian / Collector health',
    'Samples, spool, dropped rows and errors for each collector source.',
  )
    .withVariable(clickhouseVariable())
    .withVariable(
      new DatasourceVariableBuilder(PROM_VAR).label('Prometheus (collector /metrics)').type(PROMETHEUS_TYPE),
    );

  b.withRow(new RowBuilder('Arrived in ClickHouse'));
  for (const entity of ENTITIES) {
    const keys = keyLabels(entity as Entity);
    // GPU series are whole GPUs, so the raw branch and the region rollups count the same thing.
    const whole = entity === 'gpu' ? [`${label('gpu', 'mig_instance')} = ''`] : [];
    const bySource = `toString(${source})`;
    b.withPanel(
      timeSeriesPanel(
        `${entity}: series reporting by source`,
        customSeriesSql(
          {
            entity,
            series: bySource,
            filters: whole,
            policy: FLEET_POLICY,
            regional: { when: '1', series: bySource, filters: [] },
          },
          (res, regional) => [`toFloat64(${seriesCountExpr(res, regional, keys)}) AS ${alias('series reporting')}`],
        ),
        units.Short,
        {
          span: 8,
          description: `Distinct ${entity} series (${keys.join(', ')}${whole.length ? ', whole GPUs' : ''}) with rows in each bucket (averaged over its minutes on rollups), per ${source} tag.`,
        },
      ),
    );
  }
  b.withPanel(
    tablePanel(
      'Freshness by source',
      ENTITIES.map(
        (e) =>
          `SELECT '${e}' AS entity, toString(${source}) AS ${source}, max(ts) AS ${alias('last row')}, toFloat64(dateDiff('second', max(ts), now())) AS ${alias('lag (s)')}, toFloat64(count()) AS rows` +
          ` FROM ${tableFor(e, 'raw')} WHERE $__timeFilter(ts) GROUP BY ${source}`,
      ).join(' UNION ALL ') + ` ORDER BY entity, ${source}`,
      {
        timeFrom: '15m',
        description: 'Per entity and source: the newest raw row, its age, and rows in the last 15 minutes.',
      },
    ),
  );

  const m = COLLECTOR_SELF_METRICS;
  b.withRow(new RowBuilder('Collector /metrics (Prometheus)'))
    .withPanel(
      promPanel(
        'Samples per second by source',
        `sum by (${source}) (rate(${m.samples}[$__rate_interval]))`,
        `{{${source}}}`,
        units.Short,
        'Samples each source produced, before the pipeline.',
      ),
    )
    .withPanel(
      promPanel(
        'Errors by source and reason',
        `sum by (${source}, reason) (increase(${m.errors}[$__rate_interval]))`,
        `{{${source}}} {{reason}}`,
        units.Short,
        'Read or parse errors per source and reason: a flaky tool (timeout, process_exit), bad data (unparseable, out_of_range) or lost kernel-log records (overrun).',
      ),
    )
    .withPanel(
      promPanel(
        'Dropped rows',
        `sum by (reason) (increase(${m.dropped}[$__rate_interval]))`,
        '{{reason}}',
        units.Short,
        'Rows the pipeline refused or the spool could not keep.',
      ),
    )
    .withPanel(
      promPanel(
        'Spool backlog',
        `sum by (instance) (${m.spoolBytes})`,
        '{{instance}}',
        units.BytesIEC,
        'Bytes waiting on disk while ClickHouse is unreachable; it should drain to 0.',
      ),
    )
    .withPanel(
      promPanel(
        'Spool batches',
        `sum by (instance) (${m.spoolBatches})`,
        '{{instance}}',
        units.Short,
        'Batches waiting in the spool.',
      ),
    )
    .withPanel(
      promPanel(
        'Failed writes to ClickHouse',
        `sum by (instance) (increase(${m.writeErrors}[$__rate_interval]))`,
        '{{instance}}',
        units.Short,
        'Batch writes that failed; each batch stays in the spool and is retried with its dedup token.',
      ),
    );
  return b;
}
