import { num, str, type Row } from './dsQuery';

export interface GpuRow {
  region: string;
  host: string;
  gpu_uuid: string;
  mig_instance: string;
  model: string;
  mig_profile: string;
  util: number | null;
  mem_used: number | null;
  power: number | null;
  temp_max: number | null;
  throttled: number | null;
  xid_errors: number | null;
  /** Who held it last in the range (gpu_assignments, see assignments.ts); absent or '' when nobody. */
  namespace?: string;
  pod?: string;
  workload_id?: string;
}

export interface GpuEntry extends GpuRow {
  /** MIG instances of this GPU, in instance order. */
  mig: GpuRow[];
}

export function toGpuRow(r: Row): GpuRow {
  return {
    region: str(r.region),
    host: str(r.host),
    gpu_uuid: str(r.gpu_uuid),
    mig_instance: str(r.mig_instance),
    model: str(r.model),
    mig_profile: str(r.mig_profile),
    util: num(r.util),
    mem_used: num(r.mem_used),
    power: num(r.power),
    temp_max: num(r.temp_max),
    throttled: num(r.throttled),
    xid_errors: num(r.xid_errors),
  };
}

/** Whole GPUs with their MIG instances nested under them; a MIG-only GPU gets a parent row of its own. */
/** A GPU's identity is its UUID on its host: the key is not trusted to be fleet-unique (the twin repeats them). */
export function gpuKey(g: Pick<GpuRow, 'host' | 'gpu_uuid'>): string {
  return `${g.host}/${g.gpu_uuid}`;
}

export function nestMig(rows: GpuRow[]): GpuEntry[] {
  const byUuid = new Map<string, GpuEntry>();
  const orphans: GpuRow[] = [];
  for (const r of rows) {
    if (r.mig_instance === '') byUuid.set(gpuKey(r), { ...r, mig: [] });
    else orphans.push(r);
  }
  for (const m of orphans) {
    let parent = byUuid.get(gpuKey(m));
    if (!parent) {
      parent = {
        ...m,
        mig_instance: '',
        mig_profile: '',
        util: null,
        mem_used: null,
        power: null,
        temp_max: null,
        throttled: null,
        xid_errors: null,
        mig: [],
      };
      byUuid.set(gpuKey(m), parent);
    }
    parent.mig.push(m);
  }
  for (const g of byUuid.values()) g.mig.sort((a, b) => a.mig_instance.localeCompare(b.mig_instance));
  return [...byUuid.values()];
}

export type SortKey =
  | 'region'
  | 'host'
  | 'gpu_uuid'
  | 'model'
  | 'workload_id'
  | 'util'
  | 'mem_used'
  | 'power'
  | 'temp_max'
  | 'throttled'
  | 'xid_errors';
export type SortDir = 'asc' | 'desc';

/** Whether a GPU's holder (namespace, pod or workload) contains `q` (lower case). */
function heldBy(g: GpuRow, q: string): boolean {
  return (
    (g.namespace ?? '').toLowerCase().includes(q) ||
    (g.pod ?? '').toLowerCase().includes(q) ||
    (g.workload_id ?? '').toLowerCase().includes(q)
  );
}

/** Case-insensitive match on region, host, UUID, model, namespace, pod, workload or a MIG profile. */
export function filterGpus(gpus: GpuEntry[], text: string): GpuEntry[] {
  const q = text.trim().toLowerCase();
  if (!q) return gpus;
  return gpus.filter(
    (g) =>
      g.region.toLowerCase().includes(q) ||
      g.host.toLowerCase().includes(q) ||
      g.gpu_uuid.toLowerCase().includes(q) ||
      g.model.toLowerCase().includes(q) ||
      heldBy(g, q) ||
      g.mig.some((m) => heldBy(m, q)) ||
      g.mig.some((m) => m.mig_profile.toLowerCase().includes(q)),
  );
}

/** Stable sort; missing figures sort last in either direction so "no data" never hides the worst GPU. */
export function sortGpus(gpus: GpuEntry[], key: SortKey, dir: SortDir): GpuEntry[] {
  const sign = dir === 'asc' ? 1 : -1;
  return [...gpus].sort((a, b) => {
    // A GPU nobody held sorts as an empty workload name.
    const x = key === 'workload_id' ? (a.workload_id ?? '') : a[key];
    const y = key === 'workload_id' ? (b.workload_id ?? '') : b[key];
    if (typeof x === 'string' || typeof y === 'string')
      return sign * String(x).localeCompare(String(y), 'en', { numeric: true });
    if (x === null && y === null) return 0;
    if (x === null) return 1;
    if (y === null) return -1;
    return sign * (x - y);
  });
}
