import type { Batch, Target } from '../pipeline/types.js';

/** What the spool knows about a batch without reading it back. */
export interface SpoolEntry {
  /** Unique, and ordered the way batches must be replayed. */
  readonly key: string;
  readonly target: Target;
  readonly rows: number;
  readonly bytes: number;
  readonly createdAt: number;
}

export interface SpoolDrop {
  /** bytes/age: past a bound; corrupt: unreadable file; rejected: the store refuses this batch (poison). */
  readonly reason: 'bytes' | 'age' | 'corrupt' | 'rejected';
  readonly entry: SpoolEntry;
  /** For a corrupt batch: the file (its path) and what is wrong with it. */
  readonly error?: string;
}

export interface SpoolStats {
  readonly batches: number;
  readonly rows: number;
  readonly bytes: number;
  readonly droppedBatches: number;
  readonly droppedRows: number;
}

/**
 * A write-ahead log of batches. `append` makes a batch durable (as far as the spool promises),
 * `read` gives it back with its original token, `ack` forgets it once the store has it.
 * Past its bounds a spool drops its OLDEST batches first and reports each drop.
 */
export interface Spool {
  append(batch: Batch): Promise<SpoolEntry>;
  read(entry: SpoolEntry): Promise<Batch | undefined>;
  ack(entry: SpoolEntry): Promise<void>;
  /** Batches held, oldest first. */
  entries(): readonly SpoolEntry[];
  /** Sets a batch the store keeps refusing aside (kept for a human, out of the replay path). */
  reject(entry: SpoolEntry): Promise<void>;
  /** Drops batches older than the age bound; returns what was dropped. */
  expire(now?: number): Promise<SpoolDrop[]>;
  stats(): SpoolStats;
  close(): Promise<void>;
}

export interface SpoolBounds {
  /** Bytes the spool may hold. Default 256 MiB. */
  readonly maxBytes?: number;
  /** Oldest batch it keeps, in ms. Default 24 h. */
  readonly maxAgeMs?: number;
  /** Told about every batch the spool drops. */
  readonly onDrop?: (drop: SpoolDrop) => void;
  readonly now?: () => number;
}
