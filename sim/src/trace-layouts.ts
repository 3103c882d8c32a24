/**
 * The trace layouts the twin reads, each turned into the same `TracePod` rows (see sim/traces/SOURCES.md
 * for the published files and sim/README.md for the rules):
 * - `openb`: the Alibaba GPU v2023 pod lists (name, num_gpu, gpu_milli, qos, creation_time, deletion_time);
 * - `openb-notime`: openb pod lists without the time columns (name, num_gpu, gpu_milli[, qos]): pods
 *   arrive in file order at the scenario's `rate_per_hour` and run for its `duration`;
 * - `pai-2020`: the Alibaba PAI 2020 task table (headerless: job_name, task_name, inst_num, status,
 *   start_time, end_time, plan_cpu, plan_mem, plan_gpu, gpu_type); the tasks of a job make one workload;
 * - `serving-2025`: the Alibaba GPU v2025 disaggregated-serving instance table (instance_sn, role,
 *   app_name, gpu_request, creation_time, deletion_time, …): one inference workload per app and role;
 * - `columns`: any CSV with a header, through the scenario's `columns` mapping.
 * A header that matches none is refused with the columns each layout needs.
 */
import { readFileSync } from 'node:fs';
import type { TraceSpec } from './scenario.js';
import type { WorkloadKind } from './workloads.js';

export type TraceLayout = NonNullable<TraceSpec['layout']>;

export interface TracePod {
  readonly name: string;
  readonly numGpu: number;
  /** Share of each GPU the pod asks for, in thousandths (openb's gpu_milli; 1000 = whole GPUs). */
  readonly gpuMilli: number;
  readonly kind: WorkloadKind;
  /** Trace seconds; null where the layout has no time (file order) or the pod existed before the trace. */
  readonly creationS: number | null;
  /** Trace seconds; null where the layout has no end (the scenario's `duration`) or the pod outlived the trace. */
  readonly deletionS: number | null;
  /** The region the pod was submitted to, where the trace says (a `region` column). */
  readonly region?: string;
}

/** The columns each layout needs, for the refusal of a header that matches none. */
export const LAYOUT_COLUMNS: Record<Exclude<TraceLayout, 'columns' | 'pai-2020'>, readonly string[]> = {
  openb: ['name', 'num_gpu', 'gpu_milli', 'qos', 'creation_time', 'deletion_time'],
  'openb-notime': ['name', 'num_gpu', 'gpu_milli'],
  'serving-2025': ['instance_sn', 'role', 'app_name', 'gpu_request', 'creation_time', 'deletion_time'],
};
/** The PAI 2020 task table ships without a header; its published column order. */
export const PAI_TASK_COLUMNS = [
  'job_name',
  'task_name',
  'inst_num',
  'status',
  'start_time',
  'end_time',
  'plan_cpu',
  'plan_mem',
  'plan_gpu',
  'gpu_type',
] as const;

interface Table {
  readonly file: string;
  readonly header: readonly string[];
  /** Data rows with their 1-based line numbers. */
  readonly rows: readonly { readonly line: number; readonly f: readonly string[] }[];
}

function readTable(file: string, headerless: readonly string[] | null): Table {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  const header = headerless ?? (lines[0] ?? '').split(',');
  const rows: { line: number; f: string[] }[] = [];
  for (let n = headerless ? 0 : 1; n < lines.length; n++) {
    const l = lines[n] as string;
    if (l.length === 0) continue;
    const f = l.split(',');
    if (f.length !== header.length)
      throw new Error(`trace ${file}: line ${n + 1} has ${f.length} fields, the header has ${header.length}`);
    rows.push({ line: n + 1, f });
  }
  return { file, header, rows };
}

