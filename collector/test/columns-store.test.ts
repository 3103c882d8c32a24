/**
 * Column batches end to end on the real embedded store: through the pipeline and the sink they land
 * with the same values as the same samples written as rows; spooled to a file spool, they survive a
 * restart and land exactly once; a spooled column file that is torn is set aside and reported.
 */
import { mkdtempSync, readdirSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPipeline,
  createStoreSink,
  openFileSpool,
  type Batch,
  type SpoolDrop,
  type StoreTarget,
} from '@meridian/collector';
import { openStore, SampleColumnsBuilder, type SampleColumns, type SampleRow, type Store } from '@meridian/store';
import { until } from './until.js';

const root = mkdtempSync(join(tmpdir(), 'meridian-columns-'));
let store: Store | undefined;

beforeAll(async () => {
  store = await openStore({ data: join(root, 'data') });
  await store.migrate();
});
afterAll(async () => {
  await store?.close();
  rmSync(root, { recursive: true, force: true });
});

const target: StoreTarget = {
  writer: (entity) => ({
    write: (rows, opts) => store!.writer(entity).write(rows, opts),
    writeColumns: (batch, opts) => store!.writer(entity).writeColumns(batch, opts),
    prepareColumns: (batch, opts) => store!.writer(entity).prepareColumns(batch, opts),
  }),
  insert: (table, rows, opts) => store!.insert(table, rows, opts),
};

// Recent instants: the raw tables drop rows older than their retention on insert.
const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;

/**
 * `ticks` seconds of 3 GPUs' samples from `source`: floats, a counter (energy_total, whose
 * increases the store derives), an integer, a numeric label, and a metric absent now and then.
 */
function samples(source: string, ticks: number): SampleColumns[] {
  const b = new SampleColumnsBuilder({
    source,
    labels: [
      { name: 'region', kind: 'string' },
      { name: 'host', kind: 'string' },
      { name: 'gpu_uuid', kind: 'string' },
      { name: 'gpu_index', kind: 'number' },
      { name: 'model', kind: 'string' },
    ],
    metrics: ['util_gpu', 'power_draw', 'energy_total', 'xid_count', 'temp_gpu'],
  });
  const out: SampleColumns[] = [];
  for (let t = 0; t < ticks; t++) {
    for (let g = 0; g < 3; g++)
      b.append(
        T0 + t * 1000,
        ['eu-west', `node-${g >> 1}`, `GPU-${source}-${g}`, g, g === 2 ? 'H100 “SXM”' : 'A100'],
        [(t * 7 + g) % 101, 250.25 + g, 1000 + t * 300.5 + g, t >> 3, (t + g) % 5 === 0 ? null : 40 + g / 4],
      );
    out.push(b.take());
  }
  return out;
}

async function landed(source: string): Promise<Record<string, unknown>[]> {
  return store!.query<Record<string, unknown>>(
    `SELECT * EXCEPT (source, gpu_uuid), replaceOne(gpu_uuid, concat('GPU-', {source:String}, '-'), '') AS gpu
     FROM gpu_samples WHERE source = {source:String} ORDER BY gpu, ts`,
    { source },
  );
}

