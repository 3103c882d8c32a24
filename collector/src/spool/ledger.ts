/**
 * The bookkeeping both spools share: an ordered list of entries, their totals, and the rule that
 * past a bound the OLDEST batches go first (newer data is worth more to an operator than older).
 */
import type { SpoolBounds, SpoolDrop, SpoolEntry, SpoolStats } from './types.js';

export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
export const DEFAULT_MAX_AGE_MS = 24 * 3600 * 1000;

export class SpoolLedger {
  readonly maxBytes: number;
  readonly maxAgeMs: number;
  private readonly list: SpoolEntry[] = [];
  private bytes = 0;
  private rows = 0;
  private droppedBatches = 0;
  private droppedRows = 0;

  constructor(private readonly bounds: SpoolBounds) {
    this.maxBytes = bounds.maxBytes ?? DEFAULT_MAX_BYTES;
    this.maxAgeMs = bounds.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    if (!(this.maxBytes > 0)) throw new RangeError(`spool maxBytes must be > 0, got ${this.maxBytes}`);
    if (!(this.maxAgeMs > 0)) throw new RangeError(`spool maxAgeMs must be > 0, got ${this.maxAgeMs}`);
  }

  now(): number {
    return (this.bounds.now ?? Date.now)();
  }

  add(entry: SpoolEntry): void {
    this.list.push(entry);
    this.bytes += entry.bytes;
    this.rows += entry.rows;
  }

  /** Forgets an entry; false if it was not held (already acked or dropped). */
  remove(entry: SpoolEntry): boolean {
    const i = this.list.findIndex((e) => e.key === entry.key);
    if (i < 0) return false;
    this.list.splice(i, 1);
    this.bytes -= entry.bytes;
    this.rows -= entry.rows;
    return true;
  }

  /** The entries to drop, oldest first, so that `incoming` more bytes fit. Throws if they never can. */
  victimsForBytes(incoming: number): SpoolEntry[] {
    if (incoming > this.maxBytes) {
      throw new RangeError(`batch of ${incoming} bytes exceeds the spool's bound of ${this.maxBytes} bytes`);
    }
    const out: SpoolEntry[] = [];
    let bytes = this.bytes;
    for (const e of this.list) {
      if (bytes + incoming <= this.maxBytes) break;
      out.push(e);
      bytes -= e.bytes;
    }
    return out;
  }

  victimsForAge(now: number): SpoolEntry[] {
    return this.list.filter((e) => now - e.createdAt > this.maxAgeMs);
  }

  /** Records a drop (the caller has already removed the data) and tells the owner. */
  dropped(drop: SpoolDrop): void {
    if (!this.remove(drop.entry)) return;
    this.droppedBatches++;
    this.droppedRows += drop.entry.rows;
    this.bounds.onDrop?.(drop);
  }

  entries(): readonly SpoolEntry[] {
    return this.list;
  }

  stats(): SpoolStats {
    return {
      batches: this.list.length,
      rows: this.rows,
      bytes: this.bytes,
      droppedBatches: this.droppedBatches,
      droppedRows: this.droppedRows,
    };
  }
}
