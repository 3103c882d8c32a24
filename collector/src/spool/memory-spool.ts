/**
 * A spool in memory, for the all-in-one (the twin writes to an embedded store in the same process,
 * so a disk log would protect nothing a crash does not take with it). Same bounds and drop rule as
 * the file spool; its byte count is an estimate, since measuring real object sizes would cost more
 * than the batches do.
 */
import { isStringColumn, type SampleColumns } from '@meridian/store';
import { batchRowCount } from '../pipeline/column-batch.js';
import type { Batch } from '../pipeline/types.js';
import { SpoolLedger } from './ledger.js';
import type { Spool, SpoolBounds, SpoolDrop, SpoolEntry } from './types.js';

/** Rough bytes per value held in a JS object: the number plus its share of the row's hidden class. */
const BYTES_PER_VALUE = 16;

/** A column batch's size is known: its arrays' bytes (a dictionary shared between batches is not counted). */
function columnBytes(c: SampleColumns): number {
  let bytes = c.ts.byteLength + (typeof c.source === 'string' ? 0 : c.source.codes.byteLength);
  for (const col of Object.values(c.columns))
    bytes += isStringColumn(col) ? col.codes.byteLength : col.values.byteLength + (col.nulls?.byteLength ?? 0);
  return bytes;
}

function batchBytes(batch: Batch): number {
  if (batch.columns) return Math.max(1, columnBytes(batch.columns));
  const first = batch.rows[0];
  return Math.max(1, batch.rows.length * (first ? Object.keys(first).length : 1) * BYTES_PER_VALUE);
}

export function createMemorySpool(bounds: SpoolBounds = {}): Spool {
  const ledger = new SpoolLedger(bounds);
  const held = new Map<string, Batch>();
  let counter = 0;

  return {
    async append(batch) {
      const bytes = batchBytes(batch);
      for (const victim of ledger.victimsForBytes(bytes)) {
        held.delete(victim.key);
        ledger.dropped({ reason: 'bytes', entry: victim });
      }
      const entry: SpoolEntry = {
        key: String(counter++).padStart(12, '0'),
        target: batch.target,
        rows: batchRowCount(batch),
        bytes,
        createdAt: batch.createdAt,
      };
      held.set(entry.key, batch);
      ledger.add(entry);
      return entry;
    },
    async read(entry) {
      return held.get(entry.key);
    },
    async ack(entry) {
      held.delete(entry.key);
      ledger.remove(entry);
    },
    async reject(entry) {
      held.delete(entry.key);
      ledger.dropped({ reason: 'rejected', entry });
    },
    entries: () => ledger.entries(),
    async expire(now = ledger.now()) {
      const drops: SpoolDrop[] = ledger.victimsForAge(now).map((entry) => ({ reason: 'age', entry }));
      for (const d of drops) {
        held.delete(d.entry.key);
        ledger.dropped(d);
      }
      return drops;
    },
    stats: () => ledger.stats(),
    async close() {},
  };
}
