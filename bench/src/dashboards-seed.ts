/**
 * The long-range seed of bench:dashboards (--long-only): what a 30- or 90-day view reads, and nothing
 * finer. A view past two weeks reads the 1-day rollups (and the hourly ones for the series tables of
 * shorter ranges), so raw samples and minute rows would only cost seeding time: at 10,240 GPUs the
 * general seed (raw, minutes and hours) did not finish in 25 minutes on a busy machine.
 *
 * So the engine writes the hourly rollups itself, one INSERT … SELECT … FROM numbers() per chunk:
 *   - `<entity>_1h`: one row per series per hour, every metric column of the catalog; the store's own
 *     view folds each insert into `<entity>_1d`, as it does in production;
 *   - `<entity>_region_1h`: folded from those hourly rows per region by the store's own region SELECT
 *     (regionRollupSelect), so its view fills `<entity>_region_1d` with hours_present as well.
 * Values are not constants: a diurnal curve per region (regions sit in different time zones), a
 * weekend dip, a per-series level (some GPUs run hot, some idle) and per-hour noise, each hour's min
 * and max around its mean; error counters increase rarely and in few series, traffic counters steadily.
 */
import {
  ENTITIES,
  increaseColumn,
  labelsOf,
  metricsOf,
  regionRollupTable,
  REGION_ENTITIES,
  rollupColumns,
  rollupTable,
  SERIES_HOURS,
  SERIES_MINUTES,
  type Entity,
  type MetricDef,
} from '@meridian/catalog';
import { fleetLayout, type Fleet } from '@meridian/sim';
import { regionRollupSelect, type Store } from '@meridian/store';

const HOUR = 3600;
/**
 * Every generated row has its own key (series, hour), so the aggregating tables have nothing to fold
 * at insert time: skipping that pass made the insert 3× faster (15.2 s to 4.7 s for 307 k GPU-hours).
 * The views' own inserts into the daily tables inherit it; those rows merge later in the background,
 * and every reader aggregates (…Merge, GROUP BY) regardless.
 */
const NO_MERGE_ON_INSERT = 'SETTINGS optimize_on_insert = 0';

/** Rows per INSERT: chDB's memory stays bounded and progress shows. */
const ROWS_PER_CHUNK = 1_000_000;

export interface HourChunk {
  readonly entity: Entity;
  readonly startS: number;
  readonly hours: number;
  /** Older than the hourly span: folded straight into the daily tiers, never stored by the hour. */
  readonly daysOnly: boolean;
}

/** Days of hourly rows kept; days before them are written to the daily tiers only. */
export const HOURLY_DAYS = 30;

/** `--days`: how many days of hourly rows the long-range seed writes, 30 to 90. */
export function parseDays(value: string | undefined): number {
  const days = Number(value);
  if (!Number.isInteger(days) || days < 30 || days > 90)
    throw new Error(`--days must be an integer 30 to 90, got "${value}"`);
  return days;
}

/**
 * The hourly chunks covering `days` days before `nowS` (whole hours), every entity: the last
 * HOURLY_DAYS stored by the hour (a 7- to 14-day view reads them), the days before for the daily
 * tiers only (a 90-day view reads days).
 */
export function longSeedPlan(f: Fleet, nowS: number, days: number): HourChunk[] {
  const end = nowS - (nowS % HOUR);
  const start = end - days * 24 * HOUR;
  const hourly = end - Math.min(days, HOURLY_DAYS) * 24 * HOUR;
  const plan: HourChunk[] = [];
  for (const entity of ['gpu', 'host', 'link'] as const) {
    const perChunk = Math.max(1, Math.floor(ROWS_PER_CHUNK / fleetLayout(entity, f).n));
    for (const [from, to, daysOnly] of [
      [start, hourly, true],
      [hourly, end, false],
    ] as const)
      for (let s = from; s < to; s += perChunk * HOUR)
        plan.push({ entity, startS: s, hours: Math.min(perChunk, (to - s) / HOUR), daysOnly });
  }
  return plan;
}

