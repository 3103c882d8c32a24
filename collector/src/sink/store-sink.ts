/**
 * The exporter: takes batches from the pipeline, logs each to the spool BEFORE it tries the store,
 * and writes them to the store in spool order with their original dedup tokens. A failed write
 * leaves the batch in the spool and the sink retries the head of the log with capped exponential
 * backoff; later batches wait behind it, so replay is in order. When the store answers again the
 * whole log drains.
 *
 * Why log first: a kill -9 between "insert sent" and "insert acknowledged" must not lose the batch,
 * and a replay of a batch the store did take must not double it. Logging first and replaying with
 * the same token gives both; the cost is one small file write per batch (see file-spool.ts).
 *
 * When the spool cannot take a batch (a full disk), the batch goes straight to the store with its
 * token instead of being dropped: a healthy store must not lose data to a full spool. Only when
 * both fail is the batch lost (accept rejects, and the pipeline counts it).
 */
import type { Entity } from '@meridian/catalog';
import type {
  AuxTable,
  PreparedWrite,
  RowError,
  SampleColumns,
  SampleRow,
  TableRows,
  WriteOptions,
  WriteResult,
} from '@meridian/store';
import type { Batch, Sink } from '../pipeline/types.js';
import { createMemorySpool } from '../spool/memory-spool.js';
import type { Spool, SpoolEntry } from '../spool/types.js';

/** The part of a prepared write the sink uses. */
type AheadWrite = Pick<PreparedWrite, 'write'>;

/** The part of a Store the sink needs; `Store` from @meridian/store satisfies it. */
export interface StoreTarget {
  writer(entity: Entity): {
    write(rows: readonly SampleRow[], opts?: WriteOptions): Promise<WriteResult>;
    /** The column path; a target without it is given a column batch's rows instead. */
    writeColumns?(batch: SampleColumns, opts?: WriteOptions): Promise<WriteResult>;
    /** writeColumns in two steps (see SampleWriter.prepareColumns); used to encode the next batch early. */
    prepareColumns?(batch: SampleColumns, opts?: WriteOptions): AheadWrite;
  };
  insert<T extends AuxTable>(table: T, rows: readonly TableRows[T][], opts?: WriteOptions): Promise<unknown>;
}

export interface RetryPolicy {
  /** First wait after a failed write. Default 500 ms. */
  readonly initialMs?: number;
  /** Longest wait between tries. Default 30 s. */
  readonly maxMs?: number;
  /**
   * After this many refusals of the head batch BY THE SERVER (not a transport failure), the next
   * batch is tried; if it goes in, the head is set aside as poison. Default 5.
   */
  readonly poisonAfter?: number;
}

/** An error the ClickHouse server returned (it was reachable and refused), as @clickhouse/client reports it. */
function isServerAnswer(err: unknown): boolean {
  const e = err as { code?: unknown; type?: unknown };
  return typeof e?.code === 'string' && /^\d+$/.test(e.code) && typeof e.type === 'string';
}

export interface StoreSinkEvents {
  /** A batch reached the store. `rejected` are rows (fields) the store's validation refused. */
  onWritten?(batch: Batch, written: number, rejected: readonly RowError[]): void;
  /** A write failed; the batch stays in the spool and is retried. */
  onWriteError?(err: unknown, batch: Batch, attempt: number): void;
  /** The server keeps refusing this batch while it takes the next: it was set aside (spool `rejected/`). */
  onPoison?(batch: Batch, err: unknown): void;
  /** The spool could not take this batch (e.g. ENOSPC); the sink sends it straight to the store. */
  onSpoolError?(err: unknown, batch: Batch): void;
  /**
   * Replaying the spool failed outside any store write (the spool could not be read or expired:
   * EIO, say). The batches stay where they are; the next accepted batch starts the replay again.
   */
  onReplayError?(err: unknown): void;
}

export interface StoreSinkOptions extends StoreSinkEvents {
  readonly store: StoreTarget;
  /** Where batches wait for the store. Default: a memory spool (nothing survives the process). */
  readonly spool?: Spool;
  readonly retry?: RetryPolicy;
  /** How long close() tries to drain the spool when no deadline is given. Default 5 s. */
  readonly closeDeadlineMs?: number;
}

