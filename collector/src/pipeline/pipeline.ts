/**
 * The batcher: rows pushed per target are buffered, and cut into a batch when the buffer reaches
 * `maxRows` or when `flushIntervalMs` has passed, whichever comes first (the OTel Collector's batch
 * processor, with send_batch_size and timeout). Batches reach the sink one at a time, in `seq`
 * order, so the sink's write-ahead log is ordered too.
 *
 * A sample target (gpu, host, link) may also be fed columns (pushColumns): the parts are buffered as
 * they come, cut at exactly `maxRows` rows like rows are, and joined into one column batch at the
 * cut. A target's rows and columns never share a batch: pushing one kind cuts what the other has
 * pending first, so the order of what was pushed is the order of the batches.
 */
import { hostname } from 'node:os';
import { ENTITIES, type Entity } from '@meridian/catalog';
import { concatColumns, sliceColumns, type SampleColumns } from '@meridian/store';
import { batchRowCount, columnBatch } from './column-batch.js';
import type { Batch, Instrument, PipelineStats, Processor, RowOf, Sink, Target, TargetStats } from './types.js';

export interface PipelineOptions {
  readonly sink: Sink;
  /** A target's buffer is cut into a batch as soon as it holds this many rows. Default 10,000. */
  readonly maxRows?: number;
  /** Every buffer is cut at least this often. Default 10 s. 0 turns the timer off (flush() by hand). */
  readonly flushIntervalMs?: number;
  /** First part of every dedup token; unique per collector. Default: the host name. */
  readonly collectorId?: string;
  /**
   * Second part of every token; unique per process start, so that a restarted collector, whose
   * `seq` starts again at 0, never reuses a token the store has already seen. Default: the start
   * time in base 36.
   */
  readonly runId?: string;
  readonly processors?: readonly Processor[];
  readonly instrument?: Instrument;
  /** Called when the sink refuses a batch (its rows are lost). Default: log to stderr. */
  readonly onSinkError?: (err: unknown, batch: Batch) => void;
  readonly now?: () => number;
}

export interface Pipeline {
  /** Buffers rows for a target. Never blocks and never throws because of the sink. */
  push<T extends Target>(target: T, rows: readonly RowOf<T>[]): void;
  /**
   * Buffers a column batch for a sample target (the twin's path: no row objects). The pipeline
   * keeps the parts as they are until a cut; the caller must not change them afterwards.
   */
  pushColumns(entity: Entity, columns: SampleColumns): void;
  /**
   * Registers `drain`, run at the start of every flush (the timer's, flush()'s and close()'s)
   * before any buffer is cut. A source that holds what it has read hands it over there, so its rows
   * reach the batch they would have reached pushed as read. `drain` must not throw. Returns the
   * function that removes it.
   */
  beforeCut(drain: () => void): () => void;
  /** Runs the drains, cuts every non-empty buffer and resolves when the sink has taken all batches. */
  flush(): Promise<void>;
  /** Stops the timer, flushes, and closes the sink. Pushing after close throws. */
  close(opts?: { deadlineMs?: number }): Promise<void>;
  stats(): PipelineStats;
}

const passThrough: Instrument = (_name, _attrs, work) => work();