/** Where a metric's values usually lie: the catalog's bounds are limits, not what a fleet shows. */
function typical(m: MetricDef): { lo: number; hi: number } {
  if (m.unit === 'percent') return m.name === 'loss_pct' ? { lo: 0, hi: 2 } : { lo: 0, hi: 100 };
  const byUnit: Partial<Record<string, [number, number]>> = {
    celsius: [30, 85],
    watts: [80, 700],
    MHz: [800, 2000],
    ms: [1, 80],
    dBm: [-6, 2],
    mA: [5, 60],
    volts: [3.2, 3.4],
    bytes: [0, 80e9],
    'bytes/s': [0, 50e9],
    count: [0, 1000],
    bool: [0, 1],
  };
  const r = byUnit[m.unit];
  if (r) return { lo: r[0], hi: r[1] };
  return { lo: m.range?.min ?? 0, hi: Math.min(m.range?.max ?? 100, 1000) };
}

/** Counters that count faults: they increase rarely, in few series. The others (bytes, packets) steadily. */
const RARE = /err|ecc|retired|remapped|xid|replay|crc|symbol|uncorrected|down|drops/;

/**
 * Per-row columns the metric expressions share, over T (hour, epoch s) and G (series number):
 * H a per-row hash, F the row's load fraction in [0, 1] (the region's diurnal curve × the series'
 * level × a weekend dip, plus noise).
 */
function rowFrame(entity: Entity, f: Fleet, c: HourChunk): string {
  const n = fleetLayout(entity, f).n;
  const perRegion = entity === 'gpu' ? f.hostsPerRegion * f.gpusPerHost : entity === 'host' ? f.hostsPerRegion : 2;
  // Regions an hour of local time apart (the scenario's regions span a few time zones).
  const phase = `(intDiv(G, ${perRegion}) % ${Math.max(1, f.regions.length)}) % 3`;
  const level = `(0.35 + 0.6 * (cityHash64(G, 'level') % 1000) / 1000)`;
  const diurnal = `(0.55 + 0.45 * sin(2 * pi() * ((intDiv(T, 3600) % 24) + ${phase} - 9) / 24))`;
  const weekend = `if(toDayOfWeek(toDateTime(T)) >= 6, 0.8, 1.0)`;
  return (
    `SELECT T, G, H, greatest(0, least(1, ${level} * ${diurnal} * ${weekend} + ((H % 1000) / 1000 - 0.5) * 0.1)) AS F FROM (` +
    `SELECT T, G, cityHash64(G, T) AS H FROM (` +
    `SELECT toUInt32(${c.startS} + intDiv(number, ${n}) * 3600) AS T, number % ${n} AS G FROM numbers(${c.hours * n})))`
  );
}

/** The value columns of one metric in an hourly rollup row: `[column, expression]` pairs. */
function metricColumns(m: MetricDef, k: number, t0: number): [string, string][] {
  const { lo, hi } = typical(m);
  const cast = (v: string) => `CAST(${m.type.startsWith('Float') ? v : `round(${v})`} AS Nullable(${m.type}))`;
  // Each metric its own wobble around the row's load, from a different slice of the hash.
  const frac = `greatest(0, least(1, F + ((bitShiftRight(H, ${(k * 5) % 50}) % 100) / 100 - 0.5) * 0.2))`;
  const at = (x: string) => `(${lo} + ${hi - lo} * ${x})`;
  const out: [string, string][] = [];
  const inc = increaseColumn(m);
  if (m.kind === 'counter') {
    const rare = RARE.test(m.name);
    // Per hour: a fault burst in ~1 % of series-hours; traffic (and energy) following the load.
    const perHour = rare
      ? `if(bitShiftRight(H, ${k % 40}) % 100 = 0, 1 + bitShiftRight(H, 8) % 5, 0)`
      : m.unit === 'joules'
        ? `(100 + 600 * F) * 3600`
        : `(1e6 * (1 + G % 7) * F * 3600)`;
    // Cumulative: a steady share of the elapsed time, so the max grows hour over hour.
    const cumulative = rare ? `intDiv(T - ${t0}, 86400) * (G % 3)` : `(T - ${t0}) * 1e5 * (1 + G % 7)`;
    for (const c of rollupColumns(m)) out.push([c.column, cast(`${cumulative} + ${perHour}`)]);
    if (inc) out.push([inc, `toFloat64(${perHour})`]);
    return out;
  }
  for (const c of rollupColumns(m)) {
    let v: string;
    if (m.kind === 'state' && m.unit === 'bitmask') v = `if(bitShiftRight(H, ${k % 40}) % 20 = 0, 4, 0)`;
    else if (m.kind === 'state' || m.unit === 'bool')
      v = `${lo} + (bitShiftRight(H, ${k % 40}) % 50 = 0)`; // mostly the low state, now and then the next
    else if (c.agg === 'min') v = at(`greatest(0, ${frac} - 0.15)`);
    else if (c.agg === 'max') v = at(`least(1, ${frac} + 0.15)`);
    else v = at(frac);
    const value = c.agg === 'bitor' ? `CAST(${v} AS Nullable(${m.type}))` : cast(v);
    out.push([c.column, c.agg === 'avg' ? `initializeAggregation('avgState', ${value})` : value]);
  }
  return out;
}

