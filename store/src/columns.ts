import { labelsOf, type Entity } from '@meridian/catalog';
import type { SampleRow } from './types.js';

/** The typed arrays a numeric column may come in; values are converted to the table's type on encode. */
export type NumericArray = Float64Array | Float32Array | Int32Array | Uint32Array | Uint16Array | Uint8Array;

/**
 * A numeric column: one value per row, and where some rows have none, `nulls` (1 = absent, stored as
 * NULL). The value under a null is ignored but still encoded, so keep it deterministic (0).
 */
export interface NumberColumn {
  readonly values: NumericArray;
  readonly nulls?: Uint8Array;
}

/** A dictionary-encoded string column: row i holds `dict[codes[i]]`. */
export interface StringColumn {
  readonly dict: readonly string[];
  readonly codes: Uint8Array | Uint16Array | Uint32Array;
}

export type SampleColumn = NumberColumn | StringColumn;

/**
 * A batch of samples as columns, the shape the twin and the benches hold: `ts` in epoch milliseconds,
 * `source` (one for the batch, or per row), and any of the entity's labels and catalog metrics by
 * name. Every column has `rows` entries. A column left out is absent in every row: NULL for metrics,
 * the label's default ('' or 0) for labels.
 */
export interface SampleColumns {
  readonly rows: number;
  readonly ts: Float64Array;
  readonly source: string | StringColumn;
  readonly columns: Readonly<Record<string, SampleColumn>>;
}

export function isStringColumn(c: SampleColumn): c is StringColumn {
  return (c as StringColumn).dict !== undefined;
}

/** Builds a string column from values, for callers (and tests) that hold plain strings. */
export function stringColumn(values: readonly string[]): StringColumn {
  const index = new Map<string, number>();
  const dict: string[] = [];
  const codes = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    let c = index.get(v);
    if (c === undefined) {
      c = dict.length;
      dict.push(v);
      index.set(v, c);
    }
    codes[i] = c;
  }
  return { dict, codes };
}

/** The string column of one value repeated: what a constant label or source costs as a column. */
export function constantColumn(value: string, rows: number): StringColumn {
  return { dict: [value], codes: new Uint8Array(rows) };
}

/** The source column of a batch as a string column. */
export function sourceColumn(batch: SampleColumns): StringColumn {
  return typeof batch.source === 'string' ? constantColumn(batch.source, batch.rows) : batch.source;
}

/**
 * Turns validated rows into columns (the row API is built on the column writer). Only the columns
 * `present` names (some row sets them) become metric columns; every string label becomes a column,
 * '' where a row lacks it, as the engine's default would be.
 */
export function rowsToColumns(entity: Entity, rows: readonly SampleRow[], present: ReadonlySet<string>): SampleColumns {
  const n = rows.length;
  const ts = new Float64Array(n);
  for (let i = 0; i < n; i++) ts[i] = rows[i]!.ts;
  const columns: Record<string, SampleColumn> = {};
  const strings = (name: string): StringColumn =>
    stringColumn(rows.map((r) => (typeof r[name] === 'string' ? (r[name] as string) : '')));
  for (const l of labelsOf(entity)) {
    if (l.type !== 'UInt16') columns[l.name] = strings(l.name);
    else if (present.has(l.name)) columns[l.name] = numbers(rows, l.name);
  }
  for (const name of present) if (!(name in columns)) columns[name] = numbers(rows, name);
  return { rows: n, ts, source: strings('source'), columns };
}

function numbers(rows: readonly SampleRow[], name: string): NumberColumn {
  const n = rows.length;
  const values = new Float64Array(n);
  const nulls = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = rows[i]![name];
    if (typeof v === 'number') values[i] = v;
    else nulls[i] = 1;
  }
  return { values, nulls };
}

/** Keeps the rows whose `keep` flag is 1, in order: used when validation refuses some rows. */
export function selectRows(batch: SampleColumns, keep: Uint8Array): SampleColumns {
  const idx: number[] = [];
  for (let i = 0; i < batch.rows; i++) if (keep[i] === 1) idx.push(i);
  return takeRows(batch, idx);
}

type RowArray = NumericArray | Uint8Array | Uint16Array | Uint32Array | Float64Array;

/** The values at `idx`, in that order, in an array of the same type. */
export function take<A extends RowArray>(a: A, idx: ArrayLike<number>): A {
  const out = new (a.constructor as new (n: number) => A)(idx.length);
  for (let j = 0; j < idx.length; j++) out[j] = a[idx[j]!]!;
  return out;
}

/** The rows at `idx`, in that order (a subset, a reordering, or both). */
export function takeRows(batch: SampleColumns, idx: ArrayLike<number>): SampleColumns {
  const columns: Record<string, SampleColumn> = {};
  for (const [name, c] of Object.entries(batch.columns)) {
    columns[name] = isStringColumn(c)
      ? { dict: c.dict, codes: take(c.codes, idx) }
      : { values: take(c.values, idx), ...(c.nulls ? { nulls: take(c.nulls, idx) } : {}) };
  }
  const source =
    typeof batch.source === 'string' ? batch.source : { dict: batch.source.dict, codes: take(batch.source.codes, idx) };
  return { rows: idx.length, ts: take(batch.ts, idx), source, columns };
}
