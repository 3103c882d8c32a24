/**
 * The Native encoder against the engine itself: string labels go as LowCardinality(String), byte for
 * byte as the engine writes that type, and batches are encoded in the table's sort order without
 * changing what lands.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '@meridian/store';
import { stringColumn, takeRows, type SampleColumns } from '../src/columns.js';
import { IncreaseTracker } from '../src/increments.js';
import { blockIdentity, encodeBase } from '../src/native.js';
import { lowCardinalityBody, plainStringBody } from '../src/native-strings.js';
import { seriesOrder } from '../src/order.js';
import { T0, tempStore } from './helpers.js';

/** The engine's own Native bytes for one LowCardinality(String) column `s` holding `values`. */
async function engineBytes(store: Store, dir: string, values: string[], name: string): Promise<Buffer> {
  const file = path.join(dir, `${name}.native`);
  const list = values.map((v) => `'${v}'`).join(', ');
  await store.command(
    `INSERT INTO FUNCTION file({f:String}, 'Native') SELECT toLowCardinality(x) AS s FROM values('x String', ${list})`,
    { f: file },
  );
  return readFileSync(file);
}

/** Our bytes for the same block: header (1 column, n rows, name, type), then the column body. */
function ourBytes(col: ReturnType<typeof stringColumn>, n: number): Buffer {
  const body = lowCardinalityBody(col, n);
  const view = Buffer.alloc(body.size);
  body.write(view);
  const type = 'LowCardinality(String)';
  const rows: number[] = [];
  for (let v = n; ; v >>>= 7) {
    if (v < 0x80) {
      rows.push(v);
      break;
    }
    rows.push((v & 0x7f) | 0x80);
  }
  return Buffer.concat([
    Buffer.from([1, ...rows, 1]),
    Buffer.from('s'),
    Buffer.from([type.length]),
    Buffer.from(type),
    view,
  ]);
}

