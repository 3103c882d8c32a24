import { AnnotationQueryBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { auxTable, col } from '../aux.js';
import { clickhouseRef, ClickHouseQueryBuilder, Format } from '../clickhouse.js';

/**
 * Scheduler decisions as annotations: the data source turns a `time` column plus `title`, `text` and
 * `tags` into annotation events, so every move and rejection shows on the time axis of every panel.
 */
export function schedulerAnnotationSql(): string {
  const t = auxTable('scheduler_decisions');
  const c = (name: Parameters<typeof col<'scheduler_decisions'>>[1]) => col(t, name);
  return (
    `SELECT ${c('ts')} AS time, concat(${c('action')}, ' ', ${c('workload_id')}, ' ', ${c('region_from')}, ' -> ', ${c('region_to')}) AS title,` +
    ` concat(${c('reason')}, ' (outcome: ', ${c('outcome')}, ', executor: ', ${c('executor')}, ')') AS text,` +
    ` [toString(${c('action')}), toString(${c('outcome')})] AS tags` +
    ` FROM ${t} WHERE $__timeFilter(${c('ts')}) ORDER BY time LIMIT 2000`
  );
}

export function schedulerAnnotation(): AnnotationQueryBuilder {
  return new AnnotationQueryBuilder()
    .name('Scheduler decisions')
    .datasource(clickhouseRef)
    .enable(true)
    .iconColor('orange')
    .target(new ClickHouseQueryBuilder(schedulerAnnotationSql(), Format.Table, 'Annotations'));
}
