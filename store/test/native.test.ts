/**
 * The Native encoder against the engine itself: string labels go as LowCardinality(String), byte for
 * byte as the engine writes that type, and batches are put in the table's sort order before they
 * are encoded without changing what lands.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '@meridian/store';
import { stringColumn, type SampleColumns } from '../src/columns.js';
import { IncreaseTracker } from '../src/increments.js';
import { lowCardinalityBody } from '../src/native-strings.js';
import { reorder, seriesOrder } from '../src/order.js';
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

  it('widens the indexes past 256 distinct strings and the engine reads them back', async () => {
    const values = Array.from({ length: 700 }, (_, i) => `GPU-${i % 300}`);
    const col = stringColumn(values);
    const file = path.join(dir, 'wide.native');
    writeFileSync(file, ourBytes(col, values.length));
    const back = await store.query<{ s: string }>(`SELECT s FROM file({f:String}, 'Native')`, { f: file });
    expect(back.map((r) => r.s)).toEqual(values);
  });

  it('orders a time-major batch by series, stably, so increases derived after it are those of arrival order', () => {
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
    const sorted = reorder(later, series, order!);
    expect(Array.from(sorted.batch.ts)).toEqual([T0 + 2000, T0 + 3000, T0 + 2000, T0 + 3000]);
    const uuid = sorted.batch.columns.gpu_uuid as ReturnType<typeof stringColumn>;
    expect(Array.from(uuid.codes, (c) => uuid.dict[c])).toEqual(['GPU-a', 'GPU-a', 'GPU-b', 'GPU-b']);
    // Derived after the reordering, as the writer does. GPU-a went 15 -> 11 (a reset: 11) -> 20
    // (+9); GPU-b 3 -> 4 (+1) -> 6 (+2).
    const after = tracker.derive(sorted.batch, sorted.series).increases.get('xid_count_inc')!;
    expect(Array.from(after.values)).toEqual([11, 9, 1, 2]);
    // The same increases, row for row, as derived in arrival order (derive alone keeps no memory).
    const before = tracker.derive(later).increases.get('xid_count_inc')!;
    expect(Array.from(order!, (i) => before.values[i])).toEqual([11, 9, 1, 2]);
    expect(seriesOrder(sorted.series)).toBeNull();
  });
});