/** The reader of one column: a string, a number, or a number that may be empty (NaN in the 2025 table). */
function columns(t: Table, names: readonly string[]) {
  const at = new Map<string, number>();
  for (const c of names) {
    const i = t.header.indexOf(c);
    if (i < 0) throw new Error(`trace ${t.file}: header lacks the column "${c}"`);
    at.set(c, i);
  }
  const raw = (r: Table['rows'][number], c: string): string => {
    const i = at.get(c);
    if (i === undefined) throw new Error(`trace ${t.file}: column "${c}" was not asked for`);
    return (r.f[i] ?? '').trim();
  };
  const num = (r: Table['rows'][number], c: string): number => {
    const v = Number(raw(r, c));
    if (raw(r, c) === '' || !Number.isFinite(v))
      throw new Error(`trace ${t.file}: line ${r.line}: ${c} is not a number ("${raw(r, c)}")`);
    return v;
  };
  const optNum = (r: Table['rows'][number], c: string): number | null => {
    const s = raw(r, c);
    if (s === '' || s === 'NaN' || s === 'nan') return null;
    return num(r, c);
  };
  return { raw, num, optNum };
}

/** openb's qos: LS (latency-sensitive) is a service; other pods of ≥ 2 GPUs are gangs, 1 GPU batch. */
const openbKind = (qos: string, gpus: number): WorkloadKind =>
  qos === 'LS' ? 'inference' : gpus >= 2 ? 'training' : 'batch';

function openb(t: Table, times: boolean): TracePod[] {
  const hasQos = t.header.includes('qos');
  const c = columns(t, [
    'name',
    'num_gpu',
    'gpu_milli',
    ...(hasQos ? ['qos'] : []),
    ...(times ? ['creation_time', 'deletion_time'] : []),
  ]);
  return t.rows.map((r) => {
    const gpus = c.num(r, 'num_gpu');
    return {
      name: c.raw(r, 'name'),
      numGpu: gpus,
      gpuMilli: c.num(r, 'gpu_milli'),
      kind: openbKind(hasQos ? c.raw(r, 'qos') : '', gpus),
      creationS: times ? c.num(r, 'creation_time') : null,
      deletionS: times ? c.num(r, 'deletion_time') : null,
    };
  });
}

/**
 * PAI 2020 tasks: plan_gpu is in percent of a GPU per instance (100 = one GPU, 25 = a quarter), so a
 * task holds ⌈inst_num × plan_gpu ÷ 100⌉ GPUs; a job is its tasks together (from its first start to
 * its last end). Tasks that never ran (no start or end: Waiting, Running at the trace's end) are left out.
 */
function pai2020(t: Table): TracePod[] {
  const c = columns(t, PAI_TASK_COLUMNS);
  const jobs = new Map<string, { gpus: number; milli: number; start: number; end: number; tasks: number }>();
  for (const r of t.rows) {
    const planGpu = c.optNum(r, 'plan_gpu') ?? 0;
    const start = c.optNum(r, 'start_time');
    const end = c.optNum(r, 'end_time');
    if (planGpu <= 0 || start === null || end === null || end <= start) continue;
    const inst = c.num(r, 'inst_num');
    const job = c.raw(r, 'job_name');
    const j = jobs.get(job) ?? { gpus: 0, milli: 0, start, end, tasks: 0 };
    j.gpus += Math.ceil((inst * planGpu) / 100);
    j.milli = Math.max(j.milli, Math.min(1000, planGpu * 10));
    j.start = Math.min(j.start, start);
    j.end = Math.max(j.end, end);
    j.tasks++;
    jobs.set(job, j);
  }
  return [...jobs].map(([name, j]) => ({
    name,
    numGpu: j.gpus,
    gpuMilli: j.gpus === 1 ? j.milli : 1000,
    // A job of several GPUs or tasks is a gang (PAI's PS/worker jobs); a one-GPU job, batch.
    kind: j.gpus >= 2 ? 'training' : 'batch',
    creationS: j.start,
    deletionS: j.end,
  }));
}

/**
 * The 2025 disaggregated-serving instances: every instance is a latency-sensitive inference
 * replica. The GPU instances of one app and role form one service (their GPUs summed) for the
 * instances present when the trace starts (creation NaN); each instance created later is a
 * replica added then, its own service row `<app>/<role>/<instance>`. CPU-only instances (the CN
 * role, gpu_request 0) hold no GPU and are skipped like openb's CPU pods.
 */
