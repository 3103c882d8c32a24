/**
 * Catalog history in bulk (for bench:dashboards): a scenario's fleet (regions, host counts and links
 * read from the scenario by `fleetOf`) written straight into the tables the dashboards read, with one INSERT … SELECT per chunk
 * generated from the catalog. The writer is not what this bench measures and would take hours for
 * 24 h of 10,000 GPUs, so the engine builds the rows itself:
 *   - raw rows at 1 Hz for the last 15 minutes (the views roll them up as usual);
 *   - 1-minute rollup rows for the rest of the last 24 h (states built with initializeAggregation,
 *     exactly what the view would store for one sample per minute), cascading into the 1-hour rollup;
 *   - 1-hour rollup rows for the 29 days before that.
 * Values follow the catalog: gauges move inside their range, counters grow, states cycle.
 */
import {
  FIRST_IN_HOUR,
  FIRST_IN_MINUTE,
  increaseColumn,
  labelsOf,
  regionRollupTable,
  SERIES_HOURS,
  SERIES_MINUTES,
  metricsOf,
  rollupColumns,
  tableFor,
  type Entity,
  type Resolution,
} from '@meridian/catalog';
import { regionRollupSelect, type Store } from '@meridian/store';
import type { Scenario } from '../scenario.js';
import { valueSql } from './values.js';

export interface Fleet {
  readonly regions: readonly string[];
  readonly hostsPerRegion: number;
  readonly gpusPerHost: number;
  readonly links: readonly { from: string; to: string; km: number; gbps: number; eqMs: number }[];
}

/**
 * A scenario's fleet for the bulk history: its regions and links, with as many hosts per region as
 * make about `wantGpus` GPUs (at most the scenario's own count; default all of them).
 */
export function fleetOf(sc: Scenario, wantGpus?: number): Fleet {
  const gpusPerHost = sc.regions[0]?.hosts[0]?.gpus_per_host ?? 8;
  const fullHosts = sc.regions[0]?.hosts.reduce((a, h) => a + h.count, 0) ?? 160;
  const want = wantGpus ?? sc.regions.length * fullHosts * gpusPerHost;
  const hostsPerRegion = Math.min(fullHosts, Math.max(1, Math.round(want / (sc.regions.length * gpusPerHost))));
  return {
    regions: sc.regions.map((r) => r.name),
    hostsPerRegion,
    gpusPerHost,
    links: sc.links.map((l) => ({
      from: l.from,
      to: l.to,
      km: l.route_km ?? 1500,
      gbps: l.capacity_gbps,
      eqMs: l.equipment_delay_ms,
    })),
  };
}

interface Layout {
  /** Number of series (GPUs, hosts, link lanes). */
  readonly n: number;
  /** SQL per label name; the row's series number is G. */
  readonly labels: Record<string, string>;
}

function arr(xs: readonly string[]): string {
  return `[${xs.map((x) => `'${x.replace(/'/g, "''")}'`).join(', ')}]`;
}

export function fleetLayout(entity: Entity, f: Fleet): Layout {
  const regions = arr(f.regions);
  const perRegionHosts = f.hostsPerRegion;
  if (entity === 'gpu') {
    const per = perRegionHosts * f.gpusPerHost;
    const region = `${regions}[intDiv(G, ${per}) + 1]`;
    return {
      n: f.regions.length * per,
      labels: {
        region,
        host: `concat(${region}, '-h', toString(intDiv(G % ${per}, ${f.gpusPerHost})))`,
        gpu_uuid: `concat('GPU-', toString(G))`,
        mig_instance: `''`,
        gpu_index: `toUInt16(G % ${f.gpusPerHost})`,
        model: `'NVIDIA H100 80GB HBM3'`,
        mig_profile: `''`,
      },
    };
  }
  if (entity === 'host') {
    const region = `${regions}[intDiv(G, ${perRegionHosts}) + 1]`;
    return {
      n: f.regions.length * perRegionHosts,
      labels: { region, host: `concat(${region}, '-h', toString(G % ${perRegionHosts}))`, interface: `'eth0'` },
    };
  }
  const ids = arr(f.links.map((l) => `${l.from}->${l.to}`));
  const froms = arr(f.links.map((l) => l.from));
  const tos = arr(f.links.map((l) => l.to));
  return {
    n: f.links.length * 2,
    labels: {
      link_id: `${ids}[intDiv(G, 2) + 1]`,
      host: `concat(${froms}[intDiv(G, 2) + 1], '-h0')`,
      lane: `toUInt16(G % 2)`,
      region_from: `${froms}[intDiv(G, 2) + 1]`,
      region_to: `${tos}[intDiv(G, 2) + 1]`,
      method: `'sim'`,
    },
  };
}

