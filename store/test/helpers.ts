import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStore, type Store, type StoreOptions } from '@meridian/store';

/** A migrated embedded store in a fresh temporary directory, removed again by `dispose`. */
export async function tempStore(
  opts: Omit<StoreOptions, 'data'> = {},
): Promise<{ store: Store; dir: string; dispose: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'meridian-store-'));
  const store = await openStore({ ...opts, data: dir });
  await store.migrate();
  return {
    store,
    dir,
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const T0 = Date.UTC(2026, 10, 25, 0, 0, 0);
