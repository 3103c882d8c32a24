/**
 * "How busy is this GPU": one rule, used by the scheduler's load, the region figures, the dashboards
 * and the plugin, so that a fleet mixing DCGM hosts and plain NVML hosts still gets one figure per GPU
 * on one scale (percent of time the GPU's compute was doing work), with the source it came from.
 *
 * NVML's utilization (`util_gpu`) only says that some kernel ran during the sample: a GPU can read
 * 100 % with most of its SMs idle. DCGM's profiling fields measure the SMs themselves. The rule, in
 * order of preference:
 *  1. `util_sm_active` (DCGM SM_ACTIVE) of the whole GPU, where the profiling fields exist;
 *  2. for a GPU in MIG mode, the mean `util_gr_engine_active` of its instances (under MIG, NVML has no
 *     utilization at all and GR_ENGINE_ACTIVE is the only figure an instance has);
 *  3. `util_gpu` (NVML) otherwise.
 * A MIG instance's own figure is its `util_gr_engine_active`.
 *
 * SM active is the stricter measure (it is at most NVML's figure for the same work), so a fleet that
 * mixes the two reads slightly busier on its plain hosts; every reader shows the source beside the
 * figure so the mix is visible rather than silent.
 */
import { metricByName } from './lookup.js';
import { rollupColumns, type Resolution } from './naming.js';

export type BusySource = 'sm_active' | 'gr_engine_active' | 'nvml';

/** The source labels readers show, in the rule's order. */
export const BUSY_SOURCES: readonly BusySource[] = ['sm_active', 'gr_engine_active', 'nvml'];

/** What each source reads, as a short text for panels and the plugin. */
export const BUSY_SOURCE_LABELS: Readonly<Record<BusySource, string>> = {
  sm_active: 'DCGM SM active',
  gr_engine_active: 'DCGM graphics-engine active (MIG)',
  nvml: 'NVML utilization (no profiling on this host)',
};

/** The catalog columns the rule reads. */
export const BUSY_COLUMNS = {
  smActive: 'util_sm_active',
  grEngine: 'util_gr_engine_active',
  nvml: 'util_gpu',
} as const;

for (const c of Object.values(BUSY_COLUMNS)) {
  if (!metricByName(c)) throw new Error(`utilisation rule: catalog has no metric ${c}`);
}

export interface BusyInputs {
  readonly util_sm_active?: number | null;
  readonly util_gr_engine_active?: number | null;
  readonly util_gpu?: number | null;
}

export interface Busy {
  readonly percent: number;
  readonly source: BusySource;
}

const known = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * The rule for one GPU: its own values, and those of its MIG instances when it is partitioned.
 * Undefined when nothing is known.
 */
export function busyOf(gpu: BusyInputs, instances: readonly BusyInputs[] = []): Busy | undefined {
  if (known(gpu.util_sm_active)) return { percent: gpu.util_sm_active, source: 'sm_active' };
  const gr = instances.map((i) => i.util_gr_engine_active).filter(known);
  if (gr.length > 0) return { percent: gr.reduce((a, b) => a + b, 0) / gr.length, source: 'gr_engine_active' };
  if (known(gpu.util_gpu)) return { percent: gpu.util_gpu, source: 'nvml' };
  return undefined;
}

/** A MIG instance's own figure: its graphics-engine activity. */
export function instanceBusyOf(instance: BusyInputs): Busy | undefined {
  return known(instance.util_gr_engine_active)
    ? { percent: instance.util_gr_engine_active, source: 'gr_engine_active' }
    : undefined;
}

/** NaN (an average over no values) and NULL both read as unknown. */
const finite = (x: string): string => `if(isFinite(${x}), ${x}, NULL)`;

function avgOver(res: Resolution, column: string, cond: string): string {
  if (res === 'raw') return finite(`avgIf(${column}, ${cond})`);
  const m = metricByName(column);
  const c = m && rollupColumns(m).find((x) => x.agg === 'avg');
  if (!c) throw new Error(`utilisation rule: ${column} has no avg rollup column`);
  // avgMergeIf reads the rollup's avg state over the rows that pass the condition.
  return finite(`avgMergeIf(${c.column}, ${cond})`);
}

/**
 * SQL for the rule over the rows of one GPU (group by gpu_uuid, over raw rows or per-series rollup
 * rows of resolution `res`, MIG instance rows included): `value` is the busy percent, `source` one of
 * BUSY_SOURCES ('' when nothing is known). `where` narrows the rows (e.g. the freshest minutes).
 * Identifiers come from the catalog only.
 */
export function busySql(res: Resolution, where?: string): { value: string; source: string } {
  const and = (c: string) => (where ? `${c} AND (${where})` : c);
  const whole = and("mig_instance = ''");
  const sm = avgOver(res, BUSY_COLUMNS.smActive, whole);
  const gr = avgOver(res, BUSY_COLUMNS.grEngine, and(`mig_instance != ''`));
  const nvml = avgOver(res, BUSY_COLUMNS.nvml, whole);
  return {
    value: `coalesce(${sm}, ${gr}, ${nvml})`,
    source: `multiIf(isNotNull(${sm}), 'sm_active', isNotNull(${gr}), 'gr_engine_active', isNotNull(${nvml}), 'nvml', '')`,
  };
}
