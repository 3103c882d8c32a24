/**
 * dcgm-exporter `/metrics` → one gpu record per GPU and per MIG instance (GPU_I_ID).
 *
 * Series the catalog maps (by `sources.dcgm`) become record fields, scaled to canonical units; other
 * DCGM_FI_* / DCGM_EXP_* series become extra metrics. DCGM's blank sentinels (what old exporters
 * printed for "no value") are treated as absent; absurd values (e.g. GPU_UTIL 4294967295) are refused
 * by the catalog range. A series with neither UUID nor gpu label cannot be attributed to a GPU: it
 * lands in a record without gpu_uuid, which names that as its error.
 *
 * NVLink error counters per link (DCGM_FI_DEV_NVLINK_*_ERROR_COUNT_L<n>) become extra metrics under
 * the catalog metric's name with an `nvlink` label (see catalog nvlink.ts), and their sum the GPU's
 * total where the exporter does not print the _TOTAL series itself. A GPU in MIG mode whose exporter
 * prints only instance rows (no whole-GPU series) still gets its own record, carrying the device-wide
 * values the instance rows repeat.
 */
import { dcgmPerLinkPrefix, metricsOf, isThrottled, NVLINK_ERROR_METRICS, NVLINK_LINK_LABEL } from '@meridian/catalog';
import type { MetricDef } from '@meridian/catalog';
import { DCGM_FIELDS } from './catalog-fields.js';
import { parsePromText, type PromSample } from './prom-text.js';
import { catalogMetric, RecordBuilder, type DocumentError, type ParsedRecord, type ParseResult } from './record.js';

/** Label spellings across dcgm-exporter versions (`UUID`/`uuid`, `modelName`/`model_name`). */
const UUID_LABELS = ['UUID', 'uuid', 'gpu_uuid'];
const MODEL_LABELS = ['modelName', 'model_name', 'DCGM_FI_DEV_NAME'];
const IDENTITY_LABELS = new Set([
  ...UUID_LABELS,
  ...MODEL_LABELS,
  'gpu',
  'device',
  'pci_bus_id',
  'Hostname',
  'hostname',
  'GPU_I_ID',
  'GPU_I_PROFILE',
]);

const THROTTLE = catalogMetric('throttle_reasons').name;
const THROTTLED = catalogMetric('throttled').name;

/**
 * DCGM blank values (dcgm_structs.h): INT32 0x7ffffff0.., INT64 0x7ffffffffffffff0.., FP64 2^47..,
 * each followed by NOT_FOUND / NOT_SUPPORTED / NOT_PERMISSIONED. INT64 ones arrive rounded as doubles.
 */
function isDcgmBlank(v: number): boolean {
  return (v >= 0x7ffffff0 && v <= 0x7fffffff) || v >= 9.2233720368547748e18 || (v >= 2 ** 47 && v <= 2 ** 47 + 16);
}

