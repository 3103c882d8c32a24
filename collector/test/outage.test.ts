/**
 * Outage (a): the store goes away for a while and comes back. The store is the real embedded
 * engine; "away" means it is really closed, so every write in between fails inside the real
 * client, and "back" is a fresh open of the same data directory. Rows are counted in the store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type SampleRow, type Store } from '@meridian/store';
import { createPipeline, createStoreSink, openFileSpool, type StoreTarget } from '@meridian/collector';
import { until } from './until.js';

const root = mkdtempSync(join(tmpdir(), 'meridian-outage-'));
const data = join(root, 'data');
let store: Store | undefined;

beforeAll(async () => {
  store = await openStore({ data });
  await store.migrate();
});
afterAll(async () => {
  await store?.close();
  rmSync(root, { recursive: true, force: true });
});

/** Whatever store is open now; a closed one fails every write the way a dead server does. */
const current: StoreTarget = {
  writer: (entity) => ({ write: (rows, opts) => store!.writer(entity).write(rows, opts) }),
  insert: (table, rows, opts) => store!.insert(table, rows, opts),
};

// Recent instants: the raw tables drop rows older than their retention on insert.
let nextTs = Date.now() - 3_600_000;
function rows(n: number, host: string): SampleRow[] {
  return Array.from({ length: n }, () => ({
    ts: nextTs++,
    source: 'nvidia-smi',
    region: 'eu-west',
    host,
    gpu_uuid: 'GPU-0',
    util_gpu: 50,
  }));
}

async function count(host: string): Promise<{ n: number; distinct: number }> {
  const [r] = await store!.query<{ n: string; distinct: string }>(
    'SELECT count() AS n, uniqExact(ts) AS distinct FROM gpu_samples WHERE host = {host:String}',
    { host },
  );
  return { n: Number(r?.n), distinct: Number(r?.distinct) };
}