describe('Native encoder', () => {
  let store: Store;
  let dir: string;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ store, dir, dispose } = await tempStore());
  });
  afterAll(() => dispose());

  it('writes LowCardinality(String) as the engine does: the empty default first, then first use', async () => {
    const values = ['bb', 'a', 'bb', '', 'c'];
    const ours = ourBytes(stringColumn(values), values.length);
    expect(ours.toString('hex')).toBe((await engineBytes(store, dir, values, 'with-empty')).toString('hex'));
    const noEmpty = ['bb', 'a', 'bb', 'c'];
    expect(ourBytes(stringColumn(noEmpty), 4).toString('hex')).toBe(
      (await engineBytes(store, dir, noEmpty, 'without-empty')).toString('hex'),
    );
  });

  it('drops unused and merges repeated dictionary entries, so the bytes follow the values only', () => {
    const plain = ourBytes(stringColumn(['x', 'y', 'x']), 3);
    const padded = ourBytes({ dict: ['unused', 'y', 'x', 'x'], codes: Uint8Array.of(2, 1, 3) }, 3);
    expect(padded.equals(plain)).toBe(true);
  });

  it.each([
    ['256', 700, 300],
    ['65,536', 140_000, 70_000],
  ])('widens the indexes past %s distinct strings and the engine reads them back', async (_, n, distinct) => {
    // 7,919 is prime and divides neither count, so all `distinct` values occur, in a scrambled order.
    const values = Array.from({ length: n }, (_, i) => `GPU-${(i * 7919) % distinct}`);
    const col = stringColumn(values);
    const file = path.join(dir, `wide-${distinct}.native`);
    writeFileSync(file, ourBytes(col, values.length));
    const back = await store.query<{ s: string }>(`SELECT s FROM file({f:String}, 'Native')`, { f: file });
    expect(back.map((r) => r.s)).toEqual(values);
  });

  it('orders a time-major batch by series, stably, so increases derived through the order are those of arrival order', () => {
    const batch: SampleColumns = {
      rows: 4,
      ts: Float64Array.of(T0, T0, T0 + 1000, T0 + 1000),
      source: 'test',
      columns: {
        region: { dict: ['eu'], codes: new Uint8Array(4) },
        host: { dict: ['h1'], codes: new Uint8Array(4) },
        gpu_uuid: stringColumn(['GPU-b', 'GPU-a', 'GPU-b', 'GPU-a']),
        xid_count: { values: Float64Array.of(1, 10, 3, 15) },
      },
    };
    const tracker = new IncreaseTracker('gpu');
    tracker.derive(batch).commit();
    const later: SampleColumns = {
      ...batch,
      ts: batch.ts.map((t) => t + 2000),
      columns: { ...batch.columns, xid_count: { values: Float64Array.of(4, 11, 6, 20) } },
    };
    const series = tracker.seriesOf(later);
    const order = seriesOrder(series);
    expect(Array.from(order ?? [])).toEqual([1, 3, 0, 2]);
    // Derived through the order, as the writer does, so the columns come in the block's order.
    // GPU-a went 15 -> 11 (a reset: 11) -> 20 (+9); GPU-b 3 -> 4 (+1) -> 6 (+2).
    const through = tracker.derive(later, series, order);
    expect(Array.from(through.increases.get('xid_count_inc')!.values)).toEqual([11, 9, 1, 2]);
    // The same increases and flags, row for row, as derived in arrival order (derive alone keeps no memory).
    const arrival = tracker.derive(later);
    expect(Array.from(order!, (i) => arrival.increases.get('xid_count_inc')!.values[i])).toEqual([11, 9, 1, 2]);
    expect(Array.from(through.firstInMinute)).toEqual(Array.from(order!, (i) => arrival.firstInMinute[i]));
    // A batch already in series order needs none.
    expect(seriesOrder(tracker.seriesOf(takeRows(later, order!)))).toBeNull();
  });

  it('encodes a batch through its order byte for byte as the same batch copied in that order', () => {
    const n = 600;
    const rows = Array.from({ length: n }, (_, i) => i);
    // Time-major over 40 GPUs on 5 hosts, with every kind of column the encoder writes: per-row
    // source, LowCardinality labels, a numeric label, and metrics of each type with and without
    // nulls, given as Float64Array and as narrower arrays the encoder converts.
    const gpu = (i: number) => i % 40;
    const batch: SampleColumns = {
      rows: n,
      ts: Float64Array.from(rows, (i) => T0 + Math.floor(i / 40) * 1000),
      source: stringColumn(rows.map((i) => (i % 3 === 0 ? 'dcgm' : 'nvidia-smi'))),
      columns: {
        region: stringColumn(rows.map((i) => `r${gpu(i) % 2}`)),
        host: stringColumn(rows.map((i) => `h${Math.floor(gpu(i) / 8)}`)),
        gpu_uuid: stringColumn(rows.map((i) => `GPU-${gpu(i)}`)),
        gpu_index: { values: Uint16Array.from(rows, (i) => gpu(i) % 8) },
        util_gpu: { values: Float64Array.from(rows, (i) => (i * 7.25) % 100) },
        power_draw: {
          values: Float32Array.from(rows, (i) => (i % 5 === 0 ? 0 : 300 + i / 8)),
          nulls: Uint8Array.from(rows, (i) => (i % 5 === 0 ? 1 : 0)),
        },
        memory_used: { values: Float64Array.from(rows, (i) => 2 ** 40 + i * 4096) },
        xid_count: { values: Uint32Array.from(rows, (i) => i >> 4), nulls: Uint8Array.from(rows, (i) => i & 1) },
        energy_total: { values: Float64Array.from(rows, (i) => i * 1e6 + 0.5) },
        pstate: { values: Uint8Array.from(rows, (i) => i % 13) },
      },
    };
    const order = seriesOrder(new IncreaseTracker('gpu').seriesOf(batch));
    expect(order).not.toBeNull();
    const copied = encodeBase('gpu', takeRows(batch, order!));
    const through = encodeBase('gpu', batch, undefined, order);
    expect(through.columns).toEqual(copied.columns);
    expect(blockIdentity(through).equals(blockIdentity(copied))).toBe(true);
    // And not by accident: the block in arrival order differs.
    expect(blockIdentity(encodeBase('gpu', batch)).equals(blockIdentity(copied))).toBe(false);

    // The plain String body (no sample table has one today) reads through the order as well.
    const host = batch.columns.host as ReturnType<typeof stringColumn>;
    const plain = (col: ReturnType<typeof stringColumn>, o: Uint32Array | null) => {
      const body = plainStringBody(col, n, o);
      const view = Buffer.alloc(body.size);
      body.write(view);
      return view;
    };
    const hostCopied = takeRows(batch, order!).columns.host as ReturnType<typeof stringColumn>;
    expect(plain(host, order).equals(plain(hostCopied, null))).toBe(true);
  });
});
