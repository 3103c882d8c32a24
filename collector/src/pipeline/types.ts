/**
 * The pipeline's vocabulary, shaped after the OpenTelemetry Collector: receivers (the sources) push
 * rows, processors rewrite them, and the batcher cuts them into batches that an exporter (the sink)
 * takes. Everything here is plain data so that the twin (sim/) and the agent share one shape.
 */
import type { Entity } from '@meridian/catalog';
import type { AuxTable, SampleColumns, SampleRow, TableRows } from '@meridian/store';

/** Where rows go: a wide sample table (by entity) or one of the store's aux tables. */
export type Target = Entity | AuxTable;

/** The row type each target takes. */
export type RowOf<T extends Target> = T extends Entity ? SampleRow : T extends AuxTable ? TableRows[T] : never;

/** A batch bound for one target. `token` is its insert_deduplication_token, fixed for life. */
export interface BatchOf<T extends Target> {
  readonly target: T;
  /** Position in the pipeline run that cut it; increases by one per batch across all targets. */
  readonly seq: number;
  readonly token: string;
  /** Epoch milliseconds when the batch was cut. */
  readonly createdAt: number;
  readonly rows: readonly RowOf<T>[];
  /**
   * A sample target's batch that was pushed as columns (pushColumns) carries them here: the sink
   * writes them as they are and the spools keep them so. Its `rows` are then built from the columns
   * on first read, for a reader that wants row objects; the pipeline, sink and spools never do.
   */
  readonly columns?: T extends Entity ? SampleColumns : never;
}

/** Any batch: a union over the targets so that `batch.target` narrows `batch.rows`. */
export type Batch = { [T in Target]: BatchOf<T> }[Target];

/**
 * The exporter end. `accept` resolves once the batch is durable: in the store, or in the spool from
 * which the sink will replay it. It rejects only when the batch could be kept nowhere.
 */
export interface Sink {
  accept(batch: Batch): Promise<void>;
  /** Tries to deliver what is pending until `deadlineMs` has passed, then lets go. */
  close(opts?: { deadlineMs?: number }): Promise<void>;
}

/**
 * A processor rewrites (or drops, by returning []) the rows pushed to one target. One that also
 * rewrites a column batch (pushColumns) implements `processColumns`; a pipeline refuses columns
 * when one of its processors cannot take them.
 */
export interface Processor {
  readonly name: string;
  process<T extends Target>(target: T, rows: readonly RowOf<T>[]): readonly RowOf<T>[];
  processColumns?(entity: Entity, columns: SampleColumns): SampleColumns;
}

/**
 * Wraps one unit of work for tracing. The pipeline calls it around every flush; the agent passes
 * one that opens an OpenTelemetry span, and tests pass nothing.
 */
export type Instrument = <R>(
  name: string,
  attributes: Record<string, string | number>,
  work: () => Promise<R>,
) => Promise<R>;

export interface TargetStats {
  rowsIn: number;
  rowsFlushed: number;
  batches: number;
  pendingRows: number;
}

export interface PipelineStats {
  readonly targets: Partial<Record<Target, TargetStats>>;
  /** Batches the sink refused (it could neither write nor spool them): their rows are lost. */
  readonly failedBatches: number;
  readonly failedRows: number;
  readonly flushes: number;
  readonly lastFlushAt: number | undefined;
}