describe('outage: the store is away, then back', () => {
  it('spools while it is away and replays in order when it is back: none lost, none duplicated', async () => {
    const spool = await openFileSpool({ dir: join(root, 'spool-a') });
    const errors: string[] = [];
    const written: number[] = [];
    const sink = createStoreSink({
      store: current,
      spool,
      retry: { initialMs: 20, maxMs: 80 },
      onWriteError: (err) => errors.push(String(err)),
      onWritten: (b) => written.push(b.seq),
    });
    const p = createPipeline({ sink, maxRows: 50, flushIntervalMs: 0, collectorId: 'host-a' });

    p.push('gpu', rows(120, 'host-a'));
    await p.flush();
    await sink.drained();
    expect(await count('host-a')).toEqual({ n: 120, distinct: 120 });

    await store!.close(); // the store goes away
    for (let i = 0; i < 4; i++) {
      p.push('gpu', rows(75, 'host-a'));
      await p.flush();
    }
    await until(() => errors.length >= 3, 'three failed writes', 10_000);
    expect(sink.stats().storeUp).toBe(false);
    // 4 flushes of 75 rows at maxRows 50: 8 batches, all waiting on disk.
    expect(spool.stats()).toMatchObject({ batches: 8, rows: 300, droppedRows: 0 });

    store = await openStore({ data }); // and comes back
    await sink.drained();
    expect(await count('host-a')).toEqual({ n: 420, distinct: 420 });
    expect(written).toEqual(Array.from({ length: 11 }, (_, i) => i)); // in order, each once
    expect(sink.stats()).toMatchObject({ storeUp: true, rowsWritten: 420, batchesWritten: 11 });
    expect(spool.stats().batches).toBe(0);
    await p.close();
  });

  it('a batch the store took but whose answer was lost is replayed with its token and lands once', async () => {
    let loseAnswers = 2;
    const lossy: StoreTarget = {
      writer: (entity) => ({
        async write(r, opts) {
          const res = await current.writer(entity).write(r, opts);
          // The insert happened; the network drops the reply (the server restarted mid-answer).
          if (loseAnswers-- > 0) throw new Error('socket hang up');
          return res;
        },
      }),
      insert: current.insert,
    };
    const sink = createStoreSink({
      store: lossy,
      spool: await openFileSpool({ dir: join(root, 'spool-b') }),
      retry: { initialMs: 10 },
    });
    const p = createPipeline({ sink, maxRows: 40, flushIntervalMs: 0, collectorId: 'host-b' });
    p.push('gpu', rows(100, 'host-b'));
    await p.flush();
    await sink.drained();
    expect(sink.stats().writeErrors).toBe(2);
    expect(await count('host-b')).toEqual({ n: 100, distinct: 100 });
    await p.close();
  });

  it('close() leaves what the store did not take in the spool for the next run', async () => {
    const dir = join(root, 'spool-c');
    let attempts = 0;
    const refuse = (): Promise<never> => {
      attempts++;
      return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:8123'));
    };
    const down: StoreTarget = { writer: () => ({ write: refuse }), insert: refuse };
    // A long backoff: the retry that close() makes is its own, not one the backoff was due to make.
    const sink1 = createStoreSink({ store: down, spool: await openFileSpool({ dir }), retry: { initialMs: 60_000 } });
    const p1 = createPipeline({ sink: sink1, maxRows: 30, flushIntervalMs: 0, collectorId: 'host-c', runId: 'run1' });
    p1.push('gpu', rows(60, 'host-c'));
    await p1.flush();
    await until(() => attempts === 1, 'the first attempt', 10_000);
    // The drain deadline is generous, as on SIGTERM; against a store that is down, close() makes one
    // more attempt and returns instead of holding the process for the whole minute.
    const t0 = Date.now();
    await p1.close({ deadlineMs: 60_000 });
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(attempts).toBe(2);
    expect(await count('host-c')).toEqual({ n: 0, distinct: 0 });

    // The next run replays the log before anything new, with the first run's tokens.
    const spool2 = await openFileSpool({ dir });
    expect(await Promise.all(spool2.entries().map(async (e) => (await spool2.read(e))?.token))).toEqual([
      'host-c:run1:gpu:0',
      'host-c:run1:gpu:1',
    ]);
    const sink2 = createStoreSink({ store: current, spool: spool2 });
    await sink2.drained();
    expect(await count('host-c')).toEqual({ n: 60, distinct: 60 });
    await sink2.close();
  });

  it('a 10-minute outage at 1 Hz for 8 GPUs (time simulated) loses no sample and duplicates none', async () => {
    const spool = await openFileSpool({ dir: join(root, 'spool-10min') });
    const sink = createStoreSink({ store: current, spool, retry: { initialMs: 20, maxMs: 50 } });
    const p = createPipeline({ sink, maxRows: 10_000, flushIntervalMs: 0, collectorId: 'host-d' });
    await store!.close(); // down for the whole ten minutes
    const t0 = Date.now() - 3_600_000;
    for (let s = 0; s < 600; s++) {
      p.push(
        'gpu',
        Array.from({ length: 8 }, (_, g) => ({
          ts: t0 + s * 1000,
          source: 'nvidia-smi',
          region: 'eu-west',
          host: 'host-d',
          gpu_uuid: `GPU-${g}`,
          util_gpu: (s + g) % 101,
          power_draw: 300 + g,
          temp_gpu: 60,
          memory_used: 40e9,
        })),
      );
      // A flush every 30 s of collection: 20 batches in the log (each replay is one real insert, and
      // the test budget is small; the per-batch logic is the same at any interval).
      if (s % 30 === 29) await p.flush();
    }
    const st = spool.stats();
    expect(st).toMatchObject({ batches: 20, rows: 4800, droppedRows: 0 });
    expect(sink.stats()).toMatchObject({ rowsWritten: 0, rowsRejected: 0 });
    // Sizing: what ten minutes of an 8-GPU host take in the log (JSON), far below the 256 MiB bound.
    expect(st.bytes).toBeLessThan(4800 * 300);

    store = await openStore({ data });
    await sink.drained();
    const [r] = await store.query<{ n: string; series: string; seconds: string }>(
      "SELECT count() AS n, uniqExact(gpu_uuid, ts) AS series, uniqExact(ts) AS seconds FROM gpu_samples WHERE host = 'host-d'",
    );
    expect({ n: Number(r?.n), series: Number(r?.series), seconds: Number(r?.seconds) }).toEqual({
      n: 4800,
      series: 4800,
      seconds: 600,
    });
    expect(sink.stats()).toMatchObject({ rowsWritten: 4800, rowsRejected: 0, batchesWritten: 20 });
    await p.close();
  });
});
