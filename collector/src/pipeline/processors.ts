/** Processors that ship with the pipeline. Each is a pure function of the rows it is given. */
import type { Entity } from '@meridian/catalog';
import { constantColumn, isStringColumn, type SampleColumn, type SampleColumns } from '@meridian/store';
import type { Processor, RowOf, Target } from './types.js';

/**
 * Sets labels that a source does not know, such as the collector's region, on every row of the
 * sample targets (gpu, host, link) where the row lacks them. A source's own value always wins.
 */
export function withLabels(
  labels: Readonly<Record<string, string>>,
  targets: readonly Target[] = ['gpu', 'host', 'link'],
): Processor {
  const entries = Object.entries(labels);
  const applies = new Set<Target>(targets);
  const complete = (row: unknown): boolean => {
    const r = row as Record<string, unknown>;
    return entries.every(([k]) => r[k] !== undefined && r[k] !== '');
  };
  return {
    name: 'labels',
    process<T extends Target>(target: T, rows: readonly RowOf<T>[]): readonly RowOf<T>[] {
      if (!applies.has(target) || entries.length === 0) return rows;
      // Sources usually set these labels themselves: hand the same array back, copying nothing,
      // unless some row lacks one.
      if (rows.every(complete)) return rows;
      return rows.map((row) => {
        if (complete(row)) return row;
        const out: Record<string, unknown> = { ...(row as Record<string, unknown>) };
        for (const [k, v] of entries) if (out[k] === undefined || out[k] === '') out[k] = v;
        return out as RowOf<T>;
      });
    },
    // The same on a column batch: a label column it lacks becomes a constant one, and '' in a label's
    // dictionary becomes the value (one entry, not one row, changed).
    processColumns(entity: Entity, batch: SampleColumns): SampleColumns {
      if (!applies.has(entity) || entries.length === 0) return batch;
      let columns: Record<string, SampleColumn> | undefined;
      for (const [k, v] of entries) {
        const c = batch.columns[k];
        if (c === undefined) (columns ??= { ...batch.columns })[k] = constantColumn(v, batch.rows);
        else if (isStringColumn(c) && c.dict.includes(''))
          (columns ??= { ...batch.columns })[k] = { dict: c.dict.map((s) => (s === '' ? v : s)), codes: c.codes };
      }
      return columns ? { ...batch, columns } : batch;
    },
  };
}
