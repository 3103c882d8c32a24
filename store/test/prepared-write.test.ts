import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsToColumns, type SampleColumns, type Store } from '@meridian/store';
import { aroundCommands, T0, tempStore } from './helpers.js';

/**
 * prepareColumns: the next batch is validated and encoded while the engine inserts the previous
 * one, and its increases are derived only when its write() runs. Written that way, the rows and
 * their increases must be exactly those of writing the batches one after another, and a batch
 * prepared before its predecessor failed must still count from what was really written.
 */
describe('prepared writes', () => {
  let store: Store;
  let dispose: () => Promise<void>;
  /** How many of the next gpu_samples inserts fail (a transport error, after the engine saw nothing). */
  let failNext = 0;
  beforeAll(async () => {
    ({ store, dispose } = await tempStore({
      writeAttempts: 1,
      wrapConnection: aroundCommands(async (params, run) => {
        if (params.query.startsWith('INSERT INTO gpu_samples') && failNext > 0) {
          failNext--;
          throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        }
        return run();
      }),
    }));
  });
  afterAll(() => dispose());

  /** Two GPUs (`${prefix}a`, `${prefix}b`), one sample each per second from `from`, with their xid counters. */
  const batch = (prefix: string, from: number, xids: [number, number][]): SampleColumns =>
    rowsToColumns(
      'gpu',
      xids.flatMap(([a, b], i) => [
        { ts: T0 + (from + i) * 1000, source: 'sim', region: 'eu', host: 'h1', gpu_uuid: `${prefix}a`, xid_count: a },
        { ts: T0 + (from + i) * 1000, source: 'sim', region: 'eu', host: 'h1', gpu_uuid: `${prefix}b`, xid_count: b },
      ]),
      new Set(['xid_count']),
    );
  // GPU a: 1, 2, 4 | 6, 9 | 7 (a reset after 9, which only the second batch says), 8. GPU b: 10
  // then flat, then +1 each.
  const batches = (prefix: string): SampleColumns[] => [
    batch(prefix, 0, [
      [1, 10],
      [2, 10],
      [4, 10],
    ]),
    batch(prefix, 3, [
      [6, 10],
      [9, 10],
    ]),
    batch(prefix, 5, [
      [7, 11],
      [8, 12],
    ]),
  ];
  const increases = async (uuid: string): Promise<(number | null)[]> =>
    (
      await store.query<{ inc: number | null }>(
        'SELECT xid_count_inc AS inc FROM gpu_samples WHERE gpu_uuid = {u:String} ORDER BY ts',
        { u: uuid },
      )
    ).map((r) => r.inc);
  const expected = {
    a: [null, 1, 2, 2, 3, 7, 1],
    b: [null, 0, 0, 0, 0, 1, 1],
  };

  it('gives the rows and increases of one-by-one writes when each batch is prepared during the previous insert', async () => {
    const w = store.writer('gpu');
    for (const [i, b] of batches('serial-').entries()) await w.writeColumns(b, { token: `serial-${i}` });
    const [b1, b2, b3] = batches('piped-');
    const first = w.prepareColumns(b1!, { token: 'piped-0' }).write();
    const second = w.prepareColumns(b2!, { token: 'piped-1' });
    expect(second.rows).toBe(4);
    await first;
    const writing = second.write();
    const third = w.prepareColumns(b3!, { token: 'piped-2' });
    await writing;
    const r = await third.write();
    expect(r).toEqual({ written: 4, rejected: [], token: 'piped-2' });
    expect(await increases('piped-a')).toEqual(expected.a);
    expect(await increases('piped-b')).toEqual(expected.b);
    expect(await increases('serial-a')).toEqual(expected.a);
    expect(await increases('serial-b')).toEqual(expected.b);
  });

  it('counts a batch prepared before its predecessor failed from what was written, once it is retried', async () => {
    const w = store.writer('gpu');
    const [b1, b2, b3] = batches('retry-');
    await w.writeColumns(b1!, { token: 'retry-0' });
    failNext = 1;
    const head = w.prepareColumns(b2!, { token: 'retry-1' });
    const failing = head.write();
    const next = w.prepareColumns(b3!, { token: 'retry-2' });
    await expect(failing).rejects.toThrow(/ECONNREFUSED/);
    // The sink retries its head before anything behind it: the tracker did not move on the failure.
    await head.write();
    await next.write();
    expect(await increases('retry-a')).toEqual(expected.a);
    expect(await increases('retry-b')).toEqual(expected.b);
    const [n] = await store.query<{ n: string }>("SELECT count() AS n FROM gpu_samples WHERE gpu_uuid LIKE 'retry-%'");
    expect(Number(n!.n)).toBe(14);
  });

  it('refuses a malformed batch when it is prepared, naming the column, and writes nothing when no row is valid', async () => {
    const w = store.writer('gpu');
    const bad = batch('bad-', 0, [[1, 2]]);
    const short: SampleColumns = { ...bad, columns: { ...bad.columns, xid_count: { values: Float64Array.of(1) } } };
    expect(() => w.prepareColumns(short)).toThrow(/columns\.xid_count/);
    const refused = w.prepareColumns({ ...bad, ts: Float64Array.of(NaN, NaN) }, { token: 'none' });
    expect(refused.rows).toBe(0);
    const r = await refused.write();
    expect(r.written).toBe(0);
    expect(r.rejected.map((e) => [e.row, e.field])).toEqual([
      [0, 'ts'],
      [1, 'ts'],
    ]);
    const [n] = await store.query<{ n: string }>("SELECT count() AS n FROM gpu_samples WHERE gpu_uuid LIKE 'bad-%'");
    expect(Number(n!.n)).toBe(0);
  });
});
