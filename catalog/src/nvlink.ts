/**
 * NVLink error counters per link. The catalog's `nvlink_*_errors` columns hold each GPU's total over
 * its links (what alerts and rates need, one column each). A link's own count is a drill-down: it
 * lands in `extra_metrics` under the same metric name with an `nvlink` label (the link number), beside
 * the row's gpu_uuid. Why not an array column or one column per link: GPUs have 4 to 18 links, so
 * per-link columns would be 72 mostly-NULL columns; an Array column would need its own encoding in the
 * writer and per-element sums in every rollup, for a figure read only when one GPU is already
 * suspect. extra_metrics already keeps labelled values, is read by name, and costs nothing on GPUs
 * without NVLink.
 */
import { metricsOf } from './lookup.js';
import type { MetricDef } from './types.js';

/** The extra_metrics label that names a link. */
export const NVLINK_LINK_LABEL = 'nvlink';

/** The NVLink error counters: every gpu counter whose DCGM field is an NVLink error total. */
export const NVLINK_ERROR_METRICS: readonly MetricDef[] = metricsOf('gpu').filter((m) =>
  /^DCGM_FI_DEV_NVLINK_.*_ERROR_COUNT_TOTAL$/.test(m.sources?.dcgm?.field ?? ''),
);

/**
 * dcgm-exporter's per-link series for a counter: the total's name with `_L<n>` for `_TOTAL`
 * (DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_L0 … _L17).
 */
export function dcgmPerLinkPrefix(m: MetricDef): string | undefined {
  const f = m.sources?.dcgm?.field;
  return f?.endsWith('_TOTAL') ? `${f.slice(0, -'_TOTAL'.length)}_L` : undefined;
}
