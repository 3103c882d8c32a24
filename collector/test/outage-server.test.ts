/**
 * Outage (a) on the server path: the collector's sink writes through the real @clickhouse/client to
 * an HTTP endpoint on 127.0.0.1. There is no ClickHouse server on this machine, so the endpoint is a
 * SIMULATION of the part of ClickHouse's HTTP interface the client uses (CREATE DATABASE and
 * INSERT ... FORMAT Native, deduplicated by insert_deduplication_token as ClickHouse does). It goes
 * away in the two ways a real server does: nothing listening (connection refused), then up but
 * failing (HTTP 500 with a ClickHouse exception), then healthy. The real engine's dedup is covered
 * by outage.test.ts and agent-kill.test.ts.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, type SampleRow, type Store } from '@meridian/store';
import { createPipeline, createStoreSink, openFileSpool, reconnectingStore } from '@meridian/collector';
import { until } from './until.js';

const root = mkdtempSync(join(tmpdir(), 'meridian-outage-server-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Mode = 'fail' | 'ok';

/** Rows per dedup token, as the table would hold them; and how many inserts each token got. */
function clickhouseStandIn() {
  const stored = new Map<string, number>();
  const attempts = new Map<string, number>();
  let mode: Mode = 'fail';
  /** Dedup tokens of batches this server refuses whatever its mode: rows the table cannot take. */
  const poison = new Set<string>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const token = url.searchParams.get('insert_deduplication_token');
      if (token) attempts.set(token, (attempts.get(token) ?? 0) + 1);
      const insert = /^INSERT/i.test(url.searchParams.get('query') ?? '');
      if (mode === 'fail' && insert) {
        res.writeHead(500, { 'x-clickhouse-exception-code': '242' });
        res.end('Code: 242. DB::Exception: Table is in readonly mode. (TABLE_IS_READ_ONLY) (version 26.7.2.1)\n');
        return;
      }
      if (token && poison.has(token)) {
        res.writeHead(500, { 'x-clickhouse-exception-code': '16' });
        res.end(
          'Code: 16. DB::Exception: No such column gpu_model in table gpu_samples. (NO_SUCH_COLUMN_IN_TABLE) (version 26.7.2.1)\n',
        );
        return;
      }
      const body = Buffer.concat(chunks);
      if (token && body.length > 1 && !stored.has(token)) {
        // A Native block starts with two varints: columns, then rows (< 128 rows here: one byte).
        stored.set(token, body[1]!);
      }
      res.writeHead(200, { 'x-clickhouse-summary': '{}' }).end();
    });
  });
  return {
    stored,
    attempts,
    setMode: (m: Mode) => (mode = m),
    poison,
    listen: (port: number) => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

let n = 0;
const rows = (k: number): SampleRow[] =>
  Array.from({ length: k }, () => ({
    ts: Date.now() - 60_000 + n++,
    source: 'nvidia-smi',
    region: 'eu-west',
    host: 'h',
    gpu_uuid: 'GPU-0',
    util_gpu: 1,
  }));

describe('outage against a ClickHouse server (simulated endpoint, real client)', () => {
  it('starts while the server is down, spools through refusals and 500s, and replays every batch once', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const ch = clickhouseStandIn();
    const errors: string[] = [];
    const store = reconnectingStore<Store>(() => openStore({ clickhouse: url, requestTimeoutMs: 2_000 }));
    const spool = await openFileSpool({ dir: join(root, 'spool') });
    const sink = createStoreSink({
      store,
      spool,
      retry: { initialMs: 50, maxMs: 200 },
      onWriteError: (err) => errors.push(err instanceof Error ? err.message : String(err)),
    });
    const p = createPipeline({ sink, maxRows: 25, flushIntervalMs: 0, collectorId: 'srv' });

    // Phase 1: nothing listens. The store cannot even be opened; the collector spools.
    p.push('gpu', rows(50));
    await p.flush();
    await until(() => errors.length >= 2, 'two failed writes', 15_000);
    expect(errors[0]).toMatch(/ECONNREFUSED/);
    expect(store.isOpen()).toBe(false);

    // Phase 2: the server is up but refuses every insert with a ClickHouse exception.
    await ch.listen(port);
    p.push('gpu', rows(50));
    await p.flush();
    // Well past the poison threshold: a server refusing EVERY batch is an outage, not poison.
    await until(() => errors.filter((e) => /readonly mode/.test(e)).length >= 8, 'eight readonly refusals', 15_000);
    expect(store.isOpen()).toBe(true);
    expect(spool.stats().droppedBatches).toBe(0);
    expect(spool.stats()).toMatchObject({ batches: 4, rows: 100 });
    expect(ch.stored.size).toBe(0);

    // Phase 3: healthy. The log drains in order, each batch with its own token.
    ch.setMode('ok');
    await sink.drained();
    p.push('gpu', rows(25));
    await p.flush();
    await sink.drained();
    // Every batch once. (Order: when a server-side refusal ends just as the sink probes the next
    // batch to tell an outage from a poison batch, that next batch may land first.)
    const seqs = [...ch.stored.keys()].map((t) => Number(/^srv:[a-z0-9]+:gpu:(\d+)$/.exec(t)?.[1]));
    expect(seqs.sort()).toEqual([0, 1, 2, 3, 4]);
    expect([...ch.stored.values()].reduce((a, b) => a + b, 0)).toBe(125);
    // While it was failing, the first batch was tried more than once: retries carried the same token.
    expect(Math.max(...ch.attempts.values())).toBeGreaterThan(1);
    expect(sink.stats()).toMatchObject({ storeUp: true, rowsWritten: 125, batchesWritten: 5 });
    await p.close();
    await store.close();
    await ch.close();
  });

  it('sets aside a batch the server keeps refusing while it takes the next one, and counts it', async () => {
    const port = await freePort();
    const ch = clickhouseStandIn();
    ch.setMode('ok');
    await ch.listen(port);
    const store = reconnectingStore<Store>(() => openStore({ clickhouse: `http://127.0.0.1:${port}` }));
    const dir = join(root, 'spool-poison');
    const spool = await openFileSpool({ dir, onDrop: (d) => dropped.push(`${d.reason}:${d.entry.rows}`) });
    const dropped: string[] = [];
    const poisoned: string[] = [];
    const sink = createStoreSink({
      store,
      spool,
      retry: { initialMs: 10, maxMs: 20, poisonAfter: 3 },
      onPoison: (b) => poisoned.push(b.token),
    });
    const p = createPipeline({ sink, maxRows: 10, flushIntervalMs: 0, collectorId: 'pz', runId: 'r' });
    ch.poison.add('pz:r:gpu:1');
    p.push('gpu', rows(40));
    await p.flush();
    await sink.drained();
    expect(poisoned).toEqual(['pz:r:gpu:1']);
    expect(dropped).toEqual(['rejected:10']);
    expect([...ch.stored.keys()].sort()).toEqual(['pz:r:gpu:0', 'pz:r:gpu:2', 'pz:r:gpu:3']);
    // poisonAfter tries, then one more after the next batch went in (the server might have recovered).
    expect(ch.attempts.get('pz:r:gpu:1')).toBe(4);
    // Kept for a human, out of the replay path.
    expect(readdirSync(join(dir, 'rejected'))).toHaveLength(1);
    expect(spool.stats()).toMatchObject({ batches: 0, droppedBatches: 1, droppedRows: 10 });
    await p.close();
    await store.close();
    await ch.close();
  });
});
