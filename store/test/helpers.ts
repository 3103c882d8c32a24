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

/**
 * Midnight two days ago: raw tables keep 14 days (TTL), and the engine drops a part whose rows are all
 * older the moment it merges, so a fixed date would make these tests fail once it ages past that.
 */
export const T0 = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 2 * 86_400_000;
