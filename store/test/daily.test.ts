import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RETENTION_DAYS, resolutionForRange } from '@meridian/catalog';
import { stringColumn, type SampleColumns, type Store } from '@meridian/store';
import { T0, tempStore } from './helpers.js';

const DAY = 86_400_000;

/** 3 GPUs (2 in eu, 1 in us) every minute for 2.5 days, from T0 + offset; one reading in 13 absent. */
function fleet(fromMin: number, toMin: number, offset = 0): SampleColumns {
  const n = (toMin - fromMin) * 3;
  const ts = new Float64Array(n);
  const uuid: string[] = [];
  const region: string[] = [];
  const util = new Float32Array(n);
  const utilNulls = new Uint8Array(n);
  const ecc = new Float64Array(n);
  const power = new Float32Array(n);
  let r = 0;
  for (let m = fromMin; m < toMin; m++) {
    for (let g = 0; g < 3; g++, r++) {
      ts[r] = T0 + offset + m * 60_000;
      uuid.push(`GPU-${g}`);
      region.push(g === 2 ? 'us' : 'eu');
      util[r] = (m * (g + 3)) % 101;
      utilNulls[r] = m % 13 === 0 ? 1 : 0;
      ecc[r] = Math.floor(m / 97) * (g + 1);
      power[r] = 80 + ((m * 7 + g) % 300);
    }
  }
  return {
    rows: n,
    ts,
    source: 'sim',
    columns: {
      region: stringColumn(region),
      host: stringColumn(uuid.map((u) => `h-${u}`)),
      gpu_uuid: stringColumn(uuid),
      util_gpu: { values: util, nulls: utilNulls },
      power_draw: { values: power },
      ecc_sbe_volatile: { values: ecc },
    },
  };
}

const MINUTES = 60 * 60; // 2.5 days of minutes

async function seed(store: Store): Promise<void> {
  for (let m = 0; m < MINUTES; m += 600) await store.writer('gpu').writeColumns(fleet(m, Math.min(m + 600, MINUTES)));
}

/** The daily per-GPU figures, straight from gpu_1d and as the hourly rollup aggregated per day. */
async function perGpuDaily(store: Store): Promise<{ daily: unknown[]; fromHours: unknown[] }> {
  const cols = (t: string) =>
    `gpu_uuid, toUnixTimestamp(${t}) AS day, sum(samples) AS n, round(avgMerge(util_gpu_avg), 6) AS avg_util,
     min(util_gpu_min) AS min_util, max(util_gpu_max) AS max_util, max(power_draw_max) AS max_power,
     sum(ecc_sbe_volatile_inc) AS ecc_inc`;
  const daily = await store.query(`SELECT ${cols('ts')} FROM gpu_1d GROUP BY gpu_uuid, ts ORDER BY gpu_uuid, day`);
  const fromHours = await store.query(
    `SELECT ${cols('toStartOfDay(ts)')} FROM gpu_1h GROUP BY gpu_uuid, day ORDER BY gpu_uuid, day`,
  );
  return { daily, fromHours };
}

