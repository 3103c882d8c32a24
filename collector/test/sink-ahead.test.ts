/**
 * The sink encodes the batch after the head while the head's insert runs (prepareColumns), and
 * writes it with that prepared write once the head is in. Order and retries stay as they were: the
 * head is retried before anything behind it, and a prepared write is used at most once.
 */
import { describe, expect, it } from 'vitest';
import { createStoreSink, type Batch, type StoreTarget } from '@meridian/collector';
import { stringColumn, type SampleColumns, type WriteResult } from '@meridian/store';
import { until } from './until.js';

const columns: SampleColumns = {
  rows: 1,
  ts: Float64Array.of(Date.now()),
  source: 'test',
  columns: { gpu_uuid: stringColumn(['GPU-0']) },
};

function batch(seq: number): Batch {
  // Now: a spool drops batches past its age bound (a day).
  return { target: 'gpu', seq, token: `t${seq}`, createdAt: Date.now(), rows: [], columns };
}

/** A store that logs each step and holds every write until the test settles it. */
function gatedStore(): StoreTarget & { log: string[]; settle: (ok: boolean) => void; waiting: () => number } {
  const log: string[] = [];
  const pending: ((ok: boolean) => void)[] = [];
  const write = (token: string): Promise<WriteResult> =>
    new Promise((resolve, reject) =>
      pending.push((ok) =>
        ok ? resolve({ written: 1, rejected: [], token }) : reject(new Error('connect ECONNREFUSED')),
      ),
    );
  return {
    log,
    settle: (ok) => pending.shift()!(ok),
    waiting: () => pending.length,
    writer: () => ({
      write: () => Promise.reject(new Error('the sink must write column batches as columns')),
      writeColumns: (_batch, opts) => {
        log.push(`write ${opts!.token}`);
        return write(opts!.token!);
      },
      prepareColumns: (_batch, opts) => {
        log.push(`prepare ${opts!.token}`);
        return {
          write: () => {
            log.push(`write prepared ${opts!.token}`);
            return write(opts!.token!);
          },
        };
      },
    }),
    insert: () => Promise.resolve(),
  };
}

describe('store sink look-ahead', () => {
  it('prepares the next batch while the head is written, and writes it with that once the head is in', async () => {
    const store = gatedStore();
    const sink = createStoreSink({ store });
    for (let i = 1; i <= 3; i++) await sink.accept(batch(i));
    await until(() => store.log.includes('prepare t2'), 'the second batch prepared');
    // The head is still in flight: nothing behind it was written yet.
    expect(store.log).toEqual(['write t1', 'prepare t2']);
    store.settle(true);
    await until(() => store.log.includes('prepare t3'), 'the third batch prepared');
    store.settle(true);
    await until(() => store.waiting() === 1 && store.log.length === 5, 'the third write');
    store.settle(true);
    await sink.drained();
    expect(store.log).toEqual(['write t1', 'prepare t2', 'write prepared t2', 'prepare t3', 'write prepared t3']);
    expect(sink.stats().batchesWritten).toBe(3);
    await sink.close();
  });

  it('prepares a batch accepted while the head is being written, before the head is in', async () => {
    const store = gatedStore();
    const sink = createStoreSink({ store });
    await sink.accept(batch(1));
    await until(() => store.waiting() === 1, 'the head written');
    // One turn of the event loop: the look-ahead the head's write scheduled runs first (immediates
    // run in order) and finds nothing behind the head, so only the accept can prepare the next.
    await new Promise((resolve) => setImmediate(resolve));
    await sink.accept(batch(2));
    await until(() => store.log.includes('prepare t2'), 'the second batch prepared');
    expect(store.waiting()).toBe(1);
    store.settle(true);
    await until(() => store.waiting() === 1 && store.log.length === 3, 'the second write');
    store.settle(true);
    await sink.drained();
    expect(store.log).toEqual(['write t1', 'prepare t2', 'write prepared t2']);
    await sink.close();
  });

  it('retries a failed head before the batch behind it, whose prepared write it drops with the rest of its memory', async () => {
    const store = gatedStore();
    const sink = createStoreSink({ store, retry: { initialMs: 1, maxMs: 1 } });
    for (let i = 1; i <= 2; i++) await sink.accept(batch(i));
    await until(() => store.log.includes('prepare t2'), 'the second batch prepared');
    store.settle(false);
    await until(() => store.log.filter((l) => l === 'write t1').length === 2, 'the head retried');
    store.settle(true);
    await until(() => store.waiting() === 1, 'the second write');
    store.settle(true);
    await sink.drained();
    // While the store failed, only the head stayed in memory: the second is read back from the
    // spool and written the ordinary way.
    expect(store.log).toEqual(['write t1', 'prepare t2', 'write t1', 'write t2']);
    expect(sink.stats()).toMatchObject({ batchesWritten: 2, writeErrors: 1 });
    await sink.close();
  });
});
