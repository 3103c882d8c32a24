/**
 * The collector's own Prometheus metrics (its /metrics, not ClickHouse columns) that anything outside
 * the collector reads by name: the collector-health dashboard queries them through Prometheus. They
 * are the collector's contract with its dashboard, named here once and used by both.
 */
export const COLLECTOR_SELF_METRICS = {
  samples: 'meridian_collector_samples_total',
  errors: 'meridian_collector_errors_total',
  dropped: 'meridian_collector_dropped_rows_total',
  spoolBytes: 'meridian_collector_spool_bytes',
  spoolBatches: 'meridian_collector_spool_batches',
  writeErrors: 'meridian_collector_write_errors_total',
} as const;
