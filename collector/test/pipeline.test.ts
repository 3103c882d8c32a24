import { describe, expect, it, vi } from 'vitest';
import { createPipeline, withLabels, type Batch, type Sink } from '@meridian/collector';
import { throttledLog } from '../src/agent/throttled-log.js';

/** A sink that keeps what it is given, in order: the pipeline's only observable output. */
function recordingSink(fail?: (b: Batch) => boolean): Sink & { batches: Batch[]; closed: boolean } {
  const s = {
    batches: [] as Batch[],
    closed: false,
    async accept(b: Batch) {
      if (fail?.(b)) throw new Error('disk full');
      s.batches.push(b);
    },
    async close() {
      s.closed = true;
    },
  };
  return s;
}

const row = (i: number) => ({
  ts: 1_700_000_000_000 + i,
  source: 'sim',
  region: 'r1',
  host: 'h1',
  gpu_uuid: `GPU-${i}`,
});

describe('pipeline', () => {
  it('cuts a batch when a target buffer reaches maxRows, with deterministic tokens', async () => {
    const sink = recordingSink();
    const p = createPipeline({ sink, maxRows: 3, flushIntervalMs: 0, collectorId: 'c1', runId: 'r0' });
    p.push('gpu', [row(0), row(1), row(2), row(3)]);
    p.push('host', [{ ts: 1, source: 'host', region: 'r1', host: 'h1' }]);
    await p.flush();
    expect(sink.batches.map((b) => [b.target, b.seq, b.token, b.rows.length])).toEqual([
      ['gpu', 0, 'c1:r0:gpu:0', 3],
      ['gpu', 1, 'c1:r0:gpu:1', 1],
      ['host', 2, 'c1:r0:host:2', 1],
    ]);
    expect(sink.batches[1]?.rows[0]).toMatchObject({ gpu_uuid: 'GPU-3' });
    const st = p.stats();
    expect(st.targets.gpu).toEqual({ rowsIn: 4, rowsFlushed: 4, batches: 2, pendingRows: 0 });
    expect(st.targets.host?.rowsFlushed).toBe(1);
    expect(st.flushes).toBe(1);
  });

  it('flushes on its timer without being asked', async () => {
    vi.useFakeTimers();
    try {
      const sink = recordingSink();
      const p = createPipeline({ sink, maxRows: 1000, flushIntervalMs: 40, collectorId: 'c', runId: 'r' });
      p.push('link', [{ ts: 5, source: 'stamp', link_id: 'a->b', region_from: 'a', host: 'h' }]);
      await vi.advanceTimersByTimeAsync(39);
      expect(sink.batches).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(1);
      expect(sink.batches).toHaveLength(1);
      expect(sink.batches[0]?.token).toBe('c:r:link:0');
      await p.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('close flushes what is buffered, closes the sink, and refuses later pushes', async () => {
    const sink = recordingSink();
    const p = createPipeline({ sink, flushIntervalMs: 0, collectorId: 'c', runId: 'r' });
    p.push('gpu', [row(1), row(2)]);
    p.push('inventory', [{ ts: 1, source: 'nvidia-smi', region: 'r1', host: 'h1', gpu_uuid: 'GPU-1', model: 'H100' }]);
    await p.close();
    expect(sink.closed).toBe(true);
    expect(sink.batches.map((b) => `${b.target}:${b.rows.length}`)).toEqual(['gpu:2', 'inventory:1']);
    expect(() => p.push('gpu', [row(3)])).toThrow(/closed/);
  });

  it('runs a source drain at each flush, before the cut, so held rows reach that batch, and on close', async () => {
    const sink = recordingSink();
    const p = createPipeline({ sink, flushIntervalMs: 0, collectorId: 'c', runId: 'r' });
    const held = [row(1), row(2)];
    const calls: string[] = [];
    const off = p.beforeCut(() => {
      calls.push('drain');
      if (held.length > 0) p.push('gpu', held.splice(0));
    });
    p.push('gpu', [row(0)]);
    await p.flush();
    // One batch: the rows pushed before the flush and the ones handed over at it.
    expect(sink.batches.map((b) => b.rows.map((r) => (r as { gpu_uuid: string }).gpu_uuid))).toEqual([
      ['GPU-0', 'GPU-1', 'GPU-2'],
    ]);
    held.push(row(3));
    await p.close(); // drained while the pipeline still takes rows
    expect(sink.batches.map((b) => b.rows.length)).toEqual([3, 1]);
    expect(calls).toEqual(['drain', 'drain']);
    off();

    const p2 = createPipeline({ sink: recordingSink(), flushIntervalMs: 0 });
    const remove = p2.beforeCut(() => calls.push('removed drain'));
    const failing = p2.beforeCut(() => {
      throw new Error('a broken source');
    });
    remove();
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    p2.push('gpu', [row(9)]);
    await p2.flush(); // a drain that throws costs nobody's flush
    expect(p2.stats().targets.gpu?.rowsFlushed).toBe(1);
    expect(errors.mock.calls[0]?.[0]).toMatch(/failed to hand over its rows: Error: a broken source/);
    errors.mockRestore();
    failing();
    expect(calls).toEqual(['drain', 'drain']);
  });

  it('counts the rows of a batch the sink refused and keeps going', async () => {
    const errors: string[] = [];
    const sink = recordingSink((b) => b.seq === 0);
    const p = createPipeline({
      sink,
      maxRows: 2,
      flushIntervalMs: 0,
      collectorId: 'c',
      runId: 'r',
      onSinkError: (err, b) => errors.push(`${b.token}:${String(err)}`),
    });
    p.push('gpu', [row(1), row(2), row(3)]);
    await p.flush();
    expect(errors).toEqual(['c:r:gpu:0:Error: disk full']);
    expect(p.stats().failedRows).toBe(2);
    expect(p.stats().failedBatches).toBe(1);
    expect(sink.batches.map((b) => b.token)).toEqual(['c:r:gpu:1']);
  });

  it('a new run id keeps tokens of a restarted pipeline apart from the last run', async () => {
    const a = recordingSink();
    const b = recordingSink();
    const p1 = createPipeline({ sink: a, flushIntervalMs: 0, collectorId: 'c', now: () => 1000 });
    const p2 = createPipeline({ sink: b, flushIntervalMs: 0, collectorId: 'c', now: () => 2000 });
    p1.push('gpu', [row(1)]);
    p2.push('gpu', [row(1)]);
    await Promise.all([p1.flush(), p2.flush()]);
    expect(a.batches[0]?.token).toBe(`c:${(1000).toString(36)}:gpu:0`);
    expect(b.batches[0]?.token).not.toBe(a.batches[0]?.token);
  });

  it('withLabels fills missing labels on sample targets only, and a source value wins', async () => {
    const sink = recordingSink();
    const p = createPipeline({
      sink,
      flushIntervalMs: 0,
      processors: [withLabels({ region: 'eu-west', host: 'node-7' }, ['gpu', 'host'])],
    });
    p.push('gpu', [
      { ts: 1, source: 'nvidia-smi', gpu_uuid: 'GPU-a' },
      { ts: 1, source: 'nvidia-smi', gpu_uuid: 'GPU-b', host: 'other' },
    ]);
    p.push('link', [{ ts: 1, source: 'stamp', link_id: 'x' }]);
    await p.flush();
    expect(sink.batches[0]?.rows).toEqual([
      { ts: 1, source: 'nvidia-smi', gpu_uuid: 'GPU-a', region: 'eu-west', host: 'node-7' },
      { ts: 1, source: 'nvidia-smi', gpu_uuid: 'GPU-b', host: 'other', region: 'eu-west' },
    ]);
    expect(sink.batches[1]?.rows).toEqual([{ ts: 1, source: 'stamp', link_id: 'x' }]);
  });

  it('rejects a nonsensical maxRows', () => {
    expect(() => createPipeline({ sink: recordingSink(), maxRows: 0 })).toThrow(
      /maxRows must be a positive integer, got 0/,
    );
  });
});

describe('throttledLog', () => {
  it('writes the first line at once and folds repeats within the interval into the next line', () => {
    const lines: string[] = [];
    let now = 0;
    const log = throttledLog(
      (m) => lines.push(m),
      10_000,
      () => now,
    );
    for (let i = 0; i < 5; i++) log(`lost batch ${i}`);
    expect(lines).toEqual(['lost batch 0']);
    now = 10_000;
    log('lost batch 5');
    expect(lines).toEqual(['lost batch 0', 'lost batch 5 (and 4 more like it since the last report)']);
  });
});