describe('daily rollups (0007)', () => {
  let store: Store;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ store, dispose } = await tempStore());
    await seed(store);
  }, 240_000);
  afterAll(() => dispose());

  it('gpu_1d equals gpu_1h aggregated per day: samples, averages, min/max and sums of increases', async () => {
    const { daily, fromHours } = await perGpuDaily(store);
    expect(daily).toHaveLength(3 * 3);
    expect(daily).toEqual(fromHours);
    // And the increases are the counters' actual growth: GPU-1's counter steps by 2 every 97 minutes.
    const day0 = daily.find((r) => (r as { gpu_uuid: string }).gpu_uuid === 'GPU-1') as { ecc_inc: number };
    expect(Number(day0.ecc_inc)).toBe(Math.floor(1439 / 97) * 2);
  });

  it('gpu_region_1d equals gpu_region_1h aggregated, and counts the series reporting per day', async () => {
    const cols = (t: string) =>
      `region, toUnixTimestamp(${t}) AS day, sum(samples) AS n, sum(series_hours) AS sh,
       round(avgMerge(power_draw_avg), 4) AS avg_power, sum(ecc_sbe_volatile_inc) AS ecc_inc`;
    const daily = await store.query(`SELECT ${cols('ts')} FROM gpu_region_1d GROUP BY region, ts ORDER BY region, day`);
    const fromHours = await store.query(
      `SELECT ${cols('toStartOfDay(ts)')} FROM gpu_region_1h GROUP BY region, day ORDER BY region, day`,
    );
    expect(daily).toHaveLength(2 * 3);
    expect(daily).toEqual(fromHours);
    const reporting = await store.query<{ region: string; gpus: number }>(
      `SELECT region, sum(series_hours) / uniqExactMerge(hours_present) AS gpus FROM gpu_region_1d
       GROUP BY region ORDER BY region`,
    );
    expect(reporting).toEqual([
      { region: 'eu', gpus: 2 },
      { region: 'us', gpus: 1 },
    ]);
  });

  it('counts a retried batch once in the daily tables', async () => {
    const before = await store.query<{ n: string }>('SELECT sum(samples) AS n FROM gpu_1d');
    const late = fleet(0, 60, 10 * DAY);
    await store.writer('gpu').writeColumns(late, { token: 'daily-retry' });
    await store.writer('gpu').writeColumns(late, { token: 'daily-retry' });
    const after = await store.query<{ n: string }>('SELECT sum(samples) AS n FROM gpu_1d');
    expect(Number(after[0]?.n) - Number(before[0]?.n)).toBe(180);
    const region = await store.query<{ n: string }>(
      `SELECT sum(samples) AS n FROM gpu_region_1d WHERE ts = toDateTime({d:UInt32})`,
      { d: (T0 + 10 * DAY) / 1000 },
    );
    expect(Number(region[0]?.n)).toBe(180);
  });

  it('backfills an existing store from the hourly rollup when 0007 is applied', async () => {
    // An existing store: hourly data, no daily tables, 0007 not recorded.
    for (const t of ['gpu', 'host', 'link']) {
      await store.command(`DROP VIEW IF EXISTS ${t}_1d_mv`);
      await store.command(`DROP TABLE IF EXISTS ${t}_1d`);
    }
    for (const t of ['gpu', 'host']) {
      await store.command(`DROP VIEW IF EXISTS ${t}_region_1d_mv`);
      await store.command(`DROP TABLE IF EXISTS ${t}_region_1d`);
    }
    await store.command(`DELETE FROM schema_migrations WHERE version = '0007_daily_rollups'`);
    const res = await store.migrate();
    expect(res.applied).toEqual(['0007_daily_rollups']);
    const { daily, fromHours } = await perGpuDaily(store);
    expect(daily).toHaveLength(3 * 4);
    expect(daily).toEqual(fromHours);
    // And the view is back: new rows reach the daily table.
    await store.writer('gpu').writeColumns(fleet(0, 1, 20 * DAY));
    const [r] = await store.query<{ n: string }>(
      'SELECT sum(samples) AS n FROM gpu_1d WHERE ts = toDateTime({d:UInt32})',
      {
        d: (T0 + 20 * DAY) / 1000,
      },
    );
    expect(Number(r?.n)).toBe(3);
  });

  it('keeps daily rows for RETENTION_DAYS["1d"], longer than the hourly rollup', async () => {
    expect(RETENTION_DAYS['1d']).toBeGreaterThan(RETENTION_DAYS['1h']);
    const ttl = await store.query<{ name: string; q: string }>(
      `SELECT name, create_table_query AS q FROM system.tables
       WHERE database = currentDatabase() AND name IN ('gpu_1d', 'host_1d', 'link_1d', 'gpu_region_1d', 'host_region_1d')
       ORDER BY name`,
    );
    expect(ttl).toHaveLength(5);
    for (const t of ttl) expect(t.q).toMatch(new RegExp(`TTL ts \\+ toIntervalDay\\(${RETENTION_DAYS['1d']}\\)`));
  });
});

describe('resolutionForRange and the day rollup', () => {
  const NOW = Date.UTC(2026, 11, 7);
  it('reads days past two weeks of span, and for ranges older than the hourly retention', () => {
    expect(resolutionForRange(NOW - 7 * DAY, NOW, NOW)).toBe('1m');
    expect(resolutionForRange(NOW - 14 * DAY, NOW, NOW)).toBe('1h');
    expect(resolutionForRange(NOW - 30 * DAY, NOW, NOW)).toBe('1d');
    expect(resolutionForRange(NOW - 90 * DAY, NOW, NOW)).toBe('1d');
    expect(resolutionForRange(NOW - 800 * DAY, NOW - 800 * DAY + 3_600_000, NOW)).toBe('1d');
  });
});
