import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemorySpool, createStoreSink, openFileSpool, type Batch, type SpoolDrop } from '@meridian/collector';
import { until } from './until.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'meridian-spool-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function batch(seq: number, rows: number, createdAt = 1_700_000_000_000 + seq): Batch {
  return {
    target: 'gpu',
    seq,
    token: `c:r:gpu:${seq}`,
    createdAt,
    rows: Array.from({ length: rows }, (_, i) => ({
      ts: createdAt,
      source: 'sim',
      region: 'r',
      host: 'h',
      gpu_uuid: `G${i}`,
    })),
  };
}

describe('file spool (the write-ahead log)', () => {
  it('gives batches back in order with their original tokens after a reopen', async () => {
    const dir = tempDir();
    const s1 = await openFileSpool({ dir });
    for (let i = 0; i < 3; i++) await s1.append(batch(i, 2));
    await s1.ack(s1.entries()[0]!);
    await s1.close();

    const s2 = await openFileSpool({ dir });
    expect(s2.entries().map((e) => [e.target, e.rows])).toEqual([
      ['gpu', 2],
      ['gpu', 2],
    ]);
    const back = await Promise.all(s2.entries().map((e) => s2.read(e)));
    expect(back.map((b) => b?.token)).toEqual(['c:r:gpu:1', 'c:r:gpu:2']);
    expect(back[1]?.rows[1]).toEqual({ ts: 1_700_000_000_002, source: 'sim', region: 'r', host: 'h', gpu_uuid: 'G1' });
    // New appends continue after the old ones, so replay order holds across runs.
    const e = await s2.append(batch(7, 1));
    expect(s2.entries().at(-1)).toBe(e);
    expect(e.key > s2.entries()[0]!.key).toBe(true);
    expect(s2.stats()).toMatchObject({ batches: 3, rows: 5, droppedBatches: 0 });
  });

  it('past its byte bound drops the OLDEST batches first, and counts and reports them', async () => {
    const dir = tempDir();
    const drops: SpoolDrop[] = [];
    const probe = await openFileSpool({ dir: tempDir() });
    const one = (await probe.append(batch(0, 10))).bytes;
    // Room for three batches of this size, not four.
    const s = await openFileSpool({ dir, maxBytes: one * 3 + 10, onDrop: (d) => drops.push(d) });
    for (let i = 0; i < 5; i++) await s.append(batch(i, 10));
    const kept = await Promise.all(s.entries().map((e) => s.read(e)));
    expect(kept.map((b) => b?.seq)).toEqual([2, 3, 4]);
    expect(drops.map((d) => [d.reason, d.entry.rows])).toEqual([
      ['bytes', 10],
      ['bytes', 10],
    ]);
    expect(s.stats()).toMatchObject({ batches: 3, rows: 30, droppedBatches: 2, droppedRows: 20 });
    expect(readdirSync(dir).filter((f) => f.endsWith('.batch'))).toHaveLength(3);
  });

  it('drops batches older than its age bound', async () => {
    const dir = tempDir();
    const s = await openFileSpool({ dir, maxAgeMs: 60_000 });
    await s.append(batch(0, 4, 1_000_000));
    await s.append(batch(1, 5, 1_050_000));
    const dropped = await s.expire(1_100_000);
    expect(dropped.map((d) => [d.reason, d.entry.rows])).toEqual([['age', 4]]);
    expect(s.stats()).toMatchObject({ batches: 1, rows: 5, droppedRows: 4 });
  });

  it('refuses a single batch larger than the whole bound, naming both sizes', async () => {
    const s = await openFileSpool({ dir: tempDir(), maxBytes: 100 });
    await expect(s.append(batch(0, 10))).rejects.toThrow(/exceeds the spool's bound of 100 bytes/);
  });

  it('removes half-written .tmp files and quarantines a corrupt batch', async () => {
    const dir = tempDir();
    const s1 = await openFileSpool({ dir });
    await s1.append(batch(0, 1));
    await s1.append(batch(1, 1));
    const [first] = s1.entries();
    writeFileSync(join(dir, first!.key), '{"v":1,"token":"c:r:gpu:0","target":"gpu","rows":[{"ts":'); // torn
    writeFileSync(join(dir, '000000000009-5.gpu.1.batch.tmp'), 'partial');
    const drops: SpoolDrop[] = [];
    const s2 = await openFileSpool({ dir, onDrop: (d) => drops.push(d) });
    expect(readdirSync(dir).some((f) => f.endsWith('.tmp'))).toBe(false);
    expect(await s2.read(s2.entries()[0]!)).toBeUndefined();
    expect(drops.map((d) => d.reason)).toEqual(['corrupt']);
    expect(readdirSync(join(dir, 'corrupt'))).toEqual([first!.key]);
    expect((await s2.read(s2.entries()[0]!))?.token).toBe('c:r:gpu:1');
  });

  it('rejects a non-positive bound by name', async () => {
    await expect(openFileSpool({ dir: tempDir(), maxBytes: 0 })).rejects.toThrow(/spool maxBytes must be > 0, got 0/);
  });
});

describe('memory spool', () => {
  it('applies the same oldest-first rule', async () => {
    const drops: SpoolDrop[] = [];
    const s = createMemorySpool({ maxBytes: 3 * 10 * 5 * 16, onDrop: (d) => drops.push(d) });
    for (let i = 0; i < 4; i++) await s.append(batch(i, 10));
    expect((await Promise.all(s.entries().map((e) => s.read(e)))).map((b) => b?.seq)).toEqual([1, 2, 3]);
    expect(s.stats()).toMatchObject({ droppedBatches: 1, droppedRows: 10 });
    expect(drops).toHaveLength(1);
  });
});

describe('a spool that fails while the sink replays it', () => {
  it('reports the error, never rejects unhandled, and replays from the next accepted batch', async () => {
    const spool = createMemorySpool();
    const realRead = spool.read.bind(spool);
    let failReads = 1;
    spool.read = async (entry) => {
      if (failReads-- > 0) throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
      return realRead(entry);
    };
    const stored: string[] = [];
    const replayErrors: string[] = [];
    const sink = createStoreSink({
      spool,
      store: {
        writer: () => ({
          write: async (rows, opts) => {
            const token = opts?.token ?? '';
            stored.push(token);
            return { written: rows.length, rejected: [], token };
          },
        }),
        insert: async () => undefined,
      },
      onReplayError: (err) => replayErrors.push(String(err)),
    });
    // A batch the sink has not cached (left by a previous run): the loop must read it from the spool.
    await spool.append(batch(0, 1, Date.now()));
    await sink.accept(batch(1, 1, Date.now()));
    await until(() => replayErrors.length === 1, 'the replay error');
    expect(replayErrors[0]).toMatch(/EIO/);
    expect(sink.stats().lastError).toMatch(/EIO/);
    await sink.accept(batch(2, 1, Date.now()));
    await sink.drained();
    expect(stored).toEqual(['c:r:gpu:0', 'c:r:gpu:1', 'c:r:gpu:2']);
    await sink.close();
  });
});
