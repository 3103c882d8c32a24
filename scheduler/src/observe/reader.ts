/**
 * Observe: builds an Observation from the store. Smoothed figures come from the 1-minute rollups over
 * the configured window; freshness comes from the newest raw sample; allocation (request-based
 * accounting) from the workloads table; capacity and the fiber floor from topology and inventory.
 * Every table and column name is derived from the catalog; every value is a bound parameter.
 */
import {
  busySql,
  increaseColumn,
  metricByName,
  rawTable,
  rollupColumns,
  rollupReadExpr,
  rollupTable,
  type RollupAgg,
  fiberRttFloorMs,
} from '@meridian/catalog';
import type { Store } from '@meridian/store';
import type {
  CommClass,
  LinkObservation,
  Observation,
  RegionObservation,
  WorkloadKind,
  WorkloadObservation,
} from './observation.js';

/** Fiber propagation, one way (≈ 204,190 km/s at 1550 nm). */

/** `avgMerge(util_gpu_avg)`-style read expression for one metric's rollup column. */
function col(metric: string, agg: RollupAgg): string {
  return rollupColumns(def(metric)).find((c) => c.agg === agg)?.column ?? fail(metric, agg);
}
function read(metric: string, agg: RollupAgg): string {
  const c = rollupColumns(def(metric)).find((x) => x.agg === agg);
  return c ? rollupReadExpr(c) : fail(metric, agg);
}
/** The rollup minutes from `{recent:String}` on (the freshest window). */
const RECENT = "ts >= toStartOfMinute(toDateTime64({recent:String}, 3, 'UTC'))";
/** The same, over the rollup minutes from `{recent:String}` on (the freshest window). */
function readRecent(metric: string): string {
  return `avgMergeIf(${col(metric, 'avg')}, ${RECENT})`;
}
/** A counter's per-sample increase column (see increaseColumn in the catalog). */
function increase(metric: string): string {
  return increaseColumn(def(metric)) ?? fail(metric, 'increase');
}
function def(metric: string) {
  const m = metricByName(metric);
  if (!m) throw new Error(`catalog has no metric ${metric}`);
  return m;
}
function fail(metric: string, agg: string): never {
  throw new Error(`catalog metric ${metric} has no ${agg} rollup column`);
}

export interface ReadOptions {
  readonly windowSeconds: number;
  /** The freshest window, read beside the smoothed one (utilization and throttling); default 60. */
  readonly recentSeconds?: number;
  /** Only rows from this source (e.g. 'sim'); default: all sources. */
  readonly source?: string;
  /** GPU temperature at which clocks slow down, for the thermal headroom figure. */
  readonly thermalLimitC?: number;
}

const num = (v: unknown): number | null => {
  if (v === null || v === undefined || v === '') return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
};
/** ClickHouse DateTime text ('2026-11-25 00:00:00.000', UTC) to epoch ms; the epoch means none. */
const tsOf = (v: unknown): number | null => {
  if (typeof v !== 'string' || v === '') return null;
  const ms = Date.parse(`${v.replace(' ', 'T')}Z`);
  return Number.isFinite(ms) && ms > 0 ? ms : null;
};
const chTime = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

/**
 * A `workloads` row (as the store returns it, or as a writer built it) to what the planner sees.
 * Zero, empty and null mean "not stated" for the fields migration 0005 added, so rows written before
 * it read as they always did: no partners, moves whole, any GPU, default lost work.
 */
export function workloadFromRow(w: Record<string, unknown>): WorkloadObservation {
  const partners = Array.isArray(w.coupled_with) ? w.coupled_with.map(String).filter((p) => p !== '') : [];
  const replica = num(w.replica_gpus) ?? 0;
  const model = typeof w.gpu_model === 'string' ? w.gpu_model : '';
  const mem = num(w.min_gpu_memory) ?? 0;
  const checkpoint = num(w.last_checkpoint_ts);
  const budget = num(w.latency_budget_ms) ?? 0;
  return {
    id: String(w.workload_id),
    kind: String(w.kind) as WorkloadKind,
    commClass: String(w.comm_class) as CommClass,
    gpus: num(w.gpus) ?? 0,
    region: String(w.region),
    checkpointBytes: num(w.checkpoint_bytes) ?? 0,
    priority: num(w.priority) ?? 0,
    pinned: (num(w.pinned) ?? 0) > 0,
    ...(partners.length > 0 ? { coupledWith: partners } : {}),
    ...(replica > 0 ? { replicaGpus: replica } : {}),
    ...(model !== '' ? { gpuModel: model } : {}),
    ...(mem > 0 ? { minGpuMemoryBytes: mem } : {}),
    ...(checkpoint !== null && checkpoint > 0 ? { lastCheckpointTs: checkpoint } : {}),
    ...((num(w.low_comm) ?? 0) > 0 ? { lowComm: true } : {}),
    ...(budget > 0 ? { latencyBudgetMs: budget } : {}),
  };
}

