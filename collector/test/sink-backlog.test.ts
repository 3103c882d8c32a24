/** The sink's back-pressure: backlog(n) lets a producer that outruns the store wait without draining it. */
import { describe, expect, it } from 'vitest';
import { createStoreSink, type Batch, type StoreTarget } from '@meridian/collector';
import type { WriteResult } from '@meridian/store';
import { until } from './until.js';

function batch(seq: number): Batch {
  // Now: a spool drops batches past its age bound (a day).
  return { target: 'gpu', seq, token: `c:r:gpu:${seq}`, createdAt: Date.now(), rows: [{ ts: 1, source: 's' }] };
}

/** A store whose every write waits until the test lets it through. */
function gatedStore(): StoreTarget & { gates: (() => void)[] } {
  const gates: (() => void)[] = [];
  return {
    gates,
    writer: () => ({
      write: () =>
        new Promise<WriteResult>((resolve) => gates.push(() => resolve({ written: 1, rejected: [], token: '' }))),
    }),
    insert: () => Promise.resolve(),
  };
}

describe('store sink backlog', () => {
  it('resolves once at most n batches wait, while the store keeps writing the rest', async () => {
    const store = gatedStore();
    const sink = createStoreSink({ store });
    for (let i = 0; i < 3; i++) await sink.accept(batch(i));
    await expect(sink.backlog(3)).resolves.toBeUndefined();
    let below = false;
    const waiting = sink.backlog(1).then(() => {
      below = true;
    });
    await until(() => store.gates.length === 1, 'the first write');
    store.gates.shift()!();
    await until(() => store.gates.length === 1, 'the second write');
    expect(below).toBe(false); // the second is being written, the third waits
    store.gates.shift()!();
    await waiting;
    expect(sink.spool.entries().map((e) => e.key)).toHaveLength(1);
    await until(() => store.gates.length === 1, 'the third write');
    store.gates.shift()!();
    await sink.drained();
    await sink.close();
  });

  it('lets a waiter go when the sink closes with batches still waiting', async () => {
    const store = gatedStore();
    const sink = createStoreSink({ store, closeDeadlineMs: 1 });
    for (let i = 0; i < 2; i++) await sink.accept(batch(i));
    const waiting = sink.backlog(0);
    await until(() => store.gates.length === 1, 'the first write');
    const closing = sink.close();
    await waiting;
    store.gates.shift()!(); // the write in flight may finish; its batch was safe either way
    await closing;
    await expect(sink.backlog(0)).resolves.toBeUndefined();
  });
});