export interface SinkStats {
  readonly batchesWritten: number;
  readonly rowsWritten: number;
  readonly rowsRejected: number;
  readonly writeErrors: number;
  /** Batches the spool could not take that went straight to the store. */
  readonly unspooledBatches: number;
  /** False from a failed write until the next successful one. */
  readonly storeUp: boolean;
  readonly lastError: string | undefined;
}

/**
 * The collector's one Sink implementation: the pipeline's Sink, spooled to disk and written to the
 * store. (Not named StoreSink: the scheduler has a class of that name for its own audit rows.)
 */
export interface SpooledStoreSink extends Sink {
  /** Resolves when the spool is empty (every accepted batch is in the store). */
  drained(): Promise<void>;
  /**
   * Resolves when at most `batches` batches wait in the spool (or the sink is closed): back-pressure
   * for a producer that outruns the store and would otherwise fill the spool to its bound, where the
   * oldest batches are dropped. Unlike drained(), the store stays busy with what is left.
   */
  backlog(batches: number): Promise<void>;
  stats(): SinkStats;
  readonly spool: Spool;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Batches kept in memory beside the spool so the happy path never reads its own files back. */
const CACHE_LIMIT = 16;

export function createStoreSink(opts: StoreSinkOptions): SpooledStoreSink {
  return new SpoolingStoreSink(opts);
}

/**
 * Writes one batch with its token: sample tables through their writers (`prepared`, when given, is
 * this batch already encoded by prepareAhead), the rest as inserts.
 */
async function writeBatch(
  store: StoreTarget,
  batch: Batch,
  prepared?: AheadWrite,
): Promise<{ written: number; rejected: readonly RowError[] }> {
  const opt = { token: batch.token };
  switch (batch.target) {
    case 'gpu':
    case 'host':
    case 'link': {
      const w = store.writer(batch.target);
      const r = prepared
        ? await prepared.write()
        : batch.columns && w.writeColumns
          ? await w.writeColumns(batch.columns, opt)
          : await w.write(batch.rows, opt);
      return { written: r.written, rejected: r.rejected };
    }
    default:
      await insertAux(store, batch);
      return { written: batch.rows.length, rejected: [] };
  }
}

/** A column batch encoded ahead of its write, or undefined where the target or batch has no such step. */
function prepareWrite(store: StoreTarget, batch: Batch): AheadWrite | undefined {
  if (!batch.columns || (batch.target !== 'gpu' && batch.target !== 'host' && batch.target !== 'link')) return;
  const w = store.writer(batch.target);
  return w.prepareColumns?.(batch.columns, { token: batch.token });
}

// A helper so TypeScript keeps the table/rows pairing of each aux batch.
function insertAux(store: StoreTarget, batch: Exclude<Batch, { target: Entity }>): Promise<unknown> {
  return store.insert(batch.target, batch.rows as never, { token: batch.token });
}

/** The sink itself (a class so that each step is a method of its own; the state is shared). */
class SpoolingStoreSink implements SpooledStoreSink {
  readonly spool: Spool;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly poisonAfter: number;
  private readonly cache = new Map<string, Batch>();
  /** The batch after the head, encoded while the head's insert runs (see prepareAhead). */
  private ahead: { key: string; write: AheadWrite } | undefined;
  /** The head while its write runs. */
  private inFlight: SpoolEntry | undefined;
  /** close() has begun: no more batches are accepted, and a failed write ends the drain instead of backing off. */
  private closed = false;
  private stopping = false;
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private waiters: (() => void)[] = [];
  private backlogWaiters: { batches: number; resolve: () => void }[] = [];
  private batchesWritten = 0;
  private rowsWritten = 0;
  private rowsRejected = 0;
  private writeErrors = 0;
  private unspooledBatches = 0;
  private storeUp = true;
  private lastError: string | undefined;

  constructor(private readonly opts: StoreSinkOptions) {
    this.spool = opts.spool ?? createMemorySpool();
    this.initialMs = opts.retry?.initialMs ?? 500;
    this.maxMs = opts.retry?.maxMs ?? 30_000;
    this.poisonAfter = opts.retry?.poisonAfter ?? 5;
    // Batches a previous run left in the spool go first.
    if (this.spool.entries().length > 0) this.kick();
  }