/** Bound parameters every windowed query shares, and the source filter. */
interface Window {
  readonly params: { from: string; to: string; source: string; recent: string };
  readonly srcCond: string;
}

export async function readObservation(store: Store, now: number, opts: ReadOptions): Promise<Observation> {
  const src = opts.source ?? '';
  const recent = chTime(now - Math.min(opts.recentSeconds ?? 60, opts.windowSeconds) * 1000);
  const win: Window = {
    params: { from: chTime(now - opts.windowSeconds * 1000), to: chTime(now), source: src, recent },
    srcCond: "({source:String} = '' OR source = {source:String})",
  };
  const regionRows = await readRegionRows(store, win);
  // last_checkpoint_ts comes back as epoch ms, the unit writers use, so one mapping serves both.
  const workloadRows = await store.query<Record<string, unknown>>(
    `SELECT workload_id, kind, comm_class, gpus, region, checkpoint_bytes, state, priority, pinned,
            coupled_with, replica_gpus, gpu_model, min_gpu_memory,
            toUnixTimestamp64Milli(last_checkpoint_ts) AS last_checkpoint_ts, low_comm, latency_budget_ms
     FROM workloads FINAL
     WHERE state IN ('running', 'migrating', 'queued') AND ${win.srcCond}
     ORDER BY workload_id`,
    { source: src },
  );
  const linkRows = await readLinkRows(store, win);

  // Queued work holds no GPUs yet: it is kept apart, for the plan to make room for a gang.
  const workloads = workloadRows.filter((r) => r.state !== 'queued').map(workloadFromRow);
  const queued = workloadRows.filter((r) => r.state === 'queued').map(workloadFromRow);
  const allocated = new Map<string, number>();
  for (const w of workloads) allocated.set(w.region, (allocated.get(w.region) ?? 0) + w.gpus);
  const regions = buildRegions(regionRows, workloads, allocated, opts.thermalLimitC ?? 85);
  return { ts: now, regions, links: buildLinks(linkRows), workloads, queued };
}

type RegionRows = Awaited<ReturnType<typeof readRegionRows>>;
type LinkRows = Awaited<ReturnType<typeof readLinkRows>>;

