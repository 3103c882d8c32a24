/**
 * The column builder and the batch plumbing around it (slice, concat, back to rows): what the twin
 * and the collector's pipeline use to hand the store columns instead of row objects.
 */
import { describe, expect, it } from 'vitest';
import {
  columnsToRows,
  concatColumns,
  SampleColumnsBuilder,
  sliceColumns,
  stringColumn,
  type NumberColumn,
  type SampleColumns,
  type StringColumn,
} from '@meridian/store';

const spec = {
  source: 'sim',
  labels: [
    { name: 'host', kind: 'string' },
    { name: 'gpu_index', kind: 'number' },
  ],
  metrics: ['util_gpu', 'power_draw'],
} as const;

const str = (c: SampleColumns, name: string): string[] => {
  const col = c.columns[name] as StringColumn;
  return Array.from(col.codes, (code) => col.dict[code]!);
};
const num = (c: SampleColumns, name: string): (number | null)[] => {
  const col = c.columns[name] as NumberColumn;
  return Array.from(col.values, (v, i) => (col.nulls?.[i] === 1 ? null : v));
};

describe('SampleColumnsBuilder', () => {
  it('grows past its capacity, keeps nulls and strings, and hands out what was appended', () => {
    const b = new SampleColumnsBuilder({ ...spec, capacity: 2 });
    for (let i = 0; i < 5; i++) b.append(1000 + i, [`h${i % 2}`, i], [i * 10.5, i === 3 ? null : 300 + i]);
    expect(b.rows).toBe(5);
    const c = b.take();
    expect(c.rows).toBe(5);
    expect(c.source).toBe('sim');
    expect(Array.from(c.ts)).toEqual([1000, 1001, 1002, 1003, 1004]);
    expect(str(c, 'host')).toEqual(['h0', 'h1', 'h0', 'h1', 'h0']);
    expect(num(c, 'gpu_index')).toEqual([0, 1, 2, 3, 4]);
    expect(num(c, 'util_gpu')).toEqual([0, 10.5, 21, 31.5, 42]);
    expect(num(c, 'power_draw')).toEqual([300, 301, 302, null, 304]);
    // A metric never null carries no null flags at all.
    expect((c.columns.util_gpu as NumberColumn).nulls).toBeUndefined();
    expect(b.rows).toBe(0);
  });

  it('starts each batch afresh: a batch handed out is never written to again', () => {
    const b = new SampleColumnsBuilder(spec);
    b.append(1, ['a', 0], [1, 2]);
    b.append(1, ['b', 1], [3, null]);
    const first = b.take();
    // Same series in the same order, then a new host: the dictionary only grows.
    b.append(2, ['a', 0], [5, 6]);
    b.append(2, ['c', 1], [7, 8]);
    const second = b.take();
    expect(str(first, 'host')).toEqual(['a', 'b']);
    expect(num(first, 'util_gpu')).toEqual([1, 3]);
    expect(num(first, 'power_draw')).toEqual([2, null]);
    expect(str(second, 'host')).toEqual(['a', 'c']);
    expect(num(second, 'power_draw')).toEqual([6, 8]);
    expect((second.columns.power_draw as NumberColumn).nulls).toBeUndefined();
    expect((first.columns.host as StringColumn).dict).toBe((second.columns.host as StringColumn).dict);
    expect(b.take().rows).toBe(0);
  });

  it('refuses a value of the wrong kind, naming the column', () => {
    const b = new SampleColumnsBuilder(spec);
    expect(() => b.append(1, [7, 0], [1, 2])).toThrow(/label "host" must be a string, got number/);
    expect(() => b.append(1, ['h', '0'], [1, 2])).toThrow(/label "gpu_index" must be a number, got string/);
    expect(() => b.append(1, ['h', 0], [1, undefined as unknown as number])).toThrow(
      /metric "power_draw" must be a number or null, got undefined/,
    );
  });
});

describe('slice, concat and rows of column batches', () => {
  const part = (ts: number, hosts: string[], util: (number | null)[]): SampleColumns => ({
    rows: hosts.length,
    ts: Float64Array.from(hosts, (_, i) => ts + i),
    source: 'sim',
    columns: {
      host: stringColumn(hosts),
      util_gpu: {
        values: Float32Array.from(util, (v) => v ?? 0),
        nulls: Uint8Array.from(util, (v) => (v === null ? 1 : 0)),
      },
    },
  });

  it('joins parts in order, merging dictionaries and keeping the array type', () => {
    const c = concatColumns([part(10, ['a', 'b'], [1, null]), part(20, ['b', 'c', 'a'], [2, 3, 4])]);
    expect(c.rows).toBe(5);
    expect(Array.from(c.ts)).toEqual([10, 11, 20, 21, 22]);
    expect(str(c, 'host')).toEqual(['a', 'b', 'b', 'c', 'a']);
    expect((c.columns.host as StringColumn).dict).toEqual(['a', 'b', 'c']);
    expect(num(c, 'util_gpu')).toEqual([1, null, 2, 3, 4]);
    expect((c.columns.util_gpu as NumberColumn).values).toBeInstanceOf(Float32Array);
  });

  it('keeps one builder’s dictionary and codes as they are', () => {
    const b = new SampleColumnsBuilder(spec);
    b.append(1, ['x', 0], [1, 1]);
    const one = b.take();
    b.append(2, ['y', 1], [2, 2]);
    b.append(2, ['x', 0], [3, 3]);
    const c = concatColumns([one, b.take()]);
    expect(str(c, 'host')).toEqual(['x', 'y', 'x']);
    expect(Array.from((c.columns.host as StringColumn).codes)).toEqual([0, 1, 0]);
  });

  it('makes a column some part lacks absent in its rows: NULL for a number, empty for a string', () => {
    const a = part(1, ['a'], [5]);
    const b: SampleColumns = { rows: 1, ts: Float64Array.of(2), source: 'other', columns: {} };
    const c = concatColumns([a, b]);
    expect(str(c, 'host')).toEqual(['a', '']);
    expect(num(c, 'util_gpu')).toEqual([5, null]);
    expect(c.source).toEqual({ dict: ['sim', 'other'], codes: Uint32Array.of(0, 1) });
  });

  it('refuses a name that is a string column in one part and a number in another, naming it', () => {
    const a = part(1, ['a'], [5]);
    const b: SampleColumns = { ...a, columns: { host: { values: Float64Array.of(1) } } };
    expect(() => concatColumns([a, b])).toThrow(/column "host" is a string column in one part and numeric/);
  });

  it('slices without copying and refuses a range outside the batch', () => {
    const c = part(0, ['a', 'b', 'c', 'd'], [1, 2, null, 4]);
    const s = sliceColumns(c, 1, 3);
    expect(s.rows).toBe(2);
    expect(str(s, 'host')).toEqual(['b', 'c']);
    expect(num(s, 'util_gpu')).toEqual([2, null]);
    expect((s.columns.util_gpu as NumberColumn).values.buffer).toBe((c.columns.util_gpu as NumberColumn).values.buffer);
    expect(() => sliceColumns(c, 2, 5)).toThrow(/rows 2..5 are outside a batch of 4/);
  });

  it('gives rows back with ts, source and every column, null where a number is absent', () => {
    expect(columnsToRows(part(7, ['a', 'b'], [1.5, null]))).toEqual([
      { ts: 7, source: 'sim', host: 'a', util_gpu: 1.5 },
      { ts: 8, source: 'sim', host: 'b', util_gpu: null },
    ]);
  });
});
