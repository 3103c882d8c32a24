import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SampleRow, Store } from '@meridian/store';
import { rowsToColumns } from '../src/columns.js';
import { IncreaseTracker, type Derived } from '../src/increments.js';
import { T0, tempStore } from './helpers.js';

const num = (v: unknown) => (v === null ? null : Number(v));

/** xid_count of GPU g at second t: GPU-0 counts up every 10 s; GPU-1 resets to 0 at t = 100. */
function xid(g: number, t: number): number {
  if (g === 0) return 1000 + Math.floor(t / 10);
  return t < 100 ? 50 + Math.floor(t / 5) : Math.floor((t - 100) / 5);
}

/** The increase of one GPU over [from, to) seconds, by the reset rule, from the sample values alone. */
function expectedIncrease(g: number, from: number, to: number): number {
  let sum = 0;
  for (let t = Math.max(from, 1); t < to; t++) {
    const prev = xid(g, t - 1);
    const cur = xid(g, t);
    sum += cur >= prev ? cur - prev : cur;
  }
  return sum;
}

describe('counter increases and region rollups', () => {
  let store: Store;
  let dispose: () => Promise<void>;
  const SECONDS = 150;
  beforeAll(async () => {
    ({ store, dispose } = await tempStore());
    // Two whole GPUs and one MIG instance of GPU-0 in region eu, 1 Hz, written 10 s at a time.
    for (let start = 0; start < SECONDS; start += 10) {
      const rows: SampleRow[] = [];
      for (let t = start; t < start + 10; t++) {
        for (const [g, mig] of [
          [0, ''],
          [1, ''],
          [0, 'MIG-a'],
        ] as const) {
          rows.push({
            ts: T0 + t * 1000,
            source: 'sim',
            region: 'eu',
            host: 'h0',
            gpu_uuid: `GPU-${g}`,
            mig_instance: mig,
            util_gpu: mig ? 99 : 10 * (g + 1),
            xid_count: mig ? 7 : xid(g, t),
          });
        }
      }
      await store.writer('gpu').write(rows);
    }
    for (const t of ['gpu_1m', 'gpu_1h', 'gpu_region_1m', 'gpu_region_1h'])
      await store.command(`OPTIMIZE TABLE ${t} FINAL`);
  });
  afterAll(() => dispose());

  it('stores each sample increase beside the counter, with resets counted from zero', async () => {
    const r = await store.query<{ g: string; inc: string; nulls: string }>(
      `SELECT gpu_uuid AS g, toString(sum(xid_count_inc)) AS inc, toString(countIf(xid_count_inc IS NULL)) AS nulls
       FROM gpu_samples WHERE mig_instance = '' GROUP BY g ORDER BY g`,
    );
    expect(r).toEqual([
      { g: 'GPU-0', inc: String(expectedIncrease(0, 0, SECONDS)), nulls: '1' },
      { g: 'GPU-1', inc: String(expectedIncrease(1, 0, SECONDS)), nulls: '1' },
    ]);
    // GPU-0 went 1000 -> 1014; GPU-1 reset at 100 s after reaching 69: 19 before + 9 after the reset.
    expect(expectedIncrease(0, 0, SECONDS)).toBe(14);
    expect(expectedIncrease(1, 0, SECONDS)).toBe(28);
  });

  it('rolls increases up per series and per minute, equal to the raw increases', async () => {
    const r = await store.query<{ g: string; m: number; inc: number }>(
      `SELECT gpu_uuid AS g, toUnixTimestamp(ts) AS m, toFloat64(sum(xid_count_inc)) AS inc
       FROM gpu_1m WHERE mig_instance = '' GROUP BY g, m ORDER BY g, m`,
    );
    const want = [0, 1].flatMap((g) =>
      [0, 60, 120].map((s) => ({
        g: `GPU-${g}`,
        m: T0 / 1000 + s,
        inc: expectedIncrease(g, s, Math.min(s + 60, SECONDS)),
      })),
    );
    expect(r.map((x) => ({ ...x, m: num(x.m), inc: num(x.inc) }))).toEqual(want);
  });

  it('folds whole GPUs of a region into one row per minute, counting the GPUs reporting exactly', async () => {
    const r = await store.query<{ m: number; series: number; samples: number; inc: number; util: number }>(
      `SELECT toUnixTimestamp(ts) AS m, sum(series_minutes) AS series, sum(samples) AS samples,
              toFloat64(sum(xid_count_inc)) AS inc, avgMerge(util_gpu_avg) AS util
       FROM gpu_region_1m WHERE region = 'eu' GROUP BY m ORDER BY m`,
    );
    expect(r.map((x) => [num(x.m), num(x.series), num(x.samples), num(x.inc), num(x.util)])).toEqual([
      // The MIG instance (util 99, xid 7) stays out: two GPUs, mean utilization (10 + 20) / 2.
      [T0 / 1000, 2, 120, expectedIncrease(0, 0, 60) + expectedIncrease(1, 0, 60), 15],
      [T0 / 1000 + 60, 2, 120, expectedIncrease(0, 60, 120) + expectedIncrease(1, 60, 120), 15],
      [T0 / 1000 + 120, 2, 60, expectedIncrease(0, 120, 150) + expectedIncrease(1, 120, 150), 15],
    ]);
    const h = await store.query<{ series: number; minutes: number; inc: number }>(
      `SELECT sum(series_hours) AS series, sum(series_minutes) AS minutes, toFloat64(sum(xid_count_inc)) AS inc FROM gpu_region_1h`,
    );
    expect(h.map((x) => [num(x.series), num(x.minutes), num(x.inc)])).toEqual([[2, 6, 42]]);
  });

  it('gives a row at or before its series latest instant no increase and no flags (a replay)', async () => {
    await store
      .writer('gpu')
      .write([{ ts: T0 + 5000, source: 'sim', region: 'eu', host: 'h0', gpu_uuid: 'GPU-0', xid_count: 0 }], {
        token: 'late-row',
      });
    const r = await store.query<{ inc: number | null; f: number }>(
      `SELECT xid_count_inc AS inc, first_in_1m AS f FROM gpu_samples WHERE xid_count = 0 AND gpu_uuid = 'GPU-0'`,
    );
    expect(r.map((x) => [x.inc, num(x.f)])).toEqual([[null, 0]]);
  });
});

