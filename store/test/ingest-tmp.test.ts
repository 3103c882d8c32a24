/**
 * The embedded writer hands each block to the engine through a file in <data>/ingest-tmp. On a full
 * disk that write fails part way; the partial file must go, as it does after an insert.
 */
import * as fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Store } from '@meridian/store';
import { T0, tempStore } from './helpers.js';

const disk = vi.hoisted(() => ({ full: false }));

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return {
    ...real,
    // While the "disk" is full, a .native block gets half written and then ENOSPC, as write(2) does.
    writeFileSync: (file: fs.PathOrFileDescriptor, data: string | NodeJS.ArrayBufferView, ...rest: []) => {
      if (disk.full && typeof file === 'string' && file.endsWith('.native')) {
        real.writeFileSync(file, 'partial');
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      real.writeFileSync(file, data, ...rest);
    },
  };
});

describe('ingest-tmp on a full disk', () => {
  let store: Store;
  let dir: string;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ store, dir, dispose } = await tempStore());
  });
  afterAll(() => dispose());

  it('fails the write with ENOSPC and leaves no partial .native file behind', async () => {
    const row = { ts: T0, source: 'test', region: 'r', host: 'h', gpu_uuid: 'GPU-1', util_gpu: 50 };
    disk.full = true;
    await expect(store.writer('gpu').write([row])).rejects.toThrow(/ENOSPC/);
    expect(fs.readdirSync(path.join(dir, 'ingest-tmp'))).toEqual([]);
    // And the disk freed, the same row goes in (the tmp directory is still usable).
    disk.full = false;
    expect((await store.writer('gpu').write([row])).written).toBe(1);
    expect(fs.readdirSync(path.join(dir, 'ingest-tmp'))).toEqual([]);
  });
});