describe('column batches into the store', () => {
  it('land with the same values as the same samples written as rows', async () => {
    const viaRows = createStoreSink({ store: target });
    const viaCols = createStoreSink({ store: target });
    const rowsPipe = createPipeline({ sink: viaRows, maxRows: 25, flushIntervalMs: 0, collectorId: 'rows' });
    const colsPipe = createPipeline({ sink: viaCols, maxRows: 25, flushIntervalMs: 0, collectorId: 'cols' });
    for (const c of samples('via-rows', 20)) {
      const rows: SampleRow[] = [];
      // The row path gets what a row source would send: objects, no key for an absent value.
      for (let i = 0; i < c.rows; i++) rows.push(rowOf(c, i));
      rowsPipe.push('gpu', rows);
    }
    for (const c of samples('via-cols', 20)) colsPipe.pushColumns('gpu', c);
    await Promise.all([rowsPipe.flush(), colsPipe.flush()]);
    await Promise.all([viaRows.drained(), viaCols.drained()]);
    const a = await landed('via-rows');
    const b = await landed('via-cols');
    expect(a).toHaveLength(60);
    expect(b).toEqual(a);
    // A sample that was absent is NULL in both, and the derived counter increase is there.
    expect(b.filter((r) => r.temp_gpu === null)).toHaveLength(12);
    expect(b[1]).toMatchObject({ gpu: '0', energy_total: 1300.5 });
    expect(viaCols.stats()).toMatchObject({ rowsWritten: 60, batchesWritten: 3, rowsRejected: 0 });
    await Promise.all([rowsPipe.close(), colsPipe.close()]);
  });

  it('spooled to a file spool, survive a restart and land exactly once', async () => {
    const dir = join(root, 'spool-restart');
    let attempts = 0;
    const down: StoreTarget = {
      writer: () => ({
        write: () => Promise.reject(new Error('connect ECONNREFUSED')),
        writeColumns: () => {
          attempts++;
          return Promise.reject(new Error('connect ECONNREFUSED'));
        },
      }),
      insert: () => Promise.reject(new Error('connect ECONNREFUSED')),
    };
    const sink1 = createStoreSink({ store: down, spool: await openFileSpool({ dir }), retry: { initialMs: 60_000 } });
    const p1 = createPipeline({ sink: sink1, maxRows: 30, flushIntervalMs: 0, collectorId: 'c', runId: 'run1' });
    for (const c of samples('restart', 20)) p1.pushColumns('gpu', c);
    await p1.flush();
    await until(() => attempts >= 1, 'the first attempt');
    await p1.close({ deadlineMs: 100 });
    expect(readdirSync(dir).filter((f) => f.endsWith('.batch'))).toHaveLength(2);

    // The first batch did reach the store before the "crash" (its answer was lost): the replay
    // must not double it.
    const spool = await openFileSpool({ dir });
    const first = await spool.read(spool.entries()[0]!);
    expect(first?.columns?.rows).toBe(30);
    await store!.writer('gpu').writeColumns(first!.columns!, { token: first!.token });

    const written: Batch[] = [];
    const sink2 = createStoreSink({ store: target, spool, onWritten: (b) => written.push(b) });
    await sink2.drained();
    expect(written.map((b) => [b.token, b.columns?.rows])).toEqual([
      ['c:run1:gpu:0', 30],
      ['c:run1:gpu:1', 30],
    ]);
    const rows = await landed('restart');
    expect(rows).toHaveLength(60);
    expect(new Set(rows.map((r) => `${String(r.gpu)}@${String(r.ts)}`)).size).toBe(60);
    // Lossless: the replayed batch carries the same values as one never spooled.
    const direct = createStoreSink({ store: target });
    const p3 = createPipeline({ sink: direct, maxRows: 30, flushIntervalMs: 0, collectorId: 'direct' });
    for (const c of samples('restart-direct', 20)) p3.pushColumns('gpu', c);
    await p3.flush();
    await direct.drained();
    expect(rows).toEqual(await landed('restart-direct'));
    await Promise.all([sink2.close(), p3.close()]);
  });

  it('a torn column file is set aside under corrupt/ and reported with its path; the rest land', async () => {
    const dir = join(root, 'spool-torn');
    const down: StoreTarget = {
      writer: () => ({
        write: () => Promise.reject(new Error('down')),
        writeColumns: () => Promise.reject(new Error('down')),
      }),
      insert: () => Promise.reject(new Error('down')),
    };
    const sink1 = createStoreSink({ store: down, spool: await openFileSpool({ dir }), retry: { initialMs: 60_000 } });
    const p1 = createPipeline({ sink: sink1, maxRows: 30, flushIntervalMs: 0, collectorId: 'c', runId: 'torn' });
    for (const c of samples('torn', 20)) p1.pushColumns('gpu', c);
    await p1.close({ deadlineMs: 100 });
    const [tornName] = readdirSync(dir)
      .filter((f) => f.endsWith('.batch'))
      .sort();
    truncateSync(join(dir, tornName!), 5000); // a torn write: the header, part of the arrays

    const drops: SpoolDrop[] = [];
    const sink2 = createStoreSink({
      store: target,
      spool: await openFileSpool({ dir, onDrop: (d) => drops.push(d) }),
    });
    await sink2.drained();
    expect(drops.map((d) => d.reason)).toEqual(['corrupt']);
    expect(drops[0]?.error).toContain(join(dir, tornName!));
    expect(drops[0]?.error).toMatch(/truncated: 5000 bytes/);
    expect(drops[0]?.entry.rows).toBe(30);
    expect(readdirSync(join(dir, 'corrupt'))).toEqual([tornName]);
    expect(await landed('torn')).toHaveLength(30);
    await sink2.close();
  });
});

/** Row i of a batch as a row source would send it (an absent metric has no key). */
function rowOf(c: SampleColumns, i: number): SampleRow {
  const row: SampleRow = { ts: c.ts[i]!, source: c.source as string };
  for (const [name, col] of Object.entries(c.columns)) {
    if ('codes' in col) row[name] = col.dict[col.codes[i]!]!;
    else if (col.nulls?.[i] !== 1) row[name] = col.values[i]!;
  }
  return row;
}