function labelSql(entity: Entity, l: Layout): { names: string[]; exprs: string[] } {
  const names: string[] = [];
  const exprs: string[] = [];
  for (const lab of labelsOf(entity)) {
    names.push(lab.name);
    exprs.push(l.labels[lab.name] ?? (lab.type === 'UInt16' ? '0' : `''`));
  }
  return { names, exprs };
}

/** Per-series SELECT of a chunk's `steps` instants `stepS` apart from `startS`, every series of the entity. */
function seriesSelect(chunk: SeedPlan, f: Fleet, t0: number, forRegionFold = false): { cols: string[]; sql: string } {
  const { entity, res, startS, stepS, steps } = chunk;
  const l = fleetLayout(entity, f);
  const { names, exprs } = labelSql(entity, l);
  const cols: string[] = ['ts', 'source', ...names];
  const vals: string[] = [res === 'raw' ? 'toDateTime64(T, 3)' : 'toDateTime(T)', `'sim'`, ...exprs];
  // What the writer derives: the counter's increase since the previous sample (it steps once a
  // minute), and the first-in-minute/hour flags (one sample a second).
  const perSample = `if((T - ${t0}) % 60 = 0, G % 3 + 1, 0)`;
  if (res === 'raw') {
    cols.push(FIRST_IN_MINUTE, FIRST_IN_HOUR);
    vals.push('toUInt8(T % 60 = 0)', 'toUInt8(T % 3600 = 0)');
  } else if (forRegionFold) {
    // What a region rollup's view sums from finer rows: samples and the series-minute/hour counts.
    cols.push('samples', SERIES_MINUTES, SERIES_HOURS);
    vals.push(`toUInt64(${stepS})`, `toUInt64(${stepS / 60})`, res === '1m' ? 'toUInt64(T % 3600 = 0)' : 'toUInt64(1)');
  }
  for (const m of metricsOf(entity)) {
    const inc = increaseColumn(m);
    if (res === 'raw') {
      cols.push(m.name);
      vals.push(valueSql(m, t0));
      if (inc) {
        cols.push(inc);
        vals.push(`CAST(${perSample} AS Nullable(${m.type}))`);
      }
      continue;
    }
    for (const c of rollupColumns(m)) {
      cols.push(c.column);
      vals.push(c.agg === 'avg' ? `initializeAggregation('avgState', ${valueSql(m, t0)})` : valueSql(m, t0));
    }
    if (inc) {
      cols.push(inc);
      vals.push(`toFloat64(${stepS / 60} * (G % 3 + 1))`);
    }
  }
  return {
    cols,
    sql:
      `SELECT ${vals.map((v, k) => `${v} AS ${cols[k]}`).join(', ')}` +
      ` FROM (SELECT toUInt32(${startS} + intDiv(number, ${l.n}) * ${stepS}) AS T, number % ${l.n} AS G FROM numbers(${steps * l.n}))`,
  };
}

/** INSERT … SELECT of one chunk into its table. */
export function bulkInsertSql(chunk: SeedPlan, f: Fleet, t0: number): string {
  const { cols, sql } = seriesSelect(chunk, f, t0);
  return `INSERT INTO ${tableFor(chunk.entity, chunk.res)} (${cols.join(', ')}) ${sql}`;
}

/**
 * The same rollup rows folded per region and source into the region rollup by the store's own view
 * query (raw rows reach it through the view itself). GPU seed rows are all whole GPUs. The SELECT
 * lists the table's columns in order, so the insert needs no column list.
 */
export function bulkRegionInsertSql(
  chunk: SeedPlan & { res: Exclude<Resolution, 'raw'> },
  f: Fleet,
  t0: number,
): string {
  const { entity, res } = chunk;
  const { sql } = seriesSelect(chunk, f, t0, true);
  const bucket = res === '1m' ? 'toStartOfMinute' : 'toStartOfHour';
  return `INSERT INTO ${regionRollupTable(entity, res)} ${regionRollupSelect(entity, bucket, `(${sql})`, true, [], metricsOf(entity))}`;
}