describe('IncreaseTracker', () => {
  const row = (t: number, v: number): SampleRow => ({
    ts: T0 + t * 1000,
    source: 'sim',
    region: 'eu',
    host: 'h',
    gpu_uuid: 'G',
    xid_count: v,
  });
  const derive = (tr: IncreaseTracker, rows: SampleRow[]): Derived =>
    tr.derive(rowsToColumns('gpu', rows, new Set(['xid_count'])));
  /** Row i's increase of xid_count, undefined where it has none. */
  const incs = (d: Derived): (number | undefined)[] => {
    const c = d.increases.get('xid_count_inc');
    return Array.from(d.firstInMinute, (_, i) => (c && c.nulls[i] === 0 ? c.values[i] : undefined));
  };

  it('moves on only when the write is committed, so a retried batch gets the same increases', () => {
    const tr = new IncreaseTracker('gpu');
    derive(tr, [row(0, 5)]).commit();
    const failed = derive(tr, [row(1, 8), row(2, 9)]);
    expect(incs(failed)).toEqual([3, 1]);
    const retry = derive(tr, [row(1, 8), row(2, 9)]);
    expect(incs(retry)).toEqual([3, 1]);
    retry.commit();
    const next = derive(tr, [row(3, 9)]);
    expect([incs(next), next.firstInMinute[0], next.firstInHour[0]]).toEqual([[0], 0, 0]);
  });

  it('gives rows at or before the latest instant (replays, late rows) no increase and no flags', () => {
    const tr = new IncreaseTracker('gpu');
    derive(tr, [row(0, 5), row(61, 7)]).commit();
    const late = derive(tr, [row(30, 6), row(61, 7), row(62, 9)]);
    expect(incs(late)).toEqual([undefined, undefined, 2]);
    expect(Array.from(late.firstInMinute)).toEqual([0, 0, 0]);
  });

  it('treats a dictionary that holds a series name twice as one series', () => {
    const tr = new IncreaseTracker('gpu');
    const d = tr.derive({
      rows: 2,
      ts: Float64Array.of(T0, T0 + 1000),
      source: 'sim',
      columns: {
        region: { dict: ['eu'], codes: Uint8Array.of(0, 0) },
        host: { dict: ['h'], codes: Uint8Array.of(0, 0) },
        gpu_uuid: { dict: ['G', 'G'], codes: Uint8Array.of(0, 1) },
        xid_count: { values: Float64Array.of(5, 8) },
      },
    });
    expect(incs(d)).toEqual([undefined, 3]);
  });

  it('forgets the least recently written series past its bound', () => {
    const tr = new IncreaseTracker('gpu', 2);
    for (const g of ['A', 'B', 'C']) derive(tr, [{ ...row(0, 1), gpu_uuid: g }]).commit();
    expect(tr.size).toBe(2);
    expect(incs(derive(tr, [{ ...row(1, 2), gpu_uuid: 'A' }]))).toEqual([undefined]);
    expect(incs(derive(tr, [{ ...row(1, 2), gpu_uuid: 'C' }]))).toEqual([1]);
  });
});