/** The hourly series rows of one chunk: the column list and the SELECT producing them. */
function hourlySelect(c: HourChunk, f: Fleet, t0: number): { cols: string[]; sql: string } {
  const layout = fleetLayout(c.entity, f);
  const cols: [string, string][] = [
    ['ts', 'toDateTime(T)'],
    ['source', `'sim'`],
    ...labelsOf(c.entity).map((l): [string, string] => [
      l.name,
      layout.labels[l.name] ?? (l.type === 'UInt16' ? '0' : `''`),
    ]),
    ['samples', 'toUInt64(3600)'],
    ...metricsOf(c.entity).flatMap((m, k) => metricColumns(m, k, t0)),
  ];
  return {
    cols: cols.map(([n]) => n),
    sql: `SELECT ${cols.map(([n, v]) => `${v} AS ${n}`).join(', ')} FROM (${rowFrame(c.entity, f, c)})`,
  };
}

/**
 * The table a chunk's hourly rows go to: `<entity>_1h` (its view fills `_1d`), or for a days-only
 * chunk its Null stand-in, whose copy of the same view fills `_1d` and stores nothing by the hour.
 */
const hourTarget = (c: HourChunk, table: string): string => (c.daysOnly ? `${table}${SEED_SUFFIX}` : table);
const SEED_SUFFIX = '_seed';

/** INSERT … SELECT of one chunk of hourly series rows. */
export function hourlyInsertSql(c: HourChunk, f: Fleet, t0: number): string {
  const { cols, sql } = hourlySelect(c, f, t0);
  return `INSERT INTO ${hourTarget(c, rollupTable(c.entity, '1h'))} (${cols.join(', ')}) ${NO_MERGE_ON_INSERT} ${sql}`;
}

/**
 * The same hours folded per region into `<entity>_region_1h` by the store's own region SELECT; each
 * hourly series row stands for 60 series-minutes and one series-hour. Null for entities without
 * region rollups (links).
 */
export function regionHourlyInsertSql(c: HourChunk, f: Fleet, t0: number): string | null {
  if (!REGION_ENTITIES.includes(c.entity)) return null;
  const whole = c.entity === 'gpu' ? ` AND mig_instance = ''` : '';
  // A days-only chunk's hours were never stored: fold them as generated.
  const rows = c.daysOnly
    ? `(${hourlySelect(c, f, t0).sql})`
    : `${rollupTable(c.entity, '1h')} WHERE ts >= toDateTime(${c.startS}) AND ts < toDateTime(${c.startS + c.hours * HOUR})`;
  const from = `(SELECT *, toUInt64(60) AS ${SERIES_MINUTES}, toUInt64(1) AS ${SERIES_HOURS} FROM ${rows}${c.daysOnly ? ' WHERE 1' : ''}${whole})`;
  const select = regionRollupSelect(c.entity, 'toStartOfHour', from, true, [], metricsOf(c.entity));
  return `INSERT INTO ${hourTarget(c, regionRollupTable(c.entity, '1h'))} ${NO_MERGE_ON_INSERT} ${select}`;
}

