import { labelsOf, metricsOf, type Entity, type LabelDef, type MetricDef, type ValueType } from '@meridian/catalog';
import type { RowError, SampleRow } from './types.js';

export const INT_BOUNDS: Record<Exclude<ValueType, 'Float32' | 'Float64'>, [number, number]> = {
  UInt8: [0, 0xff],
  UInt16: [0, 0xffff],
  UInt32: [0, 0xffffffff],
  UInt64: [0, Number.MAX_SAFE_INTEGER],
  Int32: [-0x80000000, 0x7fffffff],
};

/** Earliest and latest instants we accept: anything else is a unit mix-up (seconds vs ms) or garbage. */
export const TS_MIN = Date.UTC(2000, 0, 1);
export const TS_MAX = Date.UTC(2200, 0, 1);
export const SOURCE_MAX = 64;

export type ColumnCheck = (v: unknown) => string | null;

export const tsMessage = (ts: unknown): string => `must be epoch milliseconds between 2000 and 2200, got ${String(ts)}`;
export const SOURCE_MESSAGE = `must be a non-empty string of at most ${SOURCE_MAX} characters`;
export const REQUIRED_MESSAGE = 'required label is missing';
export const unknownMessage = (entity: Entity): string => `unknown column for ${entity} (not in the metric catalog)`;

interface Column {
  readonly check: ColumnCheck;
  /** Set when any valid row in the current batch has a value here. */
  seen: boolean;
}

export function labelCheck(l: LabelDef): ColumnCheck {
  if (l.type === 'UInt16') {
    return (v) =>
      typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff ? null : 'must be an integer 0..65535';
  }
  const max = l.maxLength ?? 1024;
  return (v) => {
    if (typeof v !== 'string') return `must be a string, got ${typeof v}`;
    if (v.length > max) return `longer than ${max} characters (${v.length})`;
    return null;
  };
}

export function metricCheck(m: MetricDef): ColumnCheck {
  const isInt = m.type !== 'Float32' && m.type !== 'Float64';
  const bounds = isInt ? INT_BOUNDS[m.type as keyof typeof INT_BOUNDS] : undefined;
  const range = m.range;
  return (v) => {
    if (typeof v !== 'number') return `must be a number, got ${typeof v}`;
    if (!Number.isFinite(v)) return `must be finite, got ${v}`;
    if (bounds && (!Number.isInteger(v) || v < bounds[0] || v > bounds[1])) {
      return `must be an integer in ${m.type} range, got ${v}`;
    }
    if (range && (v < range.min || v > range.max)) return `out of range [${range.min}, ${range.max}] ${m.unit}: ${v}`;
    return null;
  };
}

interface EntitySpec {
  readonly checks: Map<string, Column>;
  readonly required: readonly string[];
}

const specs = new Map<Entity, EntitySpec>();

function specFor(entity: Entity): EntitySpec {
  let s = specs.get(entity);
  if (!s) {
    const checks = new Map<string, Column>();
    for (const l of labelsOf(entity)) checks.set(l.name, { check: labelCheck(l), seen: false });
    for (const m of metricsOf(entity)) checks.set(m.name, { check: metricCheck(m), seen: false });
    s = {
      checks,
      required: labelsOf(entity)
        .filter((l) => l.required)
        .map((l) => l.name),
    };
    specs.set(entity, s);
  }
  return s;
}

export interface ValidationResult {
  readonly valid: SampleRow[];
  readonly errors: RowError[];
  /** Columns at least one row sets (a row's fields count once seen, even if the row is refused). */
  readonly present: Set<string>;
}

/**
 * Checks each row against the catalog. A row with any bad field is refused whole (a half-stored
 * sample would mislead), with one error per bad field naming the row and the field; the other rows
 * are kept. null/undefined is "absent" and always allowed for metrics.
 */
export function validateSampleRows(entity: Entity, rows: readonly SampleRow[]): ValidationResult {
  const { checks, required } = specFor(entity);
  for (const c of checks.values()) c.seen = false;
  const valid: SampleRow[] = [];
  const errors: RowError[] = [];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as SampleRow;
    const before = errors.length;
    if (typeof row !== 'object' || row === null) {
      errors.push({ row: i, field: '*', message: 'row must be an object' });
      continue;
    }
    const ts = row.ts;
    if (typeof ts !== 'number' || !Number.isFinite(ts) || ts < TS_MIN || ts > TS_MAX) {
      errors.push({ row: i, field: 'ts', message: tsMessage(ts) });
    }
    const source = row.source;
    if (typeof source !== 'string' || source.length === 0 || source.length > SOURCE_MAX) {
      errors.push({ row: i, field: 'source', message: SOURCE_MESSAGE });
    }
    for (const key in row) {
      if (key === 'ts' || key === 'source') continue;
      const v = row[key];
      const col = checks.get(key);
      if (!col) {
        errors.push({ row: i, field: key, message: unknownMessage(entity) });
        continue;
      }
      if (v === undefined || v === null) continue;
      const problem = col.check(v);
      if (problem) errors.push({ row: i, field: key, message: problem });
      else col.seen = true;
    }
    for (const name of required) {
      const v = row[name];
      if (v === undefined || v === null || v === '') {
        errors.push({ row: i, field: name, message: REQUIRED_MESSAGE });
      }
    }
    if (errors.length === before) valid.push(row);
  }
  const present = new Set<string>();
  for (const [name, c] of checks) if (c.seen) present.add(name);
  return { valid, errors, present };
}
