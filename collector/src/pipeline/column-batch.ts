/**
 * Batches of a sample target that travel as columns (the twin's path): their `rows` are built only
 * if someone asks, so the sink and spools, which take the columns, never pay for row objects.
 */
import type { Entity } from '@meridian/catalog';
import { columnsToRows, type SampleColumns, type SampleRow } from '@meridian/store';
import type { Batch } from './types.js';

export interface BatchHead {
  readonly target: Entity;
  readonly seq: number;
  readonly token: string;
  readonly createdAt: number;
}

/** A batch carrying `columns`, with `rows` built from them on first read (not enumerable). */
export function columnBatch(head: BatchHead, columns: SampleColumns): Batch {
  const batch = { ...head, columns } as { rows?: readonly SampleRow[] };
  let rows: readonly SampleRow[] | undefined;
  Object.defineProperty(batch, 'rows', {
    enumerable: false,
    get: () => (rows ??= columnsToRows(columns)),
  });
  return batch as Batch;
}

/** How many rows a batch holds, without building rows for a column batch. */
export function batchRowCount(batch: Batch): number {
  return batch.columns ? batch.columns.rows : batch.rows.length;
}