function firstLabel(labels: Readonly<Record<string, string>>, names: readonly string[]): string | undefined {
  for (const n of names) {
    const v = labels[n];
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
}

/**
 * Metrics that belong to a MIG instance itself: its slice of frame buffer and BAR1 (the metrics the
 * XML also reads under <mig_device>), DCGM profiling ratios, and the XID it raised. Everything else
 * dcgm-exporter prints on a MIG row (power, energy, temperature, clocks…) is the parent GPU's value
 * repeated; kept there it would be summed once per instance and double-count power and energy.
 */
const INSTANCE_METRICS = new Set(
  metricsOf('gpu')
    .filter(
      (m) =>
        m.sources?.nvidiaSmiXml?.some((p) => /^(fb|bar1)_memory_usage\//.test(p.field)) ||
        m.sources?.dcgm?.field.startsWith('DCGM_FI_PROF_') ||
        m.name === catalogMetric('xid_last').name,
    )
    .map((m) => m.name),
);

/** Per-link NVLink series prefix (…_ERROR_COUNT_L) → the catalog counter it adds up to. */
const PER_LINK = new Map<string, MetricDef>(
  NVLINK_ERROR_METRICS.flatMap((m) => {
    const p = dcgmPerLinkPrefix(m);
    return p ? [[p, m] as const] : [];
  }),
);
const PER_LINK_RE = /^(DCGM_FI_DEV_NVLINK_\w+_L)(\d{1,2})$/;

/**
 * Moves parent-level values off MIG records onto the parent record (the first instance's value wins
 * where the parent has none), creating the parent record when the exporter printed no whole-GPU row.
 */
function foldParentValues(groups: Map<string, Group>): void {
  for (const g of [...groups.values()]) {
    if (g.mig === '') continue;
    const parentKey = `${g.key.slice(0, g.key.lastIndexOf('|'))}|`;
    let parent = groups.get(parentKey);
    if (!parent && g.builder.labels.gpu_uuid !== undefined) {
      const b = new RecordBuilder('gpu', 'dcgm');
      for (const l of ['gpu_uuid', 'gpu_index', 'model']) b.label(l, g.builder.labels[l]);
      parent = { key: parentKey, builder: b, index: g.index, mig: '', linkSums: new Map() };
      groups.set(parentKey, parent);
    }
    for (const [metric, v] of Object.entries(g.builder.values)) {
      if (INSTANCE_METRICS.has(metric)) continue;
      delete g.builder.values[metric];
      if (parent && parent.builder.values[metric] === undefined) parent.builder.values[metric] = v;
    }
  }
}

interface Group {
  readonly key: string;
  readonly builder: RecordBuilder;
  readonly index: number;
  readonly mig: string;
  /** Per-link NVLink counters seen, summed per catalog metric. */
  readonly linkSums: Map<MetricDef, number>;
}

/** A per-link NVLink counter: an extra metric with its link, and its share of the GPU's total. */
function addPerLink(g: Group, m: MetricDef, link: string, value: number): void {
  g.builder.addExtra({ name: m.name, labels: { [NVLINK_LINK_LABEL]: link }, value });
  g.linkSums.set(m, (g.linkSums.get(m) ?? 0) + value);
}

/** Totals from the per-link sums, where the exporter did not print the _TOTAL series. */
function totalsFromLinks(groups: Map<string, Group>): void {
  for (const g of groups.values()) {
    for (const [m, sum] of g.linkSums) {
      if (g.builder.values[m.name] === undefined) g.builder.setMetric(m, sum);
    }
  }
}

function perLink(name: string): [MetricDef, string] | undefined {
  const match = PER_LINK_RE.exec(name);
  const m = match ? PER_LINK.get(match[1] ?? '') : undefined;
  return m && match?.[2] !== undefined ? [m, match[2]] : undefined;
}

export function parseDcgm(text: string): ParseResult {
  const doc = parsePromText(text);
  const errors: DocumentError[] = doc.errors.map((e) => ({
    line: e.line,
    field: e.name ?? 'line',
    reason: 'unparseable',
    message: e.message,
  }));
  const groups = new Map<string, Group>();

  const groupFor = (s: PromSample): Group => {
    const uuid = firstLabel(s.labels, UUID_LABELS);
    const gpu = s.labels.gpu;
    const gi = s.labels.GPU_I_ID;
    const key = `${uuid ?? (gpu !== undefined ? `gpu${gpu}` : '')}|${gi ?? ''}`;
    let g = groups.get(key);
    if (!g) {
      const b = new RecordBuilder('gpu', 'dcgm');
      const index = gpu !== undefined && /^\d+$/.test(gpu) ? Number(gpu) : undefined;
      b.label('gpu_uuid', uuid).label('gpu_index', index).label('model', firstLabel(s.labels, MODEL_LABELS));
      // dcgm-exporter names a MIG instance by its GPU instance id only (no compute instance id).
      b.label('mig_instance', gi).label('mig_profile', s.labels.GPU_I_PROFILE);
      if (!uuid) {
        b.error({
          field: 'gpu_uuid',
          reason: 'unparseable',
          message: 'gpu_uuid: series carry no UUID label; they cannot be attributed to a GPU',
        });
      }
      g = { key, builder: b, index: index ?? Number.MAX_SAFE_INTEGER, mig: gi ?? '', linkSums: new Map() };
      groups.set(key, g);
    }
    return g;
  };

  for (const s of doc.samples) {
    const g = groupFor(s);
    const mapping = DCGM_FIELDS.get(s.name);
    // Checked before the blank test: +Inf is above every blank threshold and used to vanish
    // uncounted. A non-number is a parse error of the metric (or the series, when unmapped).
    if (!Number.isFinite(s.value)) {
      if (mapping || s.name.startsWith('DCGM_')) {
        const field = mapping ? mapping.metric.name : s.name;
        const text = Number.isNaN(s.value) ? 'NaN' : s.value > 0 ? '+Inf' : '-Inf';
        g.builder.error({ field, reason: 'unparseable', message: `${field}: ${text} is not a value` });
      }
      continue;
    }
    if (isDcgmBlank(s.value)) continue;
    if (mapping) {
      g.builder.setNumber(mapping.metric.name, s.value * (mapping.source.scale ?? 1));
      if (mapping.metric.name === THROTTLE && Number.isSafeInteger(s.value) && s.value >= 0) {
        g.builder.setNumber(THROTTLED, isThrottled(BigInt(s.value)) ? 1 : 0);
      }
      continue;
    }
    const link = perLink(s.name);
    if (link) {
      addPerLink(g, link[0], link[1], s.value);
    } else if (s.name.startsWith('DCGM_')) {
      const labels = Object.fromEntries(
        Object.entries(s.labels).filter(([k]) => !IDENTITY_LABELS.has(k) && !k.startsWith('DCGM_FI_')),
      );
      g.builder.addExtra({ name: s.name, labels, value: s.value });
    }
  }

  totalsFromLinks(groups);
  foldParentValues(groups);
  const records: ParsedRecord[] = [...groups.values()]
    .sort((a, b) => a.index - b.index || a.key.localeCompare(b.key) || a.mig.localeCompare(b.mig))
    .map((g) => g.builder.build());
  return { records, errors };
}
