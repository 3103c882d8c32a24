/**
 * A full spool disk (issue 17.3). The spool lives on a 64 KiB tmpfs where this test may mount one
 * (root), else on a normal directory with ENOSPC injected into the spool's file writes. Either way
 * every batch is too big for the spool: with the store healthy its rows must still land (sent
 * straight to the store with their tokens), nothing `*.tmp` may be left behind, and only when the
 * store fails too is a batch lost and counted.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openStore, type SampleRow, type Store } from '@meridian/store';
import { createPipeline, createStoreSink, openFileSpool, type StoreTarget } from '@meridian/collector';

/** Set when no tmpfs could be mounted: the spool's writes then fail with ENOSPC after creating their file. */
const inject = vi.hoisted(() => ({ enospc: false }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof real.open = async (...args: Parameters<typeof real.open>) => {
    const fh = await real.open(...args);
    if (!inject.enospc || !String(args[0]).endsWith('.batch.tmp')) return fh;
    // A half-written file, then the error a full disk gives.
    fh.writeFile = async (data: Parameters<typeof fh.writeFile>[0]) => {
      await real.appendFile(String(args[0]), String(data).slice(0, 100));
      throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: 'ENOSPC', errno: -28 });
    };
    return fh;
  };
  return { ...real, open, default: { ...real, open } };
});

const root = mkdtempSync(join(tmpdir(), 'meridian-spool-full-'));
const spoolDir = join(root, 'spool');
let store: Store | undefined;
let mounted = false;

beforeAll(async () => {
  execFileSync('mkdir', ['-p', spoolDir]);
  try {
    // MERIDIAN_TEST_NO_TMPFS=1 runs the injected path where a mount would work (to check both).
    if (process.env['MERIDIAN_TEST_NO_TMPFS']) throw new Error('tmpfs not wanted');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', spoolDir], { stdio: 'ignore' });
    mounted = true;
  } catch {
    inject.enospc = true;
  }
  console.info(`spool-full: ${mounted ? 'a real 64 KiB tmpfs' : 'injected ENOSPC (no tmpfs mount here)'}`);
  store = await openStore({ data: join(root, 'data') });
  await store.migrate();
}, 60_000);
afterAll(async () => {
  await store?.close();
  if (mounted) execFileSync('umount', [spoolDir]);
  rmSync(root, { recursive: true, force: true });
});

let open = true;
const target: StoreTarget = {
  writer: (entity) => ({
    write: (rows, opts) => (open ? store!.writer(entity).write(rows, opts) : Promise.reject(new Error('store down'))),
  }),
  insert: (table, rows, opts) => store!.insert(table, rows, opts),
};

let nextTs = Date.now() - 3_600_000;
/** 2,000 rows: about 200 KB of JSON, more than the whole 64 KiB spool. */
function rows(host: string, n = 2_000): SampleRow[] {
  return Array.from({ length: n }, () => ({
    ts: nextTs++,
    source: 'nvidia-smi',
    region: 'eu-west',
    host,
    gpu_uuid: 'GPU-0',
    util_gpu: 50,
  }));
}

async function stored(host: string): Promise<number> {
  const [r] = await store!.query<{ n: string }>('SELECT count() AS n FROM gpu_samples WHERE host = {host:String}', {
    host,
  });
  return Number(r?.n);
}

describe('a spool that cannot be written', () => {
  it('sends batches straight to a healthy store, counts them, and leaves no .tmp file', async () => {
    const spoolErrors: string[] = [];
    const spool = await openFileSpool({ dir: spoolDir });
    const sink = createStoreSink({ store: target, spool, onSpoolError: (err) => spoolErrors.push(String(err)) });
    const pipeline = createPipeline({ sink, maxRows: 100_000, flushIntervalMs: 0, collectorId: 'c', runId: 'full' });
    for (let i = 0; i < 3; i++) {
      pipeline.push('gpu', rows('full-1'));
      await pipeline.flush();
    }
    expect(await stored('full-1')).toBe(6_000);
    expect(spoolErrors).toHaveLength(3);
    expect(spoolErrors[0]).toMatch(/ENOSPC/);
    expect(sink.stats()).toMatchObject({ unspooledBatches: 3, batchesWritten: 3, rowsWritten: 6_000 });
    expect(pipeline.stats().failedBatches).toBe(0);
    expect(readdirSync(spoolDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await pipeline.close();
  });

  it('loses a batch only when the store fails too, and says both reasons', async () => {
    const lost: string[] = [];
    const spool = await openFileSpool({ dir: spoolDir });
    const sink = createStoreSink({ store: target, spool });
    const pipeline = createPipeline({
      sink,
      maxRows: 100_000,
      flushIntervalMs: 0,
      collectorId: 'c',
      runId: 'both',
      onSinkError: (err) => lost.push(String(err)),
    });
    open = false;
    try {
      pipeline.push('gpu', rows('full-2'));
      await pipeline.flush();
    } finally {
      open = true;
    }
    expect(pipeline.stats()).toMatchObject({ failedBatches: 1, failedRows: 2_000 });
    expect(lost[0]).toMatch(/not spooled \(ENOSPC.*\) and the store write failed \(store down\)/);
    expect(await stored('full-2')).toBe(0);
    expect(readdirSync(spoolDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await pipeline.close();
  });
});
