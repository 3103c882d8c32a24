/**
 * Vendor-field → catalog-metric mappings, derived from the catalog's `sources` so that no metric or
 * vendor field name is typed twice. Computed once at module load.
 */
import { metricsOf } from '@meridian/catalog';
import type { MetricDef, SourceField } from '@meridian/catalog';

export interface FieldMapping {
  readonly metric: MetricDef;
  readonly source: SourceField;
}

const gpuMetrics = metricsOf('gpu');

/** `nvidia-smi --query-gpu` fields the catalog knows, in catalog order (the order the collector asks for them). */
export const NVIDIA_SMI_QUERY_FIELDS: readonly FieldMapping[] = gpuMetrics.flatMap((m) =>
  m.sources?.nvidiaSmiQuery ? [{ metric: m, source: m.sources.nvidiaSmiQuery }] : [],
);

/** For each catalog metric, its XML paths in preference order (first present wins). */
export const NVIDIA_SMI_XML_FIELDS: readonly { metric: MetricDef; paths: readonly SourceField[] }[] =
  gpuMetrics.flatMap((m) => (m.sources?.nvidiaSmiXml?.length ? [{ metric: m, paths: m.sources.nvidiaSmiXml }] : []));

/** dcgm-exporter series name → catalog mapping. */
export const DCGM_FIELDS: ReadonlyMap<string, FieldMapping> = new Map(
  gpuMetrics.flatMap((m) =>
    m.sources?.dcgm ? [[m.sources.dcgm.field, { metric: m, source: m.sources.dcgm }] as const] : [],
  ),
);
