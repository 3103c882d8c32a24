/**
 * A sample batch made ready for the engine, all but the part that depends on earlier batches:
 * validated, put in series order and encoded. What is left (the counter increases and
 * first-in-bucket flags, which need the previous batch to be in) is the writer's, at write time.
 *
 * The split lets a caller with a queue of batches (the collector's sink, the twin) encode the next
 * batch while the engine inserts the previous one: the engine works on its own threads, so the
 * encoding, which is most of the writer's own time, is then off the critical path.
 */
import { createHash } from 'node:crypto';
import type { Entity } from '@meridian/catalog';
import type { SampleColumns } from './columns.js';
import type { IncreaseTracker, SeriesSlots } from './increments.js';
import { blockIdentity, encodeBase, type BaseBlock } from './native.js';
import { reorder, seriesOrder } from './order.js';
import type { RowError } from './types.js';

export interface PreparedBatch {
  /** The validated rows, in series order. */
  readonly batch: SampleColumns;
  readonly series: SeriesSlots;
  readonly base: BaseBlock;
  /** Rows validation refused (indexes into the batch as given). */
  readonly errors: readonly RowError[];
  /** The given deduplication token, or a hash of the rows' own columns. */
  readonly token: string;
}

export function prepareBatch(
  entity: Entity,
  tracker: IncreaseTracker,
  valid: SampleColumns,
  errors: readonly RowError[],
  token: string | undefined,
  alloc?: (size: number) => Buffer,
): PreparedBatch {
  let batch = valid;
  let series = tracker.seriesOf(batch);
  const order = seriesOrder(series);
  if (order) ({ batch, series } = reorder(batch, series, order));
  const base = encodeBase(entity, batch, alloc);
  return {
    batch,
    series,
    base,
    errors,
    token: token ?? `sha1:${createHash('sha1').update(blockIdentity(base)).digest('hex')}`,
  };
}
