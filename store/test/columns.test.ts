import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringColumn, validateColumns, type SampleColumns, type Store } from '@meridian/store';
import { T0, tempStore } from './helpers.js';

/** Two GPUs, two samples each, as the twin holds them. */
function batch(over: Partial<SampleColumns['columns']> = {}, t0 = T0): SampleColumns {
  return {
    rows: 4,
    ts: Float64Array.of(t0, t0, t0 + 1000, t0 + 1000),
    source: 'sim',
    columns: {
      region: { dict: ['eu'], codes: new Uint8Array(4) },
      host: { dict: ['h1'], codes: new Uint8Array(4) },
      gpu_uuid: stringColumn(['GPU-a', 'GPU-b', 'GPU-a', 'GPU-b']),
      gpu_index: { values: Uint16Array.of(0, 1, 0, 1) },
      util_gpu: { values: Float32Array.of(10.5, 20, 30, 40), nulls: Uint8Array.of(0, 0, 1, 0) },
      memory_used: { values: Float64Array.of(2 ** 40 + 7, 1, 2, 3) },
      xid_count: { values: Float64Array.of(5, 0, 8, 0) },
      ...over,
    },
  };
}

describe('column writer', () => {
  let store: Store;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ store, dispose } = await tempStore());
  });
  afterAll(() => dispose());

  it('round-trips typed arrays and dictionary strings, with nulls and increases', async () => {
    const res = await store.writer('gpu').writeColumns(batch(), { token: 'cols-1' });
    expect(res).toEqual({ written: 4, rejected: [], token: 'cols-1' });
    const back = await store.query<Record<string, unknown>>(
      `SELECT toUnixTimestamp64Milli(ts) AS ms, source, gpu_uuid, gpu_index, util_gpu, toString(memory_used) AS mu,
              xid_count_inc AS inc, first_in_1m AS f
       FROM gpu_samples WHERE source = 'sim' ORDER BY ts, gpu_uuid`,
    );
    expect(back.map((r) => ({ ...r, f: Number(r.f) }))).toEqual([
      {
        ms: T0,
        source: 'sim',
        gpu_uuid: 'GPU-a',
        gpu_index: 0,
        util_gpu: 10.5,
        mu: String(2 ** 40 + 7),
        inc: null,
        f: 1,
      },
      { ms: T0, source: 'sim', gpu_uuid: 'GPU-b', gpu_index: 1, util_gpu: 20, mu: '1', inc: null, f: 1 },
      { ms: T0 + 1000, source: 'sim', gpu_uuid: 'GPU-a', gpu_index: 0, util_gpu: null, mu: '2', inc: 3, f: 0 },
      { ms: T0 + 1000, source: 'sim', gpu_uuid: 'GPU-b', gpu_index: 1, util_gpu: 40, mu: '3', inc: 0, f: 0 },
    ]);
  });

  it('lands a retried batch once (same token), in the raw table and the rollup', async () => {
    const w = store.writer('gpu');
    const b = batch({}, T0 + 3_600_000);
    await w.writeColumns(b, { token: 'cols-retry' });
    await w.writeColumns(b, { token: 'cols-retry' });
    const [raw] = await store.query<{ n: string }>(
      `SELECT count() AS n FROM gpu_samples WHERE ts >= fromUnixTimestamp64Milli({t:Int64})`,
      { t: T0 + 3_600_000 },
    );
    const [m1] = await store.query<{ n: string }>(
      `SELECT sum(samples) AS n FROM gpu_1m WHERE ts >= toDateTime({t:UInt32})`,
      { t: (T0 + 3_600_000) / 1000 },
    );
    expect([Number(raw?.n), Number(m1?.n)]).toEqual([4, 4]);
  });

  it('refuses bad rows whole, naming row and field, and keeps the rest', async () => {
    const res = await store.writer('gpu').writeColumns(
      batch(
        {
          gpu_uuid: { dict: ['GPU-a', ''], codes: Uint8Array.of(0, 1, 0, 0) },
          util_gpu: { values: Float32Array.of(10, 20, 130, NaN) },
        },
        T0 + 7_200_000,
      ),
    );
    expect(res.written).toBe(1);
    expect(res.rejected).toEqual([
      { row: 1, field: 'gpu_uuid', message: 'required label is missing' },
      { row: 2, field: 'util_gpu', message: 'out of range [0, 100] percent: 130' },
      { row: 3, field: 'util_gpu', message: 'must be finite, got NaN' },
    ]);
  });
});

describe('validateColumns', () => {
  it('names the bad field of each refused row: ts, source, integer bounds, dictionary codes', () => {
    const b = batch({
      gpu_index: { values: Float64Array.of(0, 70000, 0, 1) },
      host: { dict: ['h1'], codes: Uint8Array.of(0, 0, 0, 3) },
      memory_used: { values: Float64Array.of(1.5, 1, 2, 3) },
    });
    const { errors, batch: kept } = validateColumns('gpu', { ...b, ts: Float64Array.of(5, T0, T0, T0), source: '' });
    expect(kept.rows).toBe(0);
    expect(errors.map((e) => `${e.row}:${e.field}`)).toEqual([
      '0:ts',
      '0:source',
      '0:memory_used',
      '1:source',
      '1:gpu_index',
      '2:source',
      '3:source',
      '3:host',
    ]);
    expect(errors.find((e) => e.field === 'host')?.message).toBe(
      'dictionary code 3 is outside the dictionary (1 entries)',
    );
    expect(errors.find((e) => e.field === 'memory_used')?.message).toBe('must be an integer in UInt64 range, got 1.5');
  });

  it('refuses a batch without a required label column in every row', () => {
    const { region: _, ...rest } = batch().columns;
    const { errors } = validateColumns('gpu', { ...batch(), columns: rest });
    expect(errors.filter((e) => e.field === 'region').map((e) => e.row)).toEqual([0, 1, 2, 3]);
  });

  it('throws, naming the column, on a malformed batch', () => {
    expect(() => validateColumns('gpu', batch({ bogus: { values: new Float64Array(4) } }))).toThrow(
      /columns\.bogus: unknown column for gpu/,
    );
    expect(() => validateColumns('gpu', batch({ util_gpu: { values: new Float64Array(3) } }))).toThrow(
      /columns\.util_gpu: has 3 values for 4 rows/,
    );
    expect(() => validateColumns('gpu', batch({ host: { values: new Float64Array(4) } }))).toThrow(
      /columns\.host: a string label must be a dictionary column/,
    );
    expect(() => validateColumns('gpu', batch({ util_gpu: stringColumn(['a', 'b', 'c', 'd']) }))).toThrow(
      /columns\.util_gpu: must be a numeric column/,
    );
    expect(() => validateColumns('gpu', { ...batch(), ts: new Float64Array(2) })).toThrow(/columns\.ts: has 2 values/);
    expect(() => validateColumns('gpu', { ...batch(), rows: -1 })).toThrow(/columns\.rows: must be a non-negative/);
  });
});
