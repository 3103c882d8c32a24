/**
 * Catalog-checked row shapes. The twin never types a column name into a row by hand: it declares the
 * labels and metrics it emits per entity once, this module checks each against @meridian/catalog at
 * load time (a typo or a renamed catalog metric fails loudly at startup, not as a silent NULL
 * column), and rows are built from those checked names.
 */
import { COMMON_LABELS, labelsOf, metricByName, type Entity, CLOCK_EVENT_BITS } from '@meridian/catalog';
import { isStringColumn, SampleColumnsBuilder, type SampleColumns, type SampleRow } from '@meridian/store';

export class RowShape<L extends string, M extends string> {
  /** Column names as the catalog spells them, in declaration order. */
  readonly labels: readonly L[];
  readonly metrics: readonly M[];

  constructor(
    readonly entity: Entity,
    labels: readonly L[],
    metrics: readonly M[],
  ) {
    const known = new Set(labelsOf(entity).map((l) => l.name));
    for (const l of labels) {
      if (!known.has(l)) throw new Error(`sim: "${l}" is not a ${entity} label in the catalog`);
    }
    for (const m of metrics) {
      const def = metricByName(m);
      if (!def || def.entity !== entity) throw new Error(`sim: "${m}" is not a ${entity} metric in the catalog`);
    }
    this.labels = labels;
    this.metrics = metrics;
    this.factory = compileFactory(labels, metrics);
  }

  /**
   * The row builder (for `toRows`), compiled once per shape into an object literal: every row then
   * shares one hidden class with in-object fields. Building rows key by key made V8 fall back to dictionary objects,
   * and at 10,000 rows a tick that cost more than the whole physics step (measured, bench/src/sim.ts).
   * The keys are catalog names checked above and against a strict identifier pattern, never input.
   */
  private readonly factory: Factory;

  /** Index of a metric in `values`, for builders that fill a reusable array. */
  index(m: M): number {
    return this.metrics.indexOf(m);
  }

  /**
   * A column builder for this shape: `append(ts, labelValues, values)`, where `values[i]` belongs to
   * `metrics[i]` and null means absent (stored as NULL, as the collector stores an N/A field), into
   * typed arrays and dictionaries instead of an object per row (the store path's form).
   */
  builder(capacity?: number): SampleColumnsBuilder {
    const numeric = new Set(
      labelsOf(this.entity)
        .filter((l) => l.type === 'UInt16')
        .map((l) => l.name),
    );
    return new SampleColumnsBuilder({
      source: SIM_SOURCE,
      labels: this.labels.map((name) => ({ name, kind: numeric.has(name) ? 'number' : 'string' })),
      metrics: this.metrics,
      ...(capacity === undefined ? {} : { capacity }),
    });
  }

  /** The rows of a batch this shape's builder made, one object per row, every row one hidden class. */
  toRows(batch: SampleColumns): SampleRow[] {
    const at = (name: string): ((i: number) => string | number | null) => {
      const c = batch.columns[name];
      if (!c) throw new Error(`sim: a ${this.entity} batch lacks its "${name}" column`);
      if (isStringColumn(c)) return (i) => c.dict[c.codes[i]!]!;
      const { values, nulls } = c;
      return nulls ? (i) => (nulls[i] === 1 ? null : values[i]!) : (i) => values[i]!;
    };
    const labels = this.labels.map(at);
    const metrics = this.metrics.map(at);
    const lv: (string | number)[] = new Array<string | number>(labels.length);
    const mv: (number | null)[] = new Array<number | null>(metrics.length);
    const rows: SampleRow[] = new Array<SampleRow>(batch.rows);
    for (let i = 0; i < batch.rows; i++) {
      for (let k = 0; k < labels.length; k++) lv[k] = labels[k]!(i) as string | number;
      for (let k = 0; k < metrics.length; k++) mv[k] = metrics[k]!(i) as number | null;
      rows[i] = this.factory(batch.ts[i]!, lv, mv);
    }
    return rows;
  }
}

type Factory = (ts: number, labels: readonly (string | number)[], values: ArrayLike<number | null>) => SampleRow;

function compileFactory(labels: readonly string[], metrics: readonly string[]): Factory {
  const ident = /^[a-z_][a-z0-9_]*$/;
  for (const k of [...labels, ...metrics])
    if (!ident.test(k)) throw new Error(`sim: column name "${k}" is not a plain identifier`);
  const fields = [
    'ts: ts',
    `source: ${JSON.stringify(SIM_SOURCE)}`,
    ...labels.map((l, i) => `${l}: l[${i}]`),
    ...metrics.map((m, i) => `${m}: v[${i}]`),
  ];
  return new Function('ts', 'l', 'v', `return { ${fields.join(', ')} };`) as Factory;
}

/** Every twin row says where it came from, so nobody mistakes it for hardware. */
export const SIM_SOURCE = 'sim';

// The common columns are part of the contract too; fail at load if the catalog ever renames them.
if (!COMMON_LABELS.includes('source') || !COMMON_LABELS.includes('ts')) {
  throw new Error('sim: the catalog no longer names ts/source as common labels');
}

export const GPU_ROW = new RowShape(
  'gpu',
  ['region', 'host', 'gpu_uuid', 'gpu_index', 'model'] as const,
  [
    'util_gpu',
    'util_sm_active',
    'util_sm_occupancy',
    'util_tensor_active',
    'util_dram_active',
    'util_gr_engine_active',
    'util_memory',
    'memory_used',
    'memory_free',
    'memory_total',
    'power_draw',
    'power_limit',
    'energy_total',
    'temp_gpu',
    'temp_memory',
    'clock_sm',
    'clock_mem',
    'throttle_reasons',
    'throttled',
    'pstate',
    'ecc_sbe_volatile',
    'ecc_dbe_volatile',
    'xid_last',
    'xid_count',
    'pcie_tx',
    'pcie_rx',
    'nvlink_tx',
    'nvlink_rx',
  ] as const,
);

export const HOST_ROW = new RowShape(
  'host',
  ['region', 'host'] as const,
  ['cpu_util', 'mem_used', 'mem_total', 'load_1m'] as const,
);

export const LINK_ROW = new RowShape(
  'link',
  ['link_id', 'region_from', 'region_to', 'host', 'lane', 'method'] as const,
  [
    'rtt_min',
    'rtt_avg',
    'rtt_p50',
    'rtt_p99',
    'rtt_max',
    'owd_forward',
    'owd_reverse',
    'clock_synced',
    'clock_error',
    'jitter',
    'loss_pct',
    'reordered',
    'duplicates',
    'probes_sent',
    'probes_received',
    'throughput',
    'capacity',
  ] as const,
);

/** The NVML clock-event reason bits the twin raises (the catalog's; it sets no others). */
export const THROTTLE = {
  gpuIdle: CLOCK_EVENT_BITS.gpu_idle,
  swPowerCap: CLOCK_EVENT_BITS.sw_power_cap,
  swThermalSlowdown: CLOCK_EVENT_BITS.sw_thermal_slowdown,
  hwThermalSlowdown: CLOCK_EVENT_BITS.hw_thermal_slowdown,
} as const;
