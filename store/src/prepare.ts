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
import type { RowOrder } from './gather.js';
import { seriesOrder } from './order.js';
import type { RowError } from './types.js';

export interface PreparedBatch {
  /** The validated rows, as they came. */
  readonly batch: SampleColumns;
  readonly series: SeriesSlots;
  /** The block's row order (series order), or null when the rows already are in it. */
  readonly order: RowOrder;
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
  const series = tracker.seriesOf(valid);
  const order = seriesOrder(series);
  const base = encodeBase(entity, valid, alloc, order);
  return {
    batch: valid,
    series,
    order,
    base,
    errors,
    token: token ?? `sha1:${createHash('sha1').update(blockIdentity(base)).digest('hex')}`,
  };
}
