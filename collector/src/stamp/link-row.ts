/**
 * The link_samples row a STAMP interval becomes. Every column name comes from the catalog and is
 * checked against it when this module loads, so a renamed metric fails loudly here rather than as
 * a silently dropped column in the store.
 */
import { labelsOf, metricByName, SOURCES } from '@meridian/catalog';

/** Structurally the store's SampleRow (kept local so the probe code does not depend on the store). */
export interface LinkSampleRow {
  ts: number;
  source: string;
  [column: string]: number | string | null | undefined;
}

const METRICS = [
  'rtt_min',
  'rtt_avg',
  'rtt_p50',
  'rtt_p99',
  'rtt_max',
  'jitter',
  'loss_pct',
  'reordered',
  'duplicates',
  'probes_sent',
  'probes_received',
  'owd_forward',
  'owd_reverse',
  'clock_synced',
  'clock_error',
] as const;
const LABELS = ['link_id', 'region_from', 'region_to', 'host', 'lane', 'method'] as const;

export type StampMetric = (typeof METRICS)[number];
export type StampLabel = (typeof LABELS)[number];

function fromCatalog<T extends string>(
  names: readonly T[],
  kind: string,
  lookup: (name: string) => boolean,
): Record<T, string> {
  const out = {} as Record<T, string>;
  for (const name of names) {
    if (!lookup(name)) throw new Error(`the catalog has no link ${kind} "${name}", which the STAMP prober reports`);
    out[name] = name;
  }
  return out;
}

const linkLabels = new Set(labelsOf('link').map((l) => l.name));
/** Column names for the STAMP metrics, verified against the catalog. */
export const COLUMN: Readonly<Record<StampMetric, string>> = fromCatalog(
  METRICS,
  'metric',
  (n) => metricByName(n)?.entity === 'link',
);
/** Label names, verified against the catalog. */
export const LABEL: Readonly<Record<StampLabel, string>> = fromCatalog(LABELS, 'label', (n) => linkLabels.has(n));

export const STAMP_SOURCE = 'stamp';
if (!(SOURCES as readonly string[]).includes(STAMP_SOURCE))
  throw new Error(`the catalog's SOURCES lacks "${STAMP_SOURCE}"`);
/** The `method` label value for STAMP probes. */
export const STAMP_METHOD = 'stamp';
