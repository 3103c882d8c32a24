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
import type { AuxTable, RowError, SampleRow, TableRows, WriteOptions, WriteResult } from '@meridian/store';
import type { Batch, Sink } from '../pipeline/types.js';
import { createMemorySpool } from '../spool/memory-spool.js';
import type { Spool, SpoolEntry } from '../spool/types.js';

/** The part of a Store the sink needs; `Store` from @meridian/store satisfies it. */
export interface StoreTarget {
  writer(entity: Entity): { write(rows: readonly SampleRow[], opts?: WriteOptions): Promise<WriteResult> };
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
  stats(): SinkStats;
  readonly spool: Spool;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Batches kept in memory beside the spool so the happy path never reads its own files back. */
const CACHE_LIMIT = 16;

export function createStoreSink(opts: StoreSinkOptions): SpooledStoreSink {
  const spool = opts.spool ?? createMemorySpool();
  const initialMs = opts.retry?.initialMs ?? 500;
  const maxMs = opts.retry?.maxMs ?? 30_000;
  const poisonAfter = opts.retry?.poisonAfter ?? 5;
  const cache = new Map<string, Batch>();
  /** close() has begun: no more batches are accepted, and a failed write ends the drain instead of backing off. */
  let closed = false;
  let stopping = false;
  let running: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let waiters: (() => void)[] = [];
  let batchesWritten = 0;
  let rowsWritten = 0;
  let rowsRejected = 0;
  let writeErrors = 0;
  let unspooledBatches = 0;
  let storeUp = true;
  let lastError: string | undefined;

  async function write(batch: Batch): Promise<{ written: number; rejected: readonly RowError[] }> {
    const opt = { token: batch.token };
    switch (batch.target) {
      case 'gpu':
      case 'host':
      case 'link': {
        const r = await opts.store.writer(batch.target).write(batch.rows, opt);
        return { written: r.written, rejected: r.rejected };
      }
      default:
        await insertAux(batch);
        return { written: batch.rows.length, rejected: [] };
    }
  }

  // A helper so TypeScript keeps the table/rows pairing of each aux batch.
  function insertAux(batch: Exclude<Batch, { target: Entity }>): Promise<unknown> {
    return opts.store.insert(batch.target, batch.rows as never, { token: batch.token });
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        wake = undefined;
        resolve();
      }
      wake = done;
    });
  }

  function settleWaiters(force = false): void {
    if (!force && spool.entries().length > 0) return;
    const ws = waiters;
    waiters = [];
    for (const w of ws) w();
  }

  /** Writes a batch and forgets it from the spool; the bookkeeping of a success. */
  async function deliver(entry: SpoolEntry, batch: Batch): Promise<void> {
    const r = await write(batch);
    await spool.ack(entry);
    cache.delete(entry.key);
    batchesWritten++;
    rowsWritten += r.written;
    rowsRejected += r.rejected.length;
    storeUp = true;
    opts.onWritten?.(batch, r.written, r.rejected);
  }

  /**
   * The head keeps failing with an error the server itself returned. If the next batch goes in,
   * the server is fine and the head is poison (say, rows a changed schema refuses): set it aside so
   * it does not block the log forever. If the next one fails too, the server is in trouble (read
   * only, too many parts...) and everything waits, as in any outage.
   */
  async function isolatePoison(head: SpoolEntry, headBatch: Batch, err: unknown): Promise<boolean> {
    const next = spool.entries()[1];
    if (!next) return false;
    const nextBatch = cache.get(next.key) ?? (await spool.read(next));
    if (!nextBatch) return false;
    try {
      await deliver(next, nextBatch);
    } catch {
      return false;
    }
    // The server takes batches now. Try the head once more, so that a server that recovered between
    // the head's last refusal and this moment does not get a good batch set aside.
    try {
      await deliver(head, headBatch);
      return true;
    } catch (again) {
      if (!isServerAnswer(again)) return false;
      err = again;
    }
    await spool.reject(head);
    cache.delete(head.key);
    opts.onPoison?.(headBatch, err);
    return true;
  }

  async function loop(): Promise<void> {
    let backoff = initialMs;
    let attempt = 0;
    while (!stopping) {
      await spool.expire();
      const head: SpoolEntry | undefined = spool.entries()[0];
      if (!head) break;
      const batch = cache.get(head.key) ?? (await spool.read(head));
      if (!batch) {
        // Corrupt (quarantined by the spool) or dropped by a bound while we looked.
        cache.delete(head.key);
        continue;
      }
      attempt++;
      try {
        await deliver(head, batch);
        backoff = initialMs;
        attempt = 0;
      } catch (err) {
        writeErrors++;
        storeUp = false;
        lastError = err instanceof Error ? err.message : String(err);
        opts.onWriteError?.(err, batch, attempt);
        if (isServerAnswer(err) && attempt >= poisonAfter && (await isolatePoison(head, batch, err))) {
          backoff = initialMs;
          attempt = 0;
          continue;
        }
        // Shutting down and the store still fails: the batches are safe in the spool, so stop
        // here rather than hold the process until the drain deadline against a store that is down.
        if (closed) {
          settleWaiters(true);
          break;
        }
        // While the store is away, keep only the head in memory: the log on disk holds the rest.
        for (const k of cache.keys()) if (k !== head.key) cache.delete(k);
        // Jitter, so that a fleet of collectors does not return to a recovering server in step.
        await sleep(backoff * (0.8 + 0.4 * Math.random()));
        backoff = Math.min(backoff * 2, maxMs);
      }
    }
    settleWaiters();
  }

  /**
   * The spool refused the batch: write it now, with its token, bypassing the log. It may land
   * before batches still waiting in the spool; the tokens keep that from doubling anything.
   */
  async function writeUnspooled(batch: Batch, spoolErr: unknown): Promise<void> {
    let r: { written: number; rejected: readonly RowError[] };
    try {
      r = await write(batch);
    } catch (storeErr) {
      writeErrors++;
      storeUp = false;
      lastError = message(storeErr);
      throw new Error(`not spooled (${message(spoolErr)}) and the store write failed (${message(storeErr)})`, {
        cause: storeErr,
      });
    }
    unspooledBatches++;
    batchesWritten++;
    rowsWritten += r.written;
    rowsRejected += r.rejected.length;
    storeUp = true;
    opts.onWritten?.(batch, r.written, r.rejected);
  }

  function kick(): void {
    if (running || stopping) return;
    running = loop().finally(() => {
      running = undefined;
      // A batch accepted while the loop was finishing would otherwise wait for the next accept.
      // (Not once closed: the loop only ends then because the store failed, and retrying at once
      // would spin against it.)
      if (!stopping && !closed && spool.entries().length > 0) kick();
    });
  }

  // Batches a previous run left in the spool go first.
  if (spool.entries().length > 0) kick();

  return {
    spool,
    async accept(batch) {
      if (closed) throw new Error('sink is closed');
      let entry: SpoolEntry;
      try {
        entry = await spool.append(batch);
      } catch (spoolErr) {
        opts.onSpoolError?.(spoolErr, batch);
        await writeUnspooled(batch, spoolErr);
        return;
      }
      if (cache.size < CACHE_LIMIT) cache.set(entry.key, batch);
      kick();
    },
    drained() {
      if (spool.entries().length === 0) return Promise.resolve();
      kick();
      return new Promise((resolve) => waiters.push(resolve));
    },
    async close(closeOpts) {
      if (closed) return;
      closed = true;
      // A loop waiting out a backoff tries again now: one last attempt decides whether to drain.
      wake?.();
      const deadline = closeOpts?.deadlineMs ?? opts.closeDeadlineMs ?? 5_000;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.drained(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, deadline);
        }),
      ]);
      clearTimeout(timer);
      // What is still in the spool stays there for the next start.
      stopping = true;
      wake?.();
      // A write still in flight may hang on a dead server until its request timeout; its batch is
      // safe in the spool either way, so give it a moment and no more.
      if (running) await Promise.race([running, new Promise((r) => setTimeout(r, 1_000).unref())]);
      await spool.close();
      settleWaiters(true);
    },
    stats: () => ({ batchesWritten, rowsWritten, rowsRejected, writeErrors, unspooledBatches, storeUp, lastError }),
  };
}
