import type { Entity } from '@meridian/catalog';
import type { SampleColumns } from './columns.js';

/** Where the store lives: embedded chDB in a directory (the default) or a ClickHouse server. */
export interface StoreOptions {
  /** Data directory for the embedded store. Default: $MERIDIAN_DATA or ./data. */
  readonly data?: string;
  /** ClickHouse server URL, e.g. http://ch:8123. Default: $MERIDIAN_CLICKHOUSE_URL. Wins over `data`. */
  readonly clickhouse?: string;
  readonly database?: string;
  readonly user?: string;
  /** Never logged. Default: $MERIDIAN_CLICKHOUSE_PASSWORD, or the file named by $MERIDIAN_CLICKHOUSE_PASSWORD_FILE. */
  readonly password?: string;
  /** PEM file of the CA that signed the server's certificate. */
  readonly tlsCaFile?: string;
  readonly requestTimeoutMs?: number;
  /** Attempts for a write whose transport failed (same token each time, so it lands once). Default 3. */
  readonly writeAttempts?: number;
  /**
   * Fault injection for tests and chaos drills: wraps the ClickHouse connection, e.g. to lose the
   * reply to an insert the engine has already committed.
   */
  readonly wrapConnection?: <C extends object>(connection: C) => C;
}

/** A value in a sample row. `undefined`/`null` means absent (N/A) and is stored as NULL. */
export type SampleValue = number | string | null | undefined;

/**
 * One wide row for `gpu_samples`, `host_samples` or `link_samples`: `ts` (epoch milliseconds, UTC),
 * `source` (see SOURCES in the catalog), the entity's labels, and any of its catalog metrics by name.
 */
export interface SampleRow {
  ts: number;
  source: string;
  [column: string]: SampleValue;
}

/** Why one row (or one field of it) was refused. `row` is the row's index in the batch given. */
export interface RowError {
  readonly row: number;
  readonly field: string;
  readonly message: string;
}

export interface WriteResult {
  /** Rows that reached the store. */
  readonly written: number;
  /** Rows refused by validation; the rest of the batch is kept. */
  readonly rejected: readonly RowError[];
  /** The insert_deduplication_token the batch carried. */
  readonly token: string;
}

export interface WriteOptions {
  /**
   * Deduplication token. A retry with the same token and the same rows lands once. Default: a
   * content hash of the batch, so an identical retry dedups even when the caller did not set one.
   */
  readonly token?: string;
}

export interface SampleWriter {
  readonly entity: Entity;
  readonly table: string;
  /** Writes rows (objects); validated row by row, then written as columns. */
  write(rows: readonly SampleRow[], opts?: WriteOptions): Promise<WriteResult>;
  /**
   * Writes a column batch (typed arrays, dictionary-encoded strings): the fast path, for callers
   * that hold columns (the twin, benches). Same validation messages, dedup and increases as write();
   * `rejected[].row` indexes the batch's rows.
   */
  writeColumns(batch: SampleColumns, opts?: WriteOptions): Promise<WriteResult>;
  /**
   * writeColumns in two steps, for a caller with a queue of batches: this one validates, orders
   * and encodes the batch now (synchronously; a malformed batch throws here), and the returned
   * write() derives its increases and inserts it. Prepare the next batch while the engine inserts
   * this one, and call its write() once this one's has settled: increases are derived from the
   * batches written before, so the writes of one writer must not overlap.
   */
  prepareColumns(batch: SampleColumns, opts?: WriteOptions): PreparedWrite;
}

/** A batch validated and encoded, waiting for its turn (see SampleWriter.prepareColumns). */
export interface PreparedWrite {
  /** Rows that will be written: those validation kept. */
  readonly rows: number;
  /**
   * Derives the increases from what the writer has written so far, then inserts. May be called
   * again after a failure (with the same token, so it lands once); not while a call is running.
   * After a success, a call answers that result and inserts nothing.
   */
  write(): Promise<WriteResult>;
}

export interface MigrationResult {
  readonly applied: readonly string[];
  readonly skipped: readonly string[];
}

/** Bound query parameters: `{name:Type}` in the SQL, values here. Never interpolated. */
export type QueryParams = Record<string, unknown>;
