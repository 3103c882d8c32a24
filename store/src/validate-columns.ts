import { labelsOf, metricsOf, type Entity, type LabelDef, type MetricDef } from '@meridian/catalog';
import { isStringColumn, selectRows, type NumberColumn, type SampleColumns, type StringColumn } from './columns.js';
import type { RowError } from './types.js';
import {
  INT_BOUNDS,
  labelCheck,
  metricCheck,
  REQUIRED_MESSAGE,
  SOURCE_MAX,
  SOURCE_MESSAGE,
  TS_MAX,
  TS_MIN,
  tsMessage,
  unknownMessage,
} from './validate.js';

/** The same checks as validateSampleRows, a column at a time: one tight loop per column. */
export interface ColumnValidation {
  /** The rows that passed (the batch itself when all did). */
  readonly batch: SampleColumns;
  /** One per bad field, in row order; a row with any is refused whole. */
  readonly errors: RowError[];
}

/**
 * Validates a column batch against the catalog. A malformed batch (a column of the wrong length or
 * kind, a name not in the catalog) is a caller's bug, not bad data, and throws, naming the column;
 * bad values refuse their rows, with the same messages the row API gives.
 */
export function validateColumns(entity: Entity, batch: SampleColumns): ColumnValidation {
  const n = batch.rows;
  if (!Number.isInteger(n) || n < 0) throw new Error(`columns.rows: must be a non-negative integer, got ${n}`);
  checkLength('ts', batch.ts.length, n);
  const labels = new Map(labelsOf(entity).map((l) => [l.name, l]));
  const metrics = new Map(metricsOf(entity).map((m) => [m.name, m]));
  const errors: RowError[] = [];
  const bad = new Uint8Array(n);
  const fail = (row: number, field: string, message: string): void => {
    errors.push({ row, field, message });
    bad[row] = 1;
  };
  const ts = batch.ts;
  for (let i = 0; i < n; i++) {
    const t = ts[i]!;
    if (!(t >= TS_MIN && t <= TS_MAX)) fail(i, 'ts', tsMessage(t));
  }
  checkStrings(
    'source',
    batch.source,
    n,
    (s) => (s.length === 0 || s.length > SOURCE_MAX ? SOURCE_MESSAGE : null),
    fail,
  );
  for (const [name, col] of Object.entries(batch.columns)) {
    const label = labels.get(name);
    const metric = metrics.get(name);
    if (!label && !metric) throw new Error(`columns.${name}: ${unknownMessage(entity)}`);
    const len = isStringColumn(col) ? col.codes.length : col.values.length;
    checkLength(name, len, n);
    if (label && label.type !== 'UInt16') {
      if (!isStringColumn(col)) throw new Error(`columns.${name}: a string label must be a dictionary column`);
      checkStrings(name, col, n, labelEntryCheck(label), fail);
    } else {
      if (isStringColumn(col)) throw new Error(`columns.${name}: must be a numeric column, got a dictionary`);
      checkNumbers(name, col, n, label ? labelNumberCheck() : numberCheck(metric!), fail);
    }
  }
  for (const l of labels.values()) {
    if (l.required && !(l.name in batch.columns)) for (let i = 0; i < n; i++) fail(i, l.name, REQUIRED_MESSAGE);
  }
  if (errors.length === 0) return { batch, errors };
  // Stable: within a row, fields keep the order they were checked in.
  errors.sort((a, b) => a.row - b.row);
  for (let i = 0; i < n; i++) bad[i] = bad[i] === 1 ? 0 : 1;
  return { batch: selectRows(batch, bad), errors };
}

function checkLength(name: string, len: number, rows: number): void {
  if (len !== rows) throw new Error(`columns.${name}: has ${len} values for ${rows} rows`);
}

type Fail = (row: number, field: string, message: string) => void;

function labelEntryCheck(l: LabelDef): (s: string) => string | null {
  const check = labelCheck(l);
  return (s) => check(s) ?? (l.required && s === '' ? REQUIRED_MESSAGE : null);
}

/** A dictionary column is checked once per entry, then each row by its code. */
function checkStrings(
  name: string,
  col: string | StringColumn,
  n: number,
  check: (s: string) => string | null,
  fail: Fail,
): void {
  if (typeof col === 'string') {
    const problem = check(col);
    if (problem) for (let i = 0; i < n; i++) fail(i, name, problem);
    return;
  }
  const problems = col.dict.map((s) => (typeof s === 'string' ? check(s) : `must be a string, got ${typeof s}`));
  if (problems.every((p) => p === null) && maxOf(col.codes) < col.dict.length) return;
  const codes = col.codes;
  for (let i = 0; i < n; i++) {
    const c = codes[i]!;
    if (c >= problems.length)
      fail(i, name, `dictionary code ${c} is outside the dictionary (${problems.length} entries)`);
    else if (problems[c] !== null) fail(i, name, problems[c]!);
  }
}

function maxOf(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) if (a[i]! > m) m = a[i]!;
  return m;
}

/** The fast test a value must pass and the full check that words the error when it does not. */
interface NumberCheck {
  readonly lo: number;
  readonly hi: number;
  readonly integer: boolean;
  readonly explain: (v: number) => string;
}

function numberCheck(m: MetricDef): NumberCheck {
  const integer = m.type !== 'Float32' && m.type !== 'Float64';
  const [min, max] = integer ? INT_BOUNDS[m.type as keyof typeof INT_BOUNDS] : [-Infinity, Infinity];
  const check = metricCheck(m);
  return {
    lo: Math.max(min, m.range?.min ?? -Infinity),
    hi: Math.min(max, m.range?.max ?? Infinity),
    integer,
    explain: (v) => check(v) ?? `out of range, got ${v}`,
  };
}

function labelNumberCheck(): NumberCheck {
  return { lo: 0, hi: 0xffff, integer: true, explain: () => 'must be an integer 0..65535' };
}

function checkNumbers(name: string, col: NumberColumn, n: number, c: NumberCheck, fail: Fail): void {
  const { values, nulls } = col;
  const { lo, hi, integer } = c;
  for (let i = 0; i < n; i++) {
    if (nulls && nulls[i] === 1) continue;
    const v = values[i]!;
    // NaN fails both comparisons; Infinity fails the finite bounds or, for floats, the explicit test.
    if (v >= lo && v <= hi && (integer ? Math.floor(v) === v : v - v === 0)) continue;
    fail(i, name, c.explain(v));
  }
}
