import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { T0 } from '../helpers.js';
import { gpuRows, servedStore, type Endpoint } from './fixture.js';

const PANELS = [
  'SELECT toStartOfMinute(ts) AS t, region, avg(util_gpu) AS v FROM gpu_samples GROUP BY t, region ORDER BY t',
  'SELECT region, max(temp_gpu) AS v FROM gpu_samples GROUP BY region ORDER BY region',
  'SELECT host, quantile(0.95)(power_draw) AS v FROM gpu_samples GROUP BY host ORDER BY host',
  'SELECT count() AS v FROM gpu_samples',
];

describe('ClickHouse HTTP interface beside the writer', () => {
  let ep: Endpoint;
  beforeAll(async () => {
    ep = await servedStore(0);
  });
  afterAll(() => ep.dispose());

  it('answers 100 concurrent panel queries while batches keep landing, none failing and no row lost', async () => {
    const client = ep.client({ max_open_connections: 100 });
    const batches = 12;
    const perBatch = 5000;
    let written = 0;
    let writing = true;
    // The first batch lands before the reads start, so every panel has rows to answer with (an empty
    // result is an empty body in the row formats); the other batches land while they run.
    written += (await ep.store.writer('gpu').write(gpuRows(perBatch, T0))).written;
    const ingest = (async () => {
      // As `up` writes: batch after batch through the store's writer, each with its own token.
      for (let b = 1; b < batches; b++) {
        const r = await ep.store.writer('gpu').write(gpuRows(perBatch, T0 + b * perBatch * 1000));
        written += r.written;
      }
      writing = false;
    })();
    const formats = ['JSON', 'JSONEachRow', 'TabSeparated', 'JSONCompactEachRow'] as const;
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) =>
        client.query({ query: PANELS[i % PANELS.length]!, format: formats[i % formats.length]! }).then((r) => r.text()),
      ),
    );
    const sawWriting = writing;
    await ingest;
    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed.map((f) => String((f as PromiseRejectedResult).reason))).toEqual([]);
    for (const r of results) expect((r as PromiseFulfilledResult<string>).value.length).toBeGreaterThan(0);
    // The reads overlapped the ingest (it was still going when they had all answered, or they ran beside it).
    expect(sawWriting || written === batches * perBatch).toBe(true);
    expect(written).toBe(batches * perBatch);
    const [n] = await ep.store.query<{ n: number }>('SELECT count() AS n FROM gpu_samples');
    expect(Number(n!.n)).toBe(batches * perBatch);
    const over = await client.query({ query: 'SELECT count() AS n FROM gpu_samples', format: 'JSONEachRow' });
    expect(await over.json()).toEqual([{ n: batches * perBatch }]);
  });
});
