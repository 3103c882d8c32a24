import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolutionForRange } from '@meridian/catalog';
import { stringColumn, type SampleColumns, type Store } from '@meridian/store';
import { T0, tempStore } from './helpers.js';

const DAY = 86_400_000;
const LINKS = ['eu->us', 'us->ap'] as const;

/**
 * 2 links × 2 lanes probed every minute for 2.5 days (minutes `fromMin` to `toMin`, shifted by
 * `offset`): RTT and loss gauges with one reading in 11 absent, and a CRC error counter that steps
 * by the lane's number + 1 every 89 minutes.
 */
function probes(fromMin: number, toMin: number, offset = 0): SampleColumns {
  const n = (toMin - fromMin) * 4;
  const ts = new Float64Array(n);
  const id: string[] = [];
  const lane = new Uint16Array(n);
  const rtt = new Float32Array(n);
  const rttNulls = new Uint8Array(n);
  const loss = new Float32Array(n);
  const crc = new Float64Array(n);
  let r = 0;
  for (let m = fromMin; m < toMin; m++) {
    for (let k = 0; k < 4; k++, r++) {
      ts[r] = T0 + offset + m * 60_000;
      id.push(LINKS[k >> 1]!);
      lane[r] = k & 1;
      rtt[r] = 40 + ((m * (k + 3)) % 17);
      rttNulls[r] = m % 11 === 0 ? 1 : 0;
      loss[r] = ((m + k) % 50) / 100;
      crc[r] = Math.floor(m / 89) * ((k & 1) + 1);
    }
  }
  return {
    rows: n,
    ts,
    source: 'sim',
    columns: {
      link_id: stringColumn(id),
      host: stringColumn(id.map((l) => `${l.split('->')[0]}-h0`)),
      lane: { values: lane },
      region_from: stringColumn(id.map((l) => l.split('->')[0]!)),
      region_to: stringColumn(id.map((l) => l.split('->')[1]!)),
      rtt_avg: { values: rtt, nulls: rttNulls },
      rtt_min: { values: rtt, nulls: rttNulls },
      loss_pct: { values: loss },
      crc_errors: { values: crc },
    },
  };
}

const MINUTES = 60 * 60; // 2.5 days of minutes

/** The daily per-lane figures, straight from link_1d and as the hourly rollup aggregated per day. */
async function perLaneDaily(store: Store): Promise<{ daily: unknown[]; fromHours: unknown[] }> {
  const cols = (t: string) =>
    `link_id, lane, toUnixTimestamp(${t}) AS day, sum(samples) AS n, round(avgMerge(rtt_avg_avg), 6) AS avg_rtt,
     min(rtt_min_min) AS min_rtt, max(rtt_avg_max) AS max_rtt, round(avgMerge(loss_pct_avg), 6) AS avg_loss,
     max(crc_errors_max) AS crc_last, sum(crc_errors_inc) AS crc_inc, any(region_to) AS to`;
  const daily = await store.query(
    `SELECT ${cols('ts')} FROM link_1d GROUP BY link_id, lane, ts ORDER BY link_id, lane, day`,
  );
  const fromHours = await store.query(
    `SELECT ${cols('toStartOfDay(ts)')} FROM link_1h GROUP BY link_id, lane, day ORDER BY link_id, lane, day`,
  );
  return { daily, fromHours };
}

describe('daily link rollup (link_1d, 0007)', () => {
  let store: Store;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ store, dispose } = await tempStore());
    for (let m = 0; m < MINUTES; m += 600)
      await store.writer('link').writeColumns(probes(m, Math.min(m + 600, MINUTES)));
  }, 240_000);
  afterAll(() => dispose());

  it('equals link_1h aggregated per day: samples, averages, min/max, last counter and increases', async () => {
    const { daily, fromHours } = await perLaneDaily(store);
    expect(daily).toHaveLength(4 * 3);
    expect(daily).toEqual(fromHours);
    // The increases are the counter's actual growth: lane 1 steps by 2 every 89 minutes.
    const day0 = daily.find((r) => (r as { lane: number }).lane === 1) as { crc_inc: number; n: number; to: string };
    expect(Number(day0.crc_inc)).toBe(Math.floor(1439 / 89) * 2);
    expect(Number(day0.n)).toBe(1440);
    expect(day0.to).toBe('us');
  });

  it('gives the 30-day links table (one row per link) the same figures as the hourly rollup', async () => {
    // The table the dashboards and the app run past two weeks, on each tier.
    const table = (t: string) =>
      store.query(
        `SELECT link_id, round(avgMerge(rtt_avg_avg), 6) AS rtt, min(rtt_min_min) AS rtt_min,
           round(avgMerge(loss_pct_avg), 6) AS loss, sum(crc_errors_inc) AS crc FROM ${t}
         WHERE ts >= toDateTime({from:UInt32}) AND ts <= toDateTime({to:UInt32}) GROUP BY link_id ORDER BY link_id`,
        { from: T0 / 1000, to: (T0 + 30 * DAY) / 1000 },
      );
    const days = await table('link_1d');
    expect(days).toHaveLength(2);
    expect(days).toEqual(await table('link_1h'));
    expect(resolutionForRange(T0, T0 + 30 * DAY, T0 + 30 * DAY)).toBe('1d');
  });

  it('counts a retried batch once in link_1d', async () => {
    const sum = async () =>
      (
        await store.query<{ n: string; inc: string }>(
          'SELECT sum(samples) AS n, sum(crc_errors_inc) AS inc FROM link_1d',
        )
      )[0];
    const before = await sum();
    // An hour of probes 10 days on, whose counter stepped (lane 1 by 2 at minute 0 of the batch).
    const late = probes(89, 149, 10 * DAY);
    await store.writer('link').writeColumns(late, { token: 'daily-link-retry' });
    await store.writer('link').writeColumns(late, { token: 'daily-link-retry' });
    const after = await sum();
    expect(Number(after?.n) - Number(before?.n)).toBe(60 * 4);
    const [day] = await store.query<{ n: string }>(
      `SELECT sum(samples) AS n FROM link_1d WHERE ts = toDateTime({d:UInt32})`,
      { d: (T0 + 10 * DAY) / 1000 },
    );
    expect(Number(day?.n)).toBe(60 * 4);
    const { daily, fromHours } = await perLaneDaily(store);
    expect(daily).toEqual(fromHours);
  });
});