  async accept(batch: Batch): Promise<void> {
    if (this.closed) throw new Error('sink is closed');
    let entry: SpoolEntry;
    try {
      entry = await this.spool.append(batch);
    } catch (spoolErr) {
      this.opts.onSpoolError?.(spoolErr, batch);
      await this.writeUnspooled(batch, spoolErr);
      return;
    }
    if (this.cache.size < CACHE_LIMIT) this.cache.set(entry.key, batch);
    this.kick();
    // A producer that keeps one batch queued (the twin) hands the next one over while the head is
    // being written: encode it now, not after the head is in.
    if (this.inFlight) void this.prepareAhead(this.inFlight);
  }

  drained(): Promise<void> {
    if (this.spool.entries().length === 0) return Promise.resolve();
    this.kick();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  backlog(batches: number): Promise<void> {
    if (this.closed || this.spool.entries().length <= batches) return Promise.resolve();
    return new Promise((resolve) => this.backlogWaiters.push({ batches, resolve }));
  }

  async close(closeOpts?: { deadlineMs?: number }): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A loop waiting out a backoff tries again now: one last attempt decides whether to drain.
    this.wake?.();
    const deadline = closeOpts?.deadlineMs ?? this.opts.closeDeadlineMs ?? 5_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.drained(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, deadline);
      }),
    ]);
    clearTimeout(timer);
    // What is still in the spool stays there for the next start.
    this.stopping = true;
    this.wake?.();
    // A write still in flight may hang on a dead server until its request timeout; its batch is
    // safe in the spool either way, so give it a moment and no more.
    if (this.running) await Promise.race([this.running, new Promise((r) => setTimeout(r, 1_000).unref())]);
    await this.spool.close();
    this.settleWaiters(true);
  }

  stats(): SinkStats {
    const { batchesWritten, rowsWritten, rowsRejected, writeErrors, unspooledBatches, storeUp, lastError } = this;
    return { batchesWritten, rowsWritten, rowsRejected, writeErrors, unspooledBatches, storeUp, lastError };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private settleBacklog(force = false): void {
    if (this.backlogWaiters.length === 0) return;
    const held = this.spool.entries().length;
    const keep: { batches: number; resolve: () => void }[] = [];
    for (const w of this.backlogWaiters) {
      if (force || held <= w.batches) w.resolve();
      else keep.push(w);
    }
    this.backlogWaiters = keep;
  }

  private settleWaiters(force = false): void {
    this.settleBacklog(force);
    if (!force && this.spool.entries().length > 0) return;
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  /** The bookkeeping of a batch the store took. */
  private written(batch: Batch, r: { written: number; rejected: readonly RowError[] }): void {
    this.batchesWritten++;
    this.rowsWritten += r.written;
    this.rowsRejected += r.rejected.length;
    this.storeUp = true;
    this.opts.onWritten?.(batch, r.written, r.rejected);
  }

  /** Writes a batch and forgets it from the spool. */
  private async deliver(entry: SpoolEntry, batch: Batch): Promise<void> {
    // A prepared write is used once: a retry encodes the batch again, as it always did.
    const prepared = this.ahead?.key === entry.key ? this.ahead.write : undefined;
    if (prepared) this.ahead = undefined;
    const r = await writeBatch(this.opts.store, batch, prepared);
    await this.spool.ack(entry);
    this.cache.delete(entry.key);
    this.written(batch, r);
    this.settleBacklog();
  }

  /**
   * The head keeps failing with an error the server itself returned. If the next batch goes in,
   * the server is fine and the head is poison (say, rows a changed schema refuses): set it aside so
   * it does not block the log forever. If the next one fails too, the server is in trouble (read
   * only, too many parts...) and everything waits, as in any outage.
   */
  private async isolatePoison(head: SpoolEntry, headBatch: Batch, err: unknown): Promise<boolean> {
    const next = this.spool.entries()[1];
    if (!next) return false;
    const nextBatch = this.cache.get(next.key) ?? (await this.spool.read(next));
    if (!nextBatch) return false;
    try {
      await this.deliver(next, nextBatch);
    } catch {
      return false;
    }
    // The server takes batches now. Try the head once more, so that a server that recovered between
    // the head's last refusal and this moment does not get a good batch set aside.
    try {
      await this.deliver(head, headBatch);
      return true;
    } catch (again) {
      if (!isServerAnswer(again)) return false;
      err = again;
    }
    await this.spool.reject(head);
    this.cache.delete(head.key);
    this.opts.onPoison?.(headBatch, err);
    return true;
  }

  private async loop(): Promise<void> {
    let backoff = this.initialMs;
    let attempt = 0;
    while (!this.stopping) {
      await this.spool.expire();
      const head: SpoolEntry | undefined = this.spool.entries()[0];
      if (!head) break;
      const batch = this.cache.get(head.key) ?? (await this.spool.read(head));
      if (!batch) {
        // Corrupt (quarantined by the spool) or dropped by a bound while we looked.
        this.cache.delete(head.key);
        continue;
      }
      attempt++;
      this.inFlight = head;
      const delivering = this.deliver(head, batch);
      const ahead = this.prepareAhead(head);
      try {
        await delivering;
        backoff = this.initialMs;
        attempt = 0;
      } catch (err) {
        this.writeErrors++;
        this.storeUp = false;
        this.lastError = message(err);
        this.opts.onWriteError?.(err, batch, attempt);
        if (isServerAnswer(err) && attempt >= this.poisonAfter && (await this.isolatePoison(head, batch, err))) {
          backoff = this.initialMs;
          attempt = 0;
          continue;
        }
        // Shutting down and the store still fails: the batches are safe in the spool, so stop
        // here rather than hold the process until the drain deadline against a store that is down.
        if (this.closed) {
          this.settleWaiters(true);
          break;
        }
        // While the store is away, keep only the head in memory: the log on disk holds the rest.
        for (const k of this.cache.keys()) if (k !== head.key) this.cache.delete(k);
        this.ahead = undefined;
        // Jitter, so that a fleet of collectors does not return to a recovering server in step.
        await this.sleep(backoff * (0.8 + 0.4 * Math.random()));
        backoff = Math.min(backoff * 2, this.maxMs);
      } finally {
        this.inFlight = undefined;
        await ahead;
      }
    }
    this.settleWaiters();
  }

  /**
   * Encodes the batch after `head` while the head's insert runs: the engine inserts on its own
   * threads, so the writer's encoding (most of its own time on a large batch) no longer waits for
   * it. Only a batch already in memory, and only its encoding: its increases are derived when it is
   * written, after the head (see SampleWriter.prepareColumns). Never rejects: a batch that cannot
   * be prepared is simply written the ordinary way, which reports what is wrong with it.
   */
  private async prepareAhead(head: SpoolEntry): Promise<void> {
    // The store's steps up to handing the head to the engine are promise continuations: they run
    // before this, so the encoding below overlaps the insert instead of delaying it.
    await new Promise((resolve) => setImmediate(resolve));
    const next = this.spool.entries()[1];
    if (!next || this.stopping || this.spool.entries()[0]?.key !== head.key || this.ahead?.key === next.key) return;
    const batch = this.cache.get(next.key);
    if (!batch) return;
    try {
      const write = prepareWrite(this.opts.store, batch);
      if (write) this.ahead = { key: next.key, write };
    } catch {
      this.ahead = undefined;
    }
  }

  /**
   * The spool refused the batch: write it now, with its token, bypassing the log. It may land
   * before batches still waiting in the spool; the tokens keep that from doubling anything.
   */
  private async writeUnspooled(batch: Batch, spoolErr: unknown): Promise<void> {
    let r: { written: number; rejected: readonly RowError[] };
    try {
      r = await writeBatch(this.opts.store, batch);
    } catch (storeErr) {
      this.writeErrors++;
      this.storeUp = false;
      this.lastError = message(storeErr);
      throw new Error(`not spooled (${message(spoolErr)}) and the store write failed (${message(storeErr)})`, {
        cause: storeErr,
      });
    }
    this.unspooledBatches++;
    this.written(batch, r);
  }

  private kick(): void {
    if (this.running || this.stopping) return;
    let failed = false;
    this.running = this.loop()
      .catch((err: unknown) => {
        // Never an unhandled rejection: reported, and retried from the next accept (not at once,
        // which would spin against a disk that keeps failing).
        failed = true;
        this.lastError = message(err);
        this.opts.onReplayError?.(err);
      })
      .finally(() => {
        this.running = undefined;
        // A batch accepted while the loop was finishing would otherwise wait for the next accept.
        // (Not once closed: the loop only ends then because the store failed, and retrying at once
        // would spin against it.)
        if (!failed && !this.stopping && !this.closed && this.spool.entries().length > 0) this.kick();
      });
  }
}