/** Per-region GPU figures over the window, freshness, inventory and the declared topology. */
async function readRegionRows(store: Store, win: Window) {
  const { params, srcCond } = win;
  // Per GPU first, then per region. Error counts are the writer's per-sample increases summed, which
  // count a counter reset from zero where max − min of the cumulative values would miss it.
  const xid = increase('xid_count');
  const dbe = increase('ecc_dbe_volatile');
  // How busy each GPU is: the catalog's one rule (SM active, a MIG GPU's instances, else NVML).
  const busy = busySql('1m');
  const busyRecent = busySql('1m', RECENT);
  const gpuRows = await store.query<Record<string, unknown>>(
    `SELECT region,
            count() AS gpus,
            avg(util) AS util, sum(power) AS power, sum(plimit) AS plimit, max(temp) AS temp,
            avg(throttled) AS throttled, sum(xid_delta) AS xid, sum(dbe_delta) AS dbe,
            avgIf(util_recent, isFinite(util_recent)) AS util_recent,
            avgIf(throttled_recent, isFinite(throttled_recent)) AS throttled_recent,
            groupUniqArray(model) AS models, max(hours) AS hours,
            countIf(util_source = 'sm_active') AS busy_sm, countIf(util_source = 'gr_engine_active') AS busy_gr,
            countIf(util_source = 'nvml') AS busy_nvml
     FROM (
       SELECT region, gpu_uuid,
              ${busy.value} AS util,
              ${busy.source} AS util_source,
              ${read('power_draw', 'avg')} AS power,
              ${read('power_limit', 'avg')} AS plimit,
              ${read('temp_gpu', 'max')} AS temp,
              ${read('throttled', 'avg')} AS throttled,
              ${busyRecent.value} AS util_recent,
              ${readRecent('throttled')} AS throttled_recent,
              sum(${xid}) AS xid_delta,
              sum(${dbe}) AS dbe_delta,
              anyLast(model) AS model,
              greatest(dateDiff('second', min(ts), max(ts)) + 60, 60) / 3600 AS hours
       FROM ${rollupTable('gpu', '1m')}
       WHERE ts >= toStartOfMinute(toDateTime64({from:String}, 3, 'UTC')) AND ts <= toDateTime64({to:String}, 3, 'UTC') AND ${srcCond}
       GROUP BY region, gpu_uuid
     )
     GROUP BY region`,
    params,
  );
  const fresh = await store.query<{ region: string; last: string }>(
    `SELECT region, toString(max(ts)) AS last FROM ${rawTable('gpu')}
     WHERE ts >= toDateTime64({from:String}, 3, 'UTC') - INTERVAL 1 DAY AND ts <= toDateTime64({to:String}, 3, 'UTC') AND ${srcCond}
     GROUP BY region`,
    params,
  );
  // An orchestrator observer (fabric/, e.g. Slurm) writes `orchestrator_up` each pass: 1 when its
  // cluster answered, 0 when not. A region it covers is only as fresh as its last good read, so a
  // silent cluster makes the region stale (no moves in or out) rather than look empty.
  const orchestrators = await store.query<{ region: string; last: string }>(
    `SELECT region, toString(maxIf(ts, value > 0)) AS last FROM extra_metrics
     WHERE name = 'orchestrator_up' AND ts >= toDateTime64({from:String}, 3, 'UTC') - INTERVAL 1 DAY
       AND ts <= toDateTime64({to:String}, 3, 'UTC')
     GROUP BY region`,
    params,
  );
  // memory_total is not rolled up (it never changes): inventory carries it.
  const inventory = await store.query<{ region: string; mem: string | number; models: string[] }>(
    `SELECT region, min(memory_total) AS mem, groupUniqArray(model) AS models
     FROM inventory FINAL WHERE memory_total > 0 AND mig_parent_uuid = '' GROUP BY region`,
  );
  const topoRegions = await store.query<{ id: string; gpus: string | number }>(
    `SELECT id, argMax(gpus, updated) AS gpus FROM topology WHERE kind = 'region' GROUP BY id`,
  );
  return { gpuRows, fresh, orchestrators, inventory, topoRegions };
}

/** Per-link figures over the window, freshness and capacity, and the declared links. */
async function readLinkRows(store: Store, win: Window) {
  const { params, srcCond } = win;
  const topoLinks = await store.query<{
    id: string;
    region: string;
    region_to: string;
    route_km: number;
    capacity_gbps: number;
    equipment_delay_ms: number;
  }>(
    `SELECT id, argMax(region, updated) AS region, argMax(region_to, updated) AS region_to,
            argMax(route_km, updated) AS route_km, argMax(capacity_gbps, updated) AS capacity_gbps,
            argMax(equipment_delay_ms, updated) AS equipment_delay_ms
     FROM topology WHERE kind = 'link' GROUP BY id`,
  );
  const linkRows = await store.query<Record<string, unknown>>(
    `SELECT region_from, region_to,
            ${read('rtt_avg', 'avg')} AS rtt, ${read('loss_pct', 'avg')} AS loss, ${read('jitter', 'avg')} AS jitter,
            ${read('throughput', 'avg')} AS tput, toString(max(ts)) AS last,
            arraySort(groupUniqArray(8)(host)) AS probers
     FROM ${rollupTable('link', '1m')}
     WHERE ts >= toStartOfMinute(toDateTime64({from:String}, 3, 'UTC')) AND ts <= toDateTime64({to:String}, 3, 'UTC') AND ${srcCond}
       AND region_to != ''
     GROUP BY region_from, region_to
     ORDER BY region_from, region_to`,
    params,
  );
  // capacity is not rolled up (it is a property, not a reading): the raw window carries it.
  const linkFresh = await store.query<{ region_from: string; region_to: string; last: string; cap: number | null }>(
    `SELECT region_from, region_to, toString(max(ts)) AS last,
            avgIf(${def('capacity').name}, ts >= toDateTime64({from:String}, 3, 'UTC')) AS cap
     FROM ${rawTable('link')}
     WHERE ts >= toDateTime64({from:String}, 3, 'UTC') - INTERVAL 1 DAY AND ts <= toDateTime64({to:String}, 3, 'UTC') AND ${srcCond}
       AND region_to != ''
     GROUP BY region_from, region_to`,
    params,
  );

  return { topoLinks, linkRows, linkFresh };
}

