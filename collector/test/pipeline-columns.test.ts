/**
 * The pipeline fed columns (pushColumns, the twin's path): cut at maxRows like rows, with the same
 * seq and token rules, rows and columns of a target never mixed in one batch, processors applied.
 */
import { describe, expect, it } from 'vitest';
import { createPipeline, withLabels, type Batch, type Processor, type Sink } from '@meridian/collector';
import {
  stringColumn,
  type NumberColumn,
  type SampleColumns,
  type SampleRow,
  type StringColumn,
} from '@meridian/store';

function recordingSink(): Sink & { batches: Batch[] } {
  const s = {
    batches: [] as Batch[],
    async accept(b: Batch) {
      s.batches.push(b);
    },
    async close() {},
  };
  return s;
}

/** `n` GPU samples from `first` on: gpu_uuid GPU-<i>, util_gpu i. */
function columns(first: number, n: number): SampleColumns {
  const idx = Array.from({ length: n }, (_, k) => first + k);
  return {
    rows: n,
    ts: Float64Array.from(idx, (i) => 1_700_000_000_000 + i),
    source: 'sim',
    columns: {
      region: stringColumn(idx.map(() => 'r1')),
      gpu_uuid: stringColumn(idx.map((i) => `GPU-${i}`)),
      util_gpu: { values: Float64Array.from(idx) },
    },
  };
}

/** A sample batch's rows (the Batch union also spans the aux tables' row types). */
const sampleRows = (b: Batch | undefined): readonly SampleRow[] => (b?.rows ?? []) as readonly SampleRow[];

const uuids = (b: Batch | undefined): string[] => {
  const c = b?.columns?.columns.gpu_uuid as StringColumn;
  return Array.from(c.codes, (code) => c.dict[code]!);
};

describe('pipeline: column batches', () => {
  it('cuts at exactly maxRows across parts, in order, with the row path’s seq and tokens', async () => {
    const sink = recordingSink();
    const p = createPipeline({ sink, maxRows: 4, flushIntervalMs: 0, collectorId: 'c1', runId: 'r0' });
    p.pushColumns('gpu', columns(0, 3));
    p.pushColumns('gpu', columns(3, 6)); // crosses two cuts
    p.push('host', [{ ts: 1, source: 'host', region: 'r1', host: 'h1' }]);
    await p.flush();
    expect(sink.batches.map((b) => [b.target, b.seq, b.token, b.columns?.rows ?? b.rows.length])).toEqual([
      ['gpu', 0, 'c1:r0:gpu:0', 4],
      ['gpu', 1, 'c1:r0:gpu:1', 4],
      ['host', 2, 'c1:r0:host:2', 1],
      ['gpu', 3, 'c1:r0:gpu:3', 1],
    ]);
    expect(uuids(sink.batches[0])).toEqual(['GPU-0', 'GPU-1', 'GPU-2', 'GPU-3']);
    expect(uuids(sink.batches[1])).toEqual(['GPU-4', 'GPU-5', 'GPU-6', 'GPU-7']);
    expect(Array.from((sink.batches[1]?.columns?.columns.util_gpu as NumberColumn).values)).toEqual([4, 5, 6, 7]);
    expect(uuids(sink.batches[3])).toEqual(['GPU-8']);
    expect(p.stats().targets.gpu).toEqual({ rowsIn: 9, rowsFlushed: 9, batches: 3, pendingRows: 0 });
  });

  it('gives a column batch’s rows when asked, built from its columns', async () => {
    const sink = recordingSink();
    const p = createPipeline({ sink, flushIntervalMs: 0 });
    p.pushColumns('gpu', columns(0, 2));
    await p.flush();
    expect(sink.batches[0]?.rows).toEqual([
      { ts: 1_700_000_000_000, source: 'sim', region: 'r1', gpu_uuid: 'GPU-0', util_gpu: 0 },
      { ts: 1_700_000_000_001, source: 'sim', region: 'r1', gpu_uuid: 'GPU-1', util_gpu: 1 },
    ]);
  });

  it('never mixes a target’s rows and columns in one batch, and keeps the order they came in', async () => {
    const sink = recordingSink();
    const p = createPipeline({ sink, maxRows: 100, flushIntervalMs: 0, collectorId: 'c', runId: 'r' });
    p.push('gpu', [{ ts: 1, source: 'nvidia-smi', gpu_uuid: 'GPU-row-0' }]);
    p.pushColumns('gpu', columns(0, 2));
    p.push('gpu', [{ ts: 2, source: 'nvidia-smi', gpu_uuid: 'GPU-row-1' }]);
    await p.flush();
    expect(sink.batches.map((b) => [b.seq, b.columns ? 'columns' : 'rows'])).toEqual([
      [0, 'rows'],
      [1, 'columns'],
      [2, 'rows'],
    ]);
    expect(sampleRows(sink.batches[2])[0]?.gpu_uuid).toBe('GPU-row-1');
  });

  it('applies withLabels to columns: a lacking label becomes constant, an empty one is filled', async () => {
    const sink = recordingSink();
    const p = createPipeline({
      sink,
      flushIntervalMs: 0,
      processors: [withLabels({ region: 'eu-west', host: 'node-7' })],
    });
    const c = columns(0, 2);
    p.pushColumns('gpu', { ...c, columns: { ...c.columns, region: stringColumn(['', 'us-east']) } });
    await p.flush();
    expect(sampleRows(sink.batches[0]).map((r) => [r.region, r.host])).toEqual([
      ['eu-west', 'node-7'],
      ['us-east', 'node-7'],
    ]);
  });

  it('refuses columns for an aux table, a processor that takes only rows, and pushes after close', async () => {
    const rowsOnly: Processor = { name: 'rows-only', process: (_t, rows) => rows };
    const p = createPipeline({ sink: recordingSink(), flushIntervalMs: 0, processors: [rowsOnly] });
    expect(() => p.pushColumns('gpu', columns(0, 1))).toThrow(/processor "rows-only" takes rows only/);
    const q = createPipeline({ sink: recordingSink(), flushIntervalMs: 0 });
    expect(() => q.pushColumns('topology' as 'gpu', columns(0, 1))).toThrow(
      /"topology" is not a sample target \(gpu, host, link\)/,
    );
    await q.close();
    expect(() => q.pushColumns('gpu', columns(0, 1))).toThrow(/pipeline is closed/);
  });
});
