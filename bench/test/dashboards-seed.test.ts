import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetOf, loadScenario } from '@meridian/sim';
import { openStore, type Store } from '@meridian/store';
import { longSeedPlan, parseDays, seedLongRange } from '../src/dashboards-seed.js';

const NOW_S = Date.UTC(2026, 11, 7, 12, 30) / 1000;
// Two days before the hourly span: written to the daily tiers only.
const DAYS = 32;
const HOURLY = 30;
// The large scenario's 8 regions, one host of 8 GPUs each.
const fleet = fleetOf(loadScenario('large'), 64);
const GPUS = fleet.regions.length * fleet.hostsPerRegion * fleet.gpusPerHost;

describe('the long-range seed of bench:dashboards', () => {
  let store: Store;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'meridian-long-seed-'));
    store = await openStore({ data: dir });
    await store.migrate();
    await seedLongRange(store, fleet, NOW_S, DAYS);
  }, 240_000);
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes one hourly row per series per hour, ending at the last whole hour', async () => {
    const [r] = await store.query<{ n: string; first: number; last: number }>(
      'SELECT count() AS n, toUnixTimestamp(min(ts)) AS first, toUnixTimestamp(max(ts)) AS last FROM gpu_1h',
    );
    const end = NOW_S - (NOW_S % 3600);
    expect(Number(r?.n)).toBe(GPUS * HOURLY * 24);
    expect(r?.last).toBe(end - 3600);
    expect(r?.first).toBe(end - HOURLY * 86400);
    const links = await store.query<{ n: string }>('SELECT count() AS n FROM link_1h');
    expect(Number(links[0]?.n)).toBe(fleet.links.length * 2 * HOURLY * 24);
    // The stand-ins of the days-only part are gone again.
    const left = await store.query(
      `SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE '%_seed%'`,
    );
    expect(left).toEqual([]);
  });

  it('fills the daily tables through the views: gpu_1d equals gpu_1h aggregated per day', async () => {
    const cols = (t: string) =>
      `gpu_uuid, toUnixTimestamp(${t}) AS day, sum(samples) AS n, round(avgMerge(util_gpu_avg), 4) AS util,
       max(temp_gpu_max) AS temp, sum(xid_count_inc) AS xid`;
    // The days the hourly tier covers whole (its first day starts at a whole hour, not midnight).
    const since = `ts >= toStartOfDay(toDateTime(${NOW_S - HOURLY * 86400})) + INTERVAL 1 DAY`;
    const daily = await store.query(
      `SELECT ${cols('ts')} FROM gpu_1d WHERE ${since} GROUP BY gpu_uuid, ts ORDER BY gpu_uuid, day`,
    );
    const fromHours = await store.query(
      `SELECT ${cols('toStartOfDay(ts)')} FROM gpu_1h WHERE ${since} GROUP BY gpu_uuid, day ORDER BY gpu_uuid, day`,
    );
    expect(daily.length).toBeGreaterThanOrEqual(GPUS * (HOURLY - 1));
    expect(daily).toEqual(fromHours);
    // And the days before the hourly span are there too, a full day's samples each.
    const [old] = await store.query<{ days: string; n: string }>(
      `SELECT uniqExact(ts) AS days, sum(samples) AS n FROM gpu_1d WHERE ts < toStartOfDay(toDateTime(${NOW_S - HOURLY * 86400}))`,
    );
    expect(Number(old?.days)).toBe(DAYS - HOURLY);
    const end = NOW_S - (NOW_S % 3600);
    const hourlyFrom = end - HOURLY * 86400;
    const oldHours = (hourlyFrom - (hourlyFrom % 86400) - (end - DAYS * 86400)) / 3600;
    expect(Number(old?.n)).toBe(GPUS * oldHours * 3600);
    // Merged as a store's background merges leave them: one row per GPU and day.
    const [parts] = await store.query<{ rows: string; keys: string }>(
      'SELECT count() AS rows, uniqExact(gpu_uuid, ts) AS keys FROM gpu_1d',
    );
    expect(parts?.rows).toBe(parts?.keys);
  });

  it('folds the hours per region, and the region days count every GPU', async () => {
    const [h] = await store.query<{ a: string; b: string }>(
      'SELECT (SELECT sum(samples) FROM gpu_1h) AS a, (SELECT sum(samples) FROM gpu_region_1h) AS b',
    );
    expect(h?.a).toBe(h?.b);
    const perRegion = await store.query<{ gpus: number }>(
      'SELECT sum(series_hours) / uniqExactMerge(hours_present) AS gpus FROM gpu_region_1d GROUP BY region',
    );
    expect(perRegion).toHaveLength(fleet.regions.length);
    for (const r of perRegion) expect(r.gpus).toBe(GPUS / fleet.regions.length);
    // The days-only part counts every GPU too: its hours reached the region days by the store's own fold.
    const oldest = await store.query<{ gpus: number }>(
      `SELECT sum(series_hours) / uniqExactMerge(hours_present) AS gpus FROM gpu_region_1d
       WHERE ts = (SELECT min(ts) FROM gpu_region_1d) GROUP BY region`,
    );
    expect(oldest.map((r) => r.gpus)).toEqual(fleet.regions.map(() => GPUS / fleet.regions.length));
  });

  it('gives varied values: a daily curve, a spread between GPUs, rare faults, all in range', async () => {
    const [v] = await store.query<{ lo: number; hi: number; gpuLo: number; gpuHi: number; faulty: number }>(
      `SELECT min(h) AS lo, max(h) AS hi,
         (SELECT min(u) FROM (SELECT avgMerge(util_gpu_avg) AS u FROM gpu_1d GROUP BY gpu_uuid)) AS gpuLo,
         (SELECT max(u) FROM (SELECT avgMerge(util_gpu_avg) AS u FROM gpu_1d GROUP BY gpu_uuid)) AS gpuHi,
         (SELECT countIf(xid_count_inc > 0) / count() FROM gpu_1h) AS faulty
       FROM (SELECT avgMerge(util_gpu_avg) AS h FROM gpu_1h WHERE region = 'eu-north' GROUP BY toHour(ts))`,
    );
    // One region's mean utilization by hour of day: a diurnal swing, not a constant.
    expect((v?.hi ?? 0) - (v?.lo ?? 0)).toBeGreaterThan(20);
    // GPUs differ over the month: some run hot, some idle.
    expect((v?.gpuHi ?? 0) - (v?.gpuLo ?? 0)).toBeGreaterThan(20);
    expect(v?.faulty).toBeGreaterThan(0);
    expect(v?.faulty).toBeLessThan(0.05);
    const [r] = await store.query<{ lo: number; hi: number }>(
      'SELECT min(util_gpu_min) AS lo, max(util_gpu_max) AS hi FROM gpu_1h',
    );
    expect(r?.lo).toBeGreaterThanOrEqual(0);
    expect(r?.hi).toBeLessThanOrEqual(100);
  });
});

describe('long-range seed arguments', () => {
  it('plans whole hours for every entity', () => {
    const plan = longSeedPlan(fleet, NOW_S, 90);
    for (const e of ['gpu', 'host', 'link'] as const) {
      const hours = (daysOnly: boolean) =>
        plan.filter((c) => c.entity === e && c.daysOnly === daysOnly).reduce((a, c) => a + c.hours, 0);
      expect(hours(false)).toBe(30 * 24);
      expect(hours(true)).toBe(60 * 24);
    }
  });

  it('refuses a --days outside 30 to 90, naming the flag', () => {
    expect(parseDays('90')).toBe(90);
    for (const bad of ['29', '91', '45.5', 'x', undefined]) expect(() => parseDays(bad)).toThrow(/--days/);
  });
});
