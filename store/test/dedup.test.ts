import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SampleRow, Store } from '@meridian/store';
import { aroundCommands, T0, tempStore } from './helpers.js';

/**
 * A real retry: the engine commits the insert, then the reply is "lost" (the connection throws as a
 * dropped socket would), and the writer retries with the same token.
 */
describe('a retried batch lands once', () => {
  let store: Store;
  let dispose: () => Promise<void>;
  let lostReplies = 0;
  let inserts = 0;
  let insertSettingsSeen: Record<string, unknown> = {};
  beforeAll(async () => {
    ({ store, dispose } = await tempStore({
      wrapConnection: aroundCommands(async (params, run) => {
        const gpuInsert = params.query.startsWith('INSERT INTO gpu_samples');
        if (gpuInsert) insertSettingsSeen = params.clickhouse_settings ?? {};
        const result = await run();
        if (gpuInsert) {
          inserts++;
          if (lostReplies > 0) {
            lostReplies--;
            throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
          }
        }
        return result;
      }),
    }));
  });
  afterAll(() => dispose());

  const batch: SampleRow[] = Array.from({ length: 600 }, (_, i) => ({
    ts: T0 + i * 1000,
    source: 'sim',
    region: 'eu',
    host: 'h1',
    gpu_uuid: `GPU-${i % 3}`,
    util_gpu: (i * 7) % 100,
    power_draw: 100 + (i % 50),
  }));

  it('stores the batch once in the raw table and counts it once in both rollups', async () => {
    lostReplies = 2;
    const res = await store.writer('gpu').write(batch, { token: 'collector-1:gpu:42' });
    expect(res.written).toBe(600);
    expect(inserts).toBe(3); // the engine saw it three times
    const [raw] = await store.query<{ c: string; s: number }>(
      'SELECT count() AS c, sum(util_gpu) AS s FROM gpu_samples',
    );
    expect(Number(raw?.c)).toBe(600);
    const [m1] = await store.query<{ n: string }>('SELECT sum(samples) AS n FROM gpu_1m');
    const [h1] = await store.query<{ n: string }>('SELECT sum(samples) AS n FROM gpu_1h');
    expect(Number(m1?.n)).toBe(600);
    expect(Number(h1?.n)).toBe(600);
    // The views ran side by side (parallel_view_processing), and every tier still counts it once.
    expect(insertSettingsSeen).toMatchObject({
      parallel_view_processing: 1,
      insert_deduplication_token: 'collector-1:gpu:42',
    });
    for (const t of ['gpu_1d', 'gpu_region_1m', 'gpu_region_1h', 'gpu_region_1d']) {
      const [r] = await store.query<{ n: string }>(`SELECT sum(samples) AS n FROM ${t}`);
      expect(Number(r?.n), t).toBe(600);
    }
  });

  it('a different token is a different batch', async () => {
    await store.writer('gpu').write(batch.slice(0, 10), { token: 'collector-1:gpu:43' });
    const [raw] = await store.query<{ c: string }>('SELECT count() AS c FROM gpu_samples');
    expect(Number(raw?.c)).toBe(610);
  });

  it("does not lend a writer batch's token to a later INSERT … SELECT (chDB keeps SET settings)", async () => {
    const sql = (name: string) =>
      `INSERT INTO extra_metrics (ts, source, region, host, name, value) SELECT now64(3), 'sim', 'r', 'h', '${name}', number FROM numbers(10)`;
    await store.command(sql('first'));
    await store.command(sql('second'));
    const [n] = await store.query<{ c: string }>('SELECT count() AS c FROM extra_metrics');
    expect(Number(n?.c)).toBe(20);
    // Not only through command(): the client the store exposes is covered too.
    await store.writer('gpu').write(batch.slice(0, 1), { token: 'collector-1:gpu:45' });
    await store.client.command({ query: sql('third') });
    const [m] = await store.query<{ c: string }>('SELECT count() AS c FROM extra_metrics');
    expect(Number(m?.c)).toBe(30);
  });

  it('gives up after the configured attempts and reports the transport error', async () => {
    lostReplies = 5;
    await expect(store.writer('gpu').write(batch.slice(0, 5), { token: 'collector-1:gpu:44' })).rejects.toThrow(
      'socket hang up',
    );
    lostReplies = 0;
  });
});