/**
 * For days-only chunks: a Null table standing in for each hourly table, with a copy of the store's
 * own hourly-to-daily view reading it (the view's SELECT as the store created it, the table name
 * swapped), so those days reach the daily tiers exactly as the store folds them. Returns the
 * statements that remove them again.
 */
async function standIns(store: Pick<Store, 'command' | 'query'>): Promise<string[]> {
  const pairs = [
    ...ENTITIES.map((e) => [rollupTable(e, '1h'), rollupTable(e, '1d')] as const),
    ...REGION_ENTITIES.map((e) => [regionRollupTable(e, '1h'), regionRollupTable(e, '1d')] as const),
  ];
  const drops: string[] = [];
  for (const [h1, d1] of pairs) {
    const [view] = await store.query<{ sql: string }>(
      `SELECT as_select AS sql FROM system.tables WHERE database = currentDatabase() AND name = {v:String}`,
      { v: `${d1}_mv` },
    );
    if (!view?.sql) throw new Error(`bench seed: the store has no view ${d1}_mv (migration 0007 not applied?)`);
    const seed = `${h1}${SEED_SUFFIX}`;
    await store.command(`CREATE TABLE ${seed} AS ${h1} ENGINE = Null`);
    const select = view.sql.replace(new RegExp(`(?:\\w+\\.)?\\b${h1}\\b`, 'g'), seed);
    await store.command(`CREATE MATERIALIZED VIEW ${seed}_mv TO ${d1} AS ${select}`);
    drops.push(`DROP VIEW ${seed}_mv`, `DROP TABLE ${seed}`);
  }
  return drops;
}

/** What the bench prints about its seed, so a reader knows what the figures were measured over. */
export function describeLongSeed(days: number): string {
  const hourly = Math.min(days, HOURLY_DAYS);
  return (
    `long-range seed: ${hourly} days of hourly rollup rows (<entity>_1h, one per series per hour, every catalog metric; ` +
    `diurnal curve per region, per-series level, weekend dip, hourly noise; rare fault counters) generated by the engine ` +
    `(INSERT … SELECT … FROM numbers()); <entity>_region_1h folded from them by the store's region SELECT; ` +
    `the 1-day rollups filled by the store's own views` +
    (days > hourly
      ? `; the ${days - hourly} days before generated the same way but folded straight into the daily tiers by copies of those views (no hourly rows kept)`
      : '') +
    `. No raw or minute rows: a view past two weeks reads none.`
  );
}

/**
 * Writes the long-range seed: every hourly chunk and its region fold, then folds the daily tables'
 * partial rows. The views wrote each chunk's days in parts; a store's background merges fold them
 * within minutes and month-old days are long folded, so the figures are the steady state's.
 * Returns the daily tables it merged.
 */
export async function seedLongRange(
  store: Pick<Store, 'command' | 'query'>,
  f: Fleet,
  nowS: number,
  days: number,
  progress: (done: number, all: number, c: HourChunk) => void = () => undefined,
): Promise<string[]> {
  const plan = longSeedPlan(f, nowS, days);
  const counterZero = nowS - (days + 1) * 86400;
  const drops = plan.some((c) => c.daysOnly) ? await standIns(store) : [];
  try {
    for (const [i, c] of plan.entries()) {
      await store.command(hourlyInsertSql(c, f, counterZero));
      const region = regionHourlyInsertSql(c, f, counterZero);
      if (region) await store.command(region);
      progress(i + 1, plan.length, c);
    }
  } finally {
    for (const d of drops) await store.command(d);
  }
  const daily = [
    ...ENTITIES.map((e) => rollupTable(e, '1d')),
    ...REGION_ENTITIES.map((e) => regionRollupTable(e, '1d')),
  ];
  for (const t of daily) await store.command(`OPTIMIZE TABLE ${t} FINAL`);
  return daily;
}
