import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLatest, readSeries, resolutionFor, type SampleRow, type Store } from '@meridian/store';
import { T0, tempStore } from './helpers.js';

describe('typed readers', () => {
  let store: Store;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ store, dispose } = await tempStore());
    const rows: SampleRow[] = [];
    // 2 regions x 2 GPUs, 2 hours at 10 s; eu runs at 80 %, us at 20 %, with a step at 1 h in eu.
    for (let s = 0; s < 7200; s += 10) {
      for (const [region, base] of [
        ['eu', 80],
        ['us', 20],
      ] as const) {
        for (let g = 0; g < 2; g++) {
          rows.push({
            ts: T0 + s * 1000,
            source: 'sim',
            region,
            host: `${region}-h`,
            gpu_uuid: `${region}-${g}`,
            util_gpu: region === 'eu' && s >= 3600 ? 40 : base + g,
            temp_gpu: 50 + g,
          });
        }
      }
    }
    await store.writer('gpu').write(rows);
  });
  afterAll(() => dispose());

  it('chooses the table by step', () => {
    expect([resolutionFor(10), resolutionFor(60), resolutionFor(300), resolutionFor(3600)]).toEqual([
      'raw',
      '1m',
      '1m',
      '1h',
    ]);
  });

  it('reads the same values from raw, 1-minute and 1-hour tables', async () => {
    const q = {
      entity: 'gpu',
      metric: 'util_gpu',
      from: T0,
      to: T0 + 7200_000,
      groupBy: 'region',
      where: { region: 'eu' },
    } as const;
    const hourly = await readSeries(store, { ...q, stepS: 3600 });
    expect(hourly).toEqual([
      { t: T0, key: 'eu', value: 80.5 },
      { t: T0 + 3600_000, key: 'eu', value: 40 },
    ]);
    const minutes = await readSeries(store, { ...q, stepS: 1800 });
    expect(minutes.map((p) => p.value)).toEqual([80.5, 80.5, 40, 40]);
    const raw = await readSeries(store, { ...q, stepS: 30, from: T0 + 3570_000, to: T0 + 3630_000 });
    expect(raw).toEqual([
      { t: T0 + 3570_000, key: 'eu', value: 80.5 },
      { t: T0 + 3600_000, key: 'eu', value: 40 },
    ]);
  });

  it('splits series by a label and summarises with max', async () => {
    const pts = await readSeries(store, {
      entity: 'gpu',
      metric: 'util_gpu',
      agg: 'max',
      from: T0,
      to: T0 + 3600_000,
      stepS: 3600,
      groupBy: 'region',
    });
    expect(pts).toEqual([
      { t: T0, key: 'eu', value: 81 },
      { t: T0, key: 'us', value: 21 },
    ]);
  });

  it('refuses names that are not in the catalog, before any SQL runs', async () => {
    const base = { entity: 'gpu', from: T0, to: T0 + 1000, stepS: 1 } as const;
    await expect(readSeries(store, { ...base, metric: 'util_gpu; DROP TABLE gpu_samples' })).rejects.toThrow(
      /metric: .* is not a gpu metric/,
    );
    await expect(readSeries(store, { ...base, metric: 'rtt_p50' })).rejects.toThrow(/is not a gpu metric/);
    await expect(readSeries(store, { ...base, metric: 'util_gpu', groupBy: 'tenant' })).rejects.toThrow(
      /groupBy: "tenant" is not a gpu label/,
    );
    await expect(
      readSeries(store, { ...base, metric: 'util_gpu', where: { "region') OR 1=1 --": 'x' } }),
    ).rejects.toThrow(/where: .* is not a gpu label/);
  });

  it('binds filter values, so quotes in them are just data', async () => {
    const pts = await readSeries(store, {
      entity: 'gpu',
      metric: 'util_gpu',
      from: T0,
      to: T0 + 3600_000,
      stepS: 3600,
      where: { region: "eu' OR '1'='1" },
    });
    expect(pts).toEqual([]);
  });

  it('returns the latest row of each GPU', async () => {
    const latest = await readLatest(store, 'gpu', { now: T0 + 7195_000, withinS: 30, where: { region: 'us' } });
    const seen = latest
      .map((r) => [r.gpu_uuid, r.util_gpu, r.ts])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(seen).toEqual([
      ['us-0', 20, '2026-11-25 01:59:50.000'],
      ['us-1', 21, '2026-11-25 01:59:50.000'],
    ]);
  });
});