export interface SeedPlan {
  readonly label: string;
  readonly entity: Entity;
  readonly res: Resolution;
  readonly startS: number;
  readonly stepS: number;
  readonly steps: number;
}

/** The chunks to insert, ~2 M rows each so chDB's memory stays bounded. */
export function bulkSeedPlan(f: Fleet, nowS: number): SeedPlan[] {
  const plans: SeedPlan[] = [];
  const hour = 3600;
  const dayStart = nowS - 24 * hour;
  const rawStart = nowS - 15 * 60;
  for (const entity of ['gpu', 'host', 'link'] as const) {
    const n = fleetLayout(entity, f).n;
    const chunk = (res: Resolution, from: number, to: number, step: number) => {
      const perChunk = Math.max(1, Math.floor(2_000_000 / n));
      for (let s = from; s < to; s += perChunk * step) {
        const steps = Math.min(perChunk, Math.ceil((to - s) / step));
        plans.push({ label: `${entity} ${res}`, entity, res, startS: s, stepS: step, steps });
      }
    };
    // Hours first: the minute rows cascade into gpu_1h for the last day themselves.
    chunk('1h', nowS - 30 * 24 * hour, dayStart - (dayStart % hour), hour);
    chunk('1m', dayStart - (dayStart % hour), rawStart - (rawStart % 60), 60);
    chunk('raw', rawStart - (rawStart % 60), nowS, 1);
  }
  return plans;
}

export async function bulkSeedAux(store: Store, f: Fleet, nowMs: number): Promise<void> {
  const l = fleetLayout('gpu', f);
  await store.command(
    `INSERT INTO inventory (ts, source, region, host, gpu_uuid, gpu_index, model, memory_total)` +
      ` SELECT now64(3), 'sim', ${l.labels['region']}, ${l.labels['host']}, ${l.labels['gpu_uuid']}, ${l.labels['gpu_index']}, 'NVIDIA H100 80GB HBM3', 85899345920` +
      ` FROM (SELECT number AS G FROM numbers(${l.n}))`,
  );
  await store.insert('topology', [
    ...f.regions.map((r) => ({
      updated: nowMs,
      source: 'sim',
      kind: 'region' as const,
      id: r,
      region: r,
      gpus: f.hostsPerRegion * f.gpusPerHost,
    })),
    ...f.links.map((k) => ({
      updated: nowMs,
      source: 'sim',
      kind: 'link' as const,
      id: `${k.from}->${k.to}`,
      region: k.from,
      region_to: k.to,
      route_km: k.km,
      capacity_gbps: k.gbps,
      equipment_delay_ms: k.eqMs,
    })),
  ]);
  const regions = arr(f.regions);
  const nr = f.regions.length;
  // A pass every 30 s for 30 days, a few decisions each: ~260 k audit rows.
  await store.command(
    `INSERT INTO scheduler_decisions (ts, decision_id, pass_id, workload_id, action, region_from, region_to, reason, inputs, scores, limits, executor, outcome, benefit, cost)` +
      ` SELECT fromUnixTimestamp64Milli(toInt64(${nowMs} - number * 10000)), concat('d', toString(number)), concat('p', toString(intDiv(number, 3))),` +
      ` concat('w', toString(number % 2000)), if(number % 3 = 2, 'reject', 'move'), ${regions}[number % ${nr} + 1], if(number % 3 = 2, '', ${regions}[(number + 1) % ${nr} + 1]),` +
      ` if(number % 3 = 2, ['cooldown', 'moves-per-pass', 'disruption-budget'][number % 3 + 1], ['region hot: util high', 'link degraded: loss'][number % 2 + 1]),` +
      ` '{}', '{}', ['benefit>cost×margin'], 'twin', if(number % 3 = 2, 'rejected', 'applied'), 10 + number % 7, 1 + number % 3` +
      ` FROM numbers(${30 * 24 * 360})`,
  );
  await store.command(
    `INSERT INTO workloads (ts, source, workload_id, kind, comm_class, gpus, region, checkpoint_bytes, state)` +
      ` SELECT now64(3), 'sim', concat('w', toString(number)), 'training', 'data_parallel', 8, ${regions}[number % ${nr} + 1], 68719476736,` +
      ` ['running', 'queued', 'migrating', 'done'][number % 4 + 1] FROM numbers(2000)`,
  );
}
