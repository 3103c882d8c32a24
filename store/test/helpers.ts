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

/** A command as the connection gets it (on the embedded target every insert is one). */
export interface CommandParams {
  readonly query: string;
  readonly clickhouse_settings?: Record<string, unknown>;
}

/**
 * A `wrapConnection` that runs `around` for every `command`, with `run` doing the real one: to lose
 * the reply to an insert the engine took, or refuse one. Every other method goes to the real
 * connection unchanged (chdb's methods check their receiver).
 */
export function aroundCommands(
  around: (params: CommandParams, run: () => Promise<unknown>) => Promise<unknown>,
): <C extends object>(connection: C) => C {
  return (connection) =>
    new Proxy(connection, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        const method = value as (...a: unknown[]) => Promise<unknown>;
        if (prop !== 'command') return method.bind(target);
        return (params: CommandParams) => around(params, () => method.call(target, params));
      },
    });
}
