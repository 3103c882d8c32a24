/**
 * The file spool's column files: a column batch read back is the batch that was written, bit for
 * bit; one changed or cut short on disk is quarantined with an error naming the file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { columnBatch, createMemorySpool, openFileSpool, type SpoolDrop } from '@meridian/collector';
import { sliceColumns, type SampleColumns } from '@meridian/store';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'meridian-spool-cols-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Every kind of column a batch may hold, as views into larger arrays (what a cut hands the spool). */
function wide(): SampleColumns {
  const n = 6;
  const full: SampleColumns = {
    rows: n,
    ts: Float64Array.from({ length: n }, (_, i) => 1_700_000_000_123.5 + i),
    source: { dict: ['sim', 'nvidia-smi'], codes: Uint8Array.of(0, 1, 0, 1, 0, 1) },
    columns: {
      host: { dict: ['node-ä', '', 'node “7”'], codes: Uint16Array.of(0, 1, 2, 2, 1, 0) },
      gpu_uuid: { dict: ['GPU-a', 'GPU-b'], codes: Uint32Array.of(0, 1, 0, 1, 0, 1) },
      gpu_index: { values: Uint16Array.of(0, 1, 2, 3, 4, 5) },
      util_gpu: {
        values: Float64Array.of(0.1, -0, 1e-300, Number.MAX_VALUE, 33.33, 7),
        nulls: Uint8Array.of(0, 0, 0, 0, 1, 0),
      },
      temp_gpu: { values: Float32Array.of(40.5, 41, 42, 43, 44, 45) },
      xid_count: { values: Int32Array.of(-1, 0, 1, 2, 3, 2 ** 31 - 1) },
      xid_last: { values: Uint32Array.of(0, 79, 48, 0, 0, 2 ** 32 - 1) },
      pstate: { values: Uint8Array.of(0, 8, 0, 8, 0, 8) },
    },
  };
  return sliceColumns(full, 1, 5);
}

const head = { target: 'gpu' as const, seq: 4, token: 'c:r:gpu:4', createdAt: 1_700_000_000_000 };

describe('file spool: column batches', () => {
  it('reads a column batch back as it was written: array types, nulls, strings, its token', async () => {
    const dir = tempDir();
    const s1 = await openFileSpool({ dir });
    const written = wide();
    const e = await s1.append(columnBatch(head, written));
    expect(e).toMatchObject({ target: 'gpu', rows: 4 });
    await s1.close();
    const s2 = await openFileSpool({ dir }); // a new process on the same directory
    expect(s2.entries().map((x) => [x.key, x.rows])).toEqual([[e.key, 4]]);
    const back = await s2.read(s2.entries()[0]!);
    expect(back).toMatchObject(head);
    expect(back?.columns).toEqual(written);
    const bc = back!.columns!.columns;
    expect(Object.is((bc.util_gpu as { values: Float64Array }).values[0], -0)).toBe(true);
    expect(bc.temp_gpu).toEqual({ values: Float32Array.of(41, 42, 43, 44) });
    expect(back?.rows[3]).toEqual({
      ts: 1_700_000_000_127.5,
      source: 'sim',
      host: '',
      gpu_uuid: 'GPU-a',
      gpu_index: 4,
      util_gpu: null,
      temp_gpu: 44,
      xid_count: 3,
      xid_last: 0,
      pstate: 0,
    });
  });

  it('quarantines a column file whose bytes changed, naming it and the checksum', async () => {
    const dir = tempDir();
    const drops: SpoolDrop[] = [];
    const s1 = await openFileSpool({ dir });
    const e = await s1.append(columnBatch(head, wide()));
    const path = join(dir, e.key);
    const bytes = readFileSync(path);
    bytes[bytes.length - 3]! ^= 0x10; // one flipped bit in the arrays
    writeFileSync(path, bytes);
    const s2 = await openFileSpool({ dir, onDrop: (d) => drops.push(d) });
    expect(await s2.read(s2.entries()[0]!)).toBeUndefined();
    expect(drops).toHaveLength(1);
    expect(drops[0]).toMatchObject({ reason: 'corrupt', entry: { key: e.key, rows: 4 } });
    expect(drops[0]?.error).toBe(`spool file ${path} is unreadable: checksum mismatch: the file was changed or torn`);
    expect(s2.stats()).toMatchObject({ batches: 0, droppedBatches: 1, droppedRows: 4 });
  });

  it('quarantines a row file cut short the same way, with its path and the parse error', async () => {
    const dir = tempDir();
    const drops: SpoolDrop[] = [];
    const s1 = await openFileSpool({ dir });
    const e = await s1.append({ ...head, rows: [{ ts: 1, source: 'sim', gpu_uuid: 'GPU-a' }] });
    writeFileSync(join(dir, e.key), '{"v":1,"token":"c:r:gpu:4","target":"gpu","rows":[{"ts":');
    const s2 = await openFileSpool({ dir, onDrop: (d) => drops.push(d) });
    expect(await s2.read(s2.entries()[0]!)).toBeUndefined();
    expect(drops[0]?.error).toContain(`spool file ${join(dir, e.key)} is unreadable: `);
  });

  it('the memory spool keeps a column batch as it is and counts its bytes', async () => {
    const s = createMemorySpool();
    const batch = columnBatch(head, wide());
    const e = await s.append(batch);
    expect(await s.read(e)).toBe(batch);
    // A row: ts 8, codes 1 (source) + 2 (host) + 4 (gpu_uuid), numbers 2 + 8 (+1 null flag) + 4 + 4 + 4 + 1.
    expect(e).toMatchObject({ rows: 4, bytes: 4 * (8 + 1 + 2 + 4 + 2 + 8 + 1 + 4 + 4 + 4 + 1) });
  });
});
