/**
 * The writer's spare block buffers (src/block-buffers.ts): a large block is encoded into the buffer
 * of one whose insert is done, and what lands is exactly what was written, block after block.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { rowsToColumns, type SampleColumns, type Store } from '@meridian/store';
import { BlockBuffers } from '../src/block-buffers.js';
import { T0, tempStore } from './helpers.js';

describe('BlockBuffers', () => {
  it('keeps only large buffers it handed out, at most `keep`, and hands the smallest that fits', () => {
    const pool = new BlockBuffers(2);
    const small = pool.take(1000);
    pool.give(small);
    expect(pool.spares).toBe(0); // from Node's shared slab: never reused whole
    pool.give(Buffer.allocUnsafeSlow(2 << 20));
    expect(pool.spares).toBe(0); // not one of ours
    const [a, b, c] = [pool.take(3 << 20), pool.take(2 << 20), pool.take(4 << 20)];
    for (const x of [a, b, c]) pool.give(x);
    pool.give(a); // given twice: kept once
    expect(pool.spares).toBe(2); // the smallest (b) went
    const again = pool.take(2 << 20);
    expect(again.buffer).toBe(a.buffer); // the smallest spare that fits
    expect(again.length).toBe(2 << 20);
    expect(pool.take(3 << 20).buffer).toBe(c.buffer);
    expect(pool.spares).toBe(0);
    expect(pool.take(3 << 20).buffer).not.toBe(c.buffer); // none left: a new one
  });
});

describe('a writer reusing block buffers', () => {
  let store: Store;
  let dispose: () => Promise<void>;
  beforeAll(async () => ({ store, dispose } = await tempStore()));
  afterAll(() => dispose());
  afterEach(() => vi.restoreAllMocks());

  /**
   * `seconds` of 1 Hz samples of `gpus` GPUs with values that differ per block, over 1 MiB encoded.
   * Block 2 has no util_gpu on every third row, so its null map is not all zeros.
   */
  const rows = (tag: number, from: number, seconds: number, gpus: number) =>
    Array.from({ length: seconds * gpus }, (_, i) => ({
      ts: T0 + (from + Math.floor(i / gpus)) * 1000,
      source: 'sim',
      region: 'eu',
      host: `h${(i % gpus) >> 3}`,
      gpu_uuid: `reuse-${i % gpus}`,
      ...(tag === 2 && i % 3 === 0 ? {} : { util_gpu: (tag * 7 + i) % 101 }),
      power_draw: tag * 100 + (i % 997) / 4,
      memory_used: tag * 2 ** 33 + i,
      xid_count: tag,
    }));
  /** The rows as columns; where no row lacks a value, without a null mask (as the twin's builder hands them). */
  const batch = (r: ReturnType<typeof rows>): SampleColumns => {
    const b = rowsToColumns('gpu', r, new Set(['util_gpu', 'power_draw', 'memory_used', 'xid_count']));
    const columns = Object.fromEntries(
      Object.entries(b.columns).map(([k, c]) => [
        k,
        'nulls' in c && c.nulls && !c.nulls.includes(1) ? { values: c.values } : c,
      ]),
    );
    return { ...b, columns };
  };

  it('encodes the next large block into the last one’s buffer, and every block lands exactly', async () => {
    const big = vi.spyOn(Buffer, 'allocUnsafeSlow');
    const w = store.writer('gpu');
    // 256 GPUs × 60 s = 15,360 rows a block: about 2.4 MB. The third is written over the second's
    // bytes (its nulls too); the fourth is smaller.
    const blocks = [rows(1, 0, 60, 256), rows(2, 60, 60, 256), rows(3, 120, 60, 256), rows(4, 180, 50, 256)];
    for (const [i, b] of blocks.entries()) await w.prepareColumns(batch(b), { token: `reuse-${i}` }).write();
    // One buffer for all: each block is prepared after the previous one's insert is done.
    expect(big.mock.calls.filter(([n]) => n >= 1 << 20)).toHaveLength(1);
    const stored = await store.query<{
      tag: number;
      n: string;
      utils: string;
      util: string;
      power: number;
      mem: string;
    }>(
      `SELECT xid_count AS tag, count() AS n, count(util_gpu) AS utils, sum(util_gpu) AS util, sum(power_draw) AS power,
              sum(memory_used) AS mem
       FROM gpu_samples WHERE gpu_uuid LIKE 'reuse-%' GROUP BY tag ORDER BY tag`,
    );
    const expected = blocks.map((b, i) => {
      const utils = b.flatMap((r) => (r.util_gpu === undefined ? [] : [r.util_gpu]));
      return {
        tag: i + 1,
        n: b.length,
        utils: utils.length,
        util: utils.reduce((s, v) => s + v, 0),
        power: expect.closeTo(
          b.reduce((s, r) => s + r.power_draw, 0),
          0,
        ),
        mem: b.reduce((s, r) => s + r.memory_used, 0),
      };
    });
    expect(
      stored.map((r) => ({
        tag: r.tag,
        n: Number(r.n),
        utils: Number(r.utils),
        util: Number(r.util),
        power: r.power,
        mem: Number(r.mem),
      })),
    ).toEqual(expected);
    expect(expected[1]?.utils).toBe(10_240); // block 2 really had nulls
    // A prepared write called again after it succeeded answers the same, inserting nothing.
    const p = w.prepareColumns(batch(rows(5, 230, 60, 256)), { token: 'reuse-4' });
    const first = await p.write();
    expect(await p.write()).toBe(first);
    const [again] = await store.query<{ n: string }>(
      "SELECT count() AS n FROM gpu_samples WHERE gpu_uuid LIKE 'reuse-%' AND xid_count = 5",
    );
    expect(Number(again?.n)).toBe(15_360);
  });
});