function buildRegions(
  rows: RegionRows,
  workloads: readonly WorkloadObservation[],
  allocated: ReadonlyMap<string, number>,
  limitC: number,
): RegionObservation[] {
  const { gpuRows, fresh, orchestrators, inventory, topoRegions } = rows;
  const names = new Set<string>([
    ...gpuRows.map((r) => String(r.region)),
    ...topoRegions.map((r) => r.id),
    ...workloads.map((w) => w.region),
    ...fresh.map((r) => r.region),
    ...inventory.map((r) => r.region),
  ]);
  const gpuBy = new Map(gpuRows.map((r) => [String(r.region), r]));
  const freshBy = new Map(fresh.map((r) => [r.region, tsOf(r.last)]));
  for (const o of orchestrators) {
    const ok = tsOf(o.last);
    const t = freshBy.get(o.region) ?? null;
    freshBy.set(o.region, ok === null || t === null ? null : Math.min(t, ok));
  }
  const invBy = new Map(inventory.map((r) => [r.region, r]));
  const topoBy = new Map(topoRegions.map((r) => [r.id, num(r.gpus) ?? 0]));

  return [...names].sort().map((name) => {
    const g = gpuBy.get(name);
    const seen = num(g?.gpus) ?? 0;
    const total = Math.max(topoBy.get(name) ?? 0, seen);
    const hours = num(g?.hours) ?? 0;
    const gpuHours = seen * hours;
    const power = num(g?.power);
    const plimit = num(g?.plimit);
    const temp = num(g?.temp);
    const throttled = num(g?.throttled);
    const inv = invBy.get(name);
    const models = [
      ...new Set([...(Array.isArray(g?.models) ? (g.models as unknown[]) : []), ...(inv?.models ?? [])].map(String)),
    ].filter((m) => m !== '');
    return {
      region: name,
      gpusTotal: total,
      gpusAllocated: allocated.get(name) ?? 0,
      utilGpu: num(g?.util),
      powerHeadroom: power !== null && plimit !== null && plimit > 0 ? 1 - power / plimit : null,
      thermalHeadroomC: temp === null ? null : limitC - temp,
      throttledShare: throttled,
      utilGpuRecent: num(g?.util_recent),
      utilSource: {
        smActive: num(g?.busy_sm) ?? 0,
        grEngine: num(g?.busy_gr) ?? 0,
        nvml: num(g?.busy_nvml) ?? 0,
      },
      throttledShareRecent: num(g?.throttled_recent),
      xidRate: g && gpuHours > 0 ? (num(g.xid) ?? 0) / gpuHours : null,
      eccRate: g && gpuHours > 0 ? (num(g.dbe) ?? 0) / gpuHours : null,
      gpuModels: models.sort(),
      gpuMemoryBytes: num(inv?.mem),
      lastSampleTs: freshBy.get(name) ?? null,
    };
  });
}

function buildLinks(rows: LinkRows): LinkObservation[] {
  const { topoLinks, linkRows, linkFresh } = rows;
  const floorBy = new Map<string, { floor: number; cap: number }>();
  for (const t of topoLinks) {
    const floor = fiberRttFloorMs(num(t.route_km) ?? 0, num(t.equipment_delay_ms) ?? 0);
    const entry = { floor, cap: ((num(t.capacity_gbps) ?? 0) * 1e9) / 8 };
    floorBy.set(`${t.region}->${t.region_to}`, entry);
    if (!floorBy.has(`${t.region_to}->${t.region}`)) floorBy.set(`${t.region_to}->${t.region}`, entry);
  }
  const linkFreshBy = new Map(linkFresh.map((r) => [`${r.region_from}->${r.region_to}`, tsOf(r.last)]));
  const linkCapBy = new Map(linkFresh.map((r) => [`${r.region_from}->${r.region_to}`, num(r.cap)]));
  return linkRows.map((l) => {
    const key = `${String(l.region_from)}->${String(l.region_to)}`;
    const topo = floorBy.get(key);
    const cap = linkCapBy.get(key) ?? (topo && topo.cap > 0 ? topo.cap : null);
    return {
      from: String(l.region_from),
      to: String(l.region_to),
      rttMs: num(l.rtt),
      floorMs: topo && topo.floor > 0 ? topo.floor : null,
      lossPct: num(l.loss),
      jitterMs: num(l.jitter),
      throughputBps: num(l.tput),
      capacityBps: cap,
      lastSampleTs: linkFreshBy.get(key) ?? tsOf(l.last),
      probers: Array.isArray(l.probers) ? l.probers.map(String) : [],
    };
  });
}
