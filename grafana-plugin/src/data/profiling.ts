import {
  BUSY_SOURCE_LABELS,
  busySql,
  increaseReadExpr,
  NVLINK_ERROR_METRICS,
  readExpr,
  type BusySource,
  type Resolution,
} from '@meridian/catalog';
import { GPU_LABELS } from './catalogRefs';
import { num, str, type Row } from './dsQuery';
import { scopeWhere, type GpuScope } from './queries';
import { table } from './sql';
import { metricByName, type MetricDef } from '@meridian/catalog';

/**
 * Per GPU and per MIG instance over the range: NVML utilization beside DCGM's SM and tensor activity,
 * the catalog's busy figure with its source (utilisation.ts), NVLink errors and energy. Columns a host
 * cannot report come back NULL, and the page says so in words.
 */
function gpuMetric(name: string): MetricDef {
  const m = metricByName(name);
  if (!m || m.entity !== 'gpu') throw new Error(`@meridian/catalog has no gpu metric "${name}"`);
  return m;
}

const P = {
  util: gpuMetric('util_gpu'),
  sm: gpuMetric('util_sm_active'),
  tensor: gpuMetric('util_tensor_active'),
  energy: gpuMetric('energy_total'),
} as const;

const L = GPU_LABELS;

export function gpuProfilingSql(res: Resolution, scope: GpuScope = {}): string {
  const busy = busySql(res);
  const nvlink = NVLINK_ERROR_METRICS.map((m) => `ifNull(${increaseReadExpr(m)}, 0)`).join(' + ');
  const nvlinkKnown = NVLINK_ERROR_METRICS.map((m) => `isNotNull(${readExpr(m, 'max', res)})`).join(' OR ');
  return (
    `SELECT ${L.region.name} AS region, ${L.host.name} AS host, ${L.uuid.name} AS gpu_uuid, ${L.mig.name} AS mig_instance, ` +
    `${readExpr(P.util, 'avg', res)} AS nvml_util, ${readExpr(P.sm, 'avg', res)} AS sm_active, ` +
    `${readExpr(P.tensor, 'avg', res)} AS tensor_active, ${busy.value} AS busy, ${busy.source} AS busy_source, ` +
    `if(${nvlinkKnown}, ${nvlink}, NULL) AS nvlink_errors, ${increaseReadExpr(P.energy)} / 3.6e6 AS energy_kwh ` +
    `FROM ${table('gpu', res)} WHERE $__timeFilter(ts)${scopeWhere(scope)} ` +
    `GROUP BY region, host, gpu_uuid, mig_instance ORDER BY region, host, gpu_uuid, mig_instance LIMIT 20000`
  );
}

export interface ProfilingRow {
  region: string;
  host: string;
  gpu_uuid: string;
  mig_instance: string;
  nvml_util: number | null;
  sm_active: number | null;
  tensor_active: number | null;
  busy: number | null;
  busy_source: BusySource | '';
  nvlink_errors: number | null;
  energy_kwh: number | null;
}

export interface ProfilingEntry extends ProfilingRow {
  instances: ProfilingRow[];
}

const SOURCES = new Set<string>(Object.keys(BUSY_SOURCE_LABELS));

export function toProfilingRow(r: Row): ProfilingRow {
  const src = str(r.busy_source);
  return {
    region: str(r.region),
    host: str(r.host),
    gpu_uuid: str(r.gpu_uuid),
    mig_instance: str(r.mig_instance),
    nvml_util: num(r.nvml_util),
    sm_active: num(r.sm_active),
    tensor_active: num(r.tensor_active),
    busy: num(r.busy),
    busy_source: SOURCES.has(src) ? (src as BusySource) : '',
    nvlink_errors: num(r.nvlink_errors),
    energy_kwh: num(r.energy_kwh),
  };
}

/**
 * Whole GPUs with their MIG instances under them, worst NVLink first (a GPU without NVLink counters
 * last), then busiest. A GPU seen only through its instances gets an empty parent row.
 */
export function nestProfiling(rows: readonly ProfilingRow[]): ProfilingEntry[] {
  const byGpu = new Map<string, ProfilingEntry>();
  const key = (r: ProfilingRow) => `${r.host}/${r.gpu_uuid}`;
  for (const r of rows) if (r.mig_instance === '') byGpu.set(key(r), { ...r, instances: [] });
  for (const r of rows) {
    if (r.mig_instance === '') continue;
    let parent = byGpu.get(key(r));
    if (!parent) {
      parent = {
        ...r,
        mig_instance: '',
        nvml_util: null,
        sm_active: null,
        tensor_active: null,
        busy: null,
        busy_source: '',
        nvlink_errors: null,
        energy_kwh: null,
        instances: [],
      };
      byGpu.set(key(r), parent);
    }
    parent.instances.push(r);
  }
  const rank = (v: number | null) => (v === null ? -1 : v);
  return [...byGpu.values()].sort(
    (a, b) => rank(b.nvlink_errors) - rank(a.nvlink_errors) || rank(b.busy) - rank(a.busy),
  );
}