export function createPipeline(opts: PipelineOptions): Pipeline {
  const maxRows = opts.maxRows ?? 10_000;
  const flushIntervalMs = opts.flushIntervalMs ?? 10_000;
  if (!Number.isInteger(maxRows) || maxRows < 1)
    throw new RangeError(`maxRows must be a positive integer, got ${maxRows}`);
  if (!(flushIntervalMs >= 0)) throw new RangeError(`flushIntervalMs must be >= 0, got ${flushIntervalMs}`);
  const collectorId = opts.collectorId ?? hostname();
  const now = opts.now ?? Date.now;
  const runId = opts.runId ?? now().toString(36);
  const processors = opts.processors ?? [];
  const instrument = opts.instrument ?? passThrough;
  const onSinkError =
    opts.onSinkError ??
    ((err: unknown, batch: Batch) =>
      console.error(`meridian collector: lost batch ${batch.token} (${batchRowCount(batch)} rows): ${String(err)}`));

  const drains = new Set<() => void>();
  const buffers = new Map<Target, unknown[]>();
  const columnBuffers = new Map<Entity, { parts: SampleColumns[]; rows: number }>();
  const perTarget: Partial<Record<Target, TargetStats>> = {};
  let seq = 0;
  let closed = false;
  let failedBatches = 0;
  let failedRows = 0;
  let flushes = 0;
  let lastFlushAt: number | undefined;
  // Batches go to the sink strictly one after another; this is the tail of that chain.
  let delivery: Promise<void> = Promise.resolve();

  const statsFor = (target: Target): TargetStats =>
    (perTarget[target] ??= { rowsIn: 0, rowsFlushed: 0, batches: 0, pendingRows: 0 });

  /** Hands a cut batch to the sink, behind every batch cut before it. */
  function deliver(target: Target, batch: Batch, rows: number): void {
    const st = statsFor(target);
    st.pendingRows -= rows;
    delivery = delivery.then(() =>
      instrument('meridian.flush.batch', { target, rows, seq: batch.seq }, () => opts.sink.accept(batch)).then(
        () => {
          st.rowsFlushed += rows;
          st.batches++;
        },
        (err: unknown) => {
          failedBatches++;
          failedRows += rows;
          onSinkError(err, batch);
        },
      ),
    );
  }

  function head(target: Target): { seq: number; token: string; createdAt: number } {
    const s = seq++;
    return { seq: s, token: `${collectorId}:${runId}:${target}:${s}`, createdAt: now() };
  }

  function cut(target: Target): void {
    cutColumns(target);
    const rows = buffers.get(target);
    if (!rows || rows.length === 0) return;
    buffers.set(target, []);
    deliver(target, { target, ...head(target), rows } as Batch, rows.length);
  }

  function cutColumns(target: Target): void {
    const buf = columnBuffers.get(target as Entity);
    if (!buf || buf.rows === 0) return;
    columnBuffers.delete(target as Entity);
    const entity = target as Entity;
    deliver(entity, columnBatch({ target: entity, ...head(entity) }, concatColumns(buf.parts)), buf.rows);
  }

  function push<T extends Target>(target: T, rows: readonly RowOf<T>[]): void {
    if (closed) throw new Error('pipeline is closed');
    let out = rows;
    for (const p of processors) out = p.process(target, out);
    if (out.length === 0) return;
    const st = statsFor(target);
    st.rowsIn += out.length;
    st.pendingRows += out.length;
    // Columns pushed before these rows go first, in a batch of their own.
    cutColumns(target);
    let buf = buffers.get(target);
    if (!buf) buffers.set(target, (buf = []));
    for (const row of out) {
      buf.push(row);
      if (buf.length >= maxRows) {
        cut(target);
        buf = buffers.get(target) ?? [];
      }
    }
  }

  function pushColumns(entity: Entity, columns: SampleColumns): void {
    if (closed) throw new Error('pipeline is closed');
    if (!ENTITIES.includes(entity))
      throw new Error(`pushColumns: "${String(entity)}" is not a sample target (${ENTITIES.join(', ')})`);
    let out = columns;
    for (const p of processors) {
      if (!p.processColumns) throw new Error(`pushColumns: processor "${p.name}" takes rows only, not columns`);
      out = p.processColumns(entity, out);
    }
    const n = out.rows;
    if (n === 0) return;
    const st = statsFor(entity);
    st.rowsIn += n;
    st.pendingRows += n;
    // Rows pushed before these columns go first, in a batch of their own.
    if (buffers.get(entity)?.length) cut(entity);
    let start = 0;
    while (start < n) {
      let buf = columnBuffers.get(entity);
      if (!buf) columnBuffers.set(entity, (buf = { parts: [], rows: 0 }));
      const take = Math.min(maxRows - buf.rows, n - start);
      buf.parts.push(start === 0 && take === n ? out : sliceColumns(out, start, start + take));
      buf.rows += take;
      start += take;
      if (buf.rows >= maxRows) cutColumns(entity);
    }
  }

  function runDrains(): void {
    for (const drain of [...drains]) {
      try {
        drain();
      } catch (err) {
        // A source's fault must not cost everyone else's flush.
        console.error(`meridian collector: a source failed to hand over its rows: ${String(err)}`);
      }
    }
  }

  async function flush(): Promise<void> {
    if (!closed) runDrains();
    let pending = [...buffers.values()].reduce((n, b) => n + b.length, 0);
    for (const b of columnBuffers.values()) pending += b.rows;
    await instrument('meridian.flush', { rows: pending }, async () => {
      for (const target of buffers.keys()) cut(target);
      for (const target of [...columnBuffers.keys()]) cutColumns(target);
      await delivery;
    });
    flushes++;
    lastFlushAt = now();
  }

  let timer: NodeJS.Timeout | undefined;
  if (flushIntervalMs > 0) {
    timer = setInterval(() => void flush(), flushIntervalMs);
    // The timer alone must not keep a process alive that has nothing else to do.
    timer.unref();
  }

  return {
    push,
    pushColumns,
    beforeCut(drain) {
      drains.add(drain);
      return () => drains.delete(drain);
    },
    flush,
    async close(closeOpts) {
      if (closed) return;
      runDrains();
      closed = true;
      if (timer) clearInterval(timer);
      await flush();
      await opts.sink.close(closeOpts);
    },
    stats() {
      const targets: Partial<Record<Target, TargetStats>> = {};
      for (const [k, v] of Object.entries(perTarget) as [Target, TargetStats][]) targets[k] = { ...v };
      return { targets, failedBatches, failedRows, flushes, lastFlushAt };
    },
  };
}