function serving2025(t: Table): TracePod[] {
  const c = columns(t, LAYOUT_COLUMNS['serving-2025']);
  const base = new Map<string, { gpus: number; end: number | null }>();
  const out: TracePod[] = [];
  for (const r of t.rows) {
    const gpus = c.num(r, 'gpu_request');
    if (gpus <= 0) continue;
    const app = `${c.raw(r, 'app_name')}/${c.raw(r, 'role')}`;
    const created = c.optNum(r, 'creation_time');
    const deleted = c.optNum(r, 'deletion_time');
    if (created === null) {
      const b = base.get(app) ?? { gpus: 0, end: deleted };
      b.gpus += gpus;
      b.end = b.end === null || deleted === null ? null : Math.max(b.end, deleted);
      base.set(app, b);
    } else
      out.push({
        name: `${app}/${c.raw(r, 'instance_sn')}`,
        numGpu: gpus,
        gpuMilli: 1000,
        kind: 'inference',
        creationS: created,
        deletionS: deleted,
      });
  }
  const existing: TracePod[] = [...base].map(([app, b]) => ({
    name: app,
    numGpu: b.gpus,
    gpuMilli: 1000,
    kind: 'inference',
    creationS: null,
    deletionS: b.end,
  }));
  return [...existing, ...out];
}

function mapped(t: Table, m: NonNullable<TraceSpec['columns']>): TracePod[] {
  const names = [m.name, m.gpus, m.arrival, m.end, m.duration, m.kind, m.region].filter(
    (x): x is string => x !== undefined,
  );
  const c = columns(t, names);
  return t.rows.map((r) => {
    const gpus = c.num(r, m.gpus);
    const created = m.arrival ? c.num(r, m.arrival) : null;
    const end = m.end ? c.num(r, m.end) : m.duration && created !== null ? created + c.num(r, m.duration) : null;
    const k = m.kind ? c.raw(r, m.kind).toLowerCase() : '';
    const kind: WorkloadKind =
      k === 'inference' || k === 'ls'
        ? 'inference'
        : k === 'training' || (k === '' && gpus >= 2)
          ? 'training'
          : 'batch';
    return {
      name: c.raw(r, m.name),
      numGpu: gpus,
      gpuMilli: 1000,
      kind,
      creationS: created,
      deletionS: end,
      ...(m.region ? { region: c.raw(r, m.region) } : {}),
    };
  });
}

/** The layout a header shows, or null: the most specific match first. */
export function detectLayout(header: readonly string[]): TraceLayout | null {
  const has = (cols: readonly string[]) => cols.every((c) => header.includes(c));
  if (has(LAYOUT_COLUMNS['serving-2025'])) return 'serving-2025';
  if (has(LAYOUT_COLUMNS.openb)) return 'openb';
  if (has(LAYOUT_COLUMNS['openb-notime'])) return 'openb-notime';
  return null;
}

/** Reads `file` in the spec's layout (or the one its header shows); refuses a header it cannot place. */
export function readTrace(
  file: string,
  spec: Pick<TraceSpec, 'layout' | 'columns'> = {},
): { layout: TraceLayout; pods: TracePod[] } {
  if (spec.layout === 'pai-2020') return { layout: 'pai-2020', pods: pai2020(readTable(file, PAI_TASK_COLUMNS)) };
  const t = readTable(file, null);
  if (spec.layout === 'columns' || (spec.layout === undefined && spec.columns)) {
    if (!spec.columns) throw new Error(`trace ${file}: layout "columns" needs workloads.trace.columns (name, gpus, …)`);
    return { layout: 'columns', pods: mapped(t, spec.columns) };
  }
  const layout = spec.layout ?? detectLayout(t.header);
  if (layout === null)
    throw new Error(
      `trace ${file}: unknown layout (header ${t.header.join(',')}); ` +
        Object.entries(LAYOUT_COLUMNS)
          .map(([l, cols]) => `${l} needs ${cols.join(',')}`)
          .join('; ') +
        `; pai-2020 (headerless, set layout: pai-2020) has ${PAI_TASK_COLUMNS.join(',')}; ` +
        'any other CSV: set workloads.trace.columns (name, gpus, arrival, end or duration, kind, region)',
    );
  if (layout === 'openb' || layout === 'openb-notime') return { layout, pods: openb(t, layout === 'openb') };
  if (layout === 'serving-2025') return { layout, pods: serving2025(t) };
  throw new Error(`trace ${file}: layout "${layout}" needs workloads.trace.columns`);
}
