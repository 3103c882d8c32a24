/**
 * A store that may not be reachable yet. A collector must start (and spool) while its ClickHouse
 * server is down, but opening a server store talks to the server; so the store is opened on the
 * first write, and again on the next write after an open that failed. Writes that fail on an open
 * store just fail: HTTP is stateless and the client's next request reconnects by itself.
 */
import type { Entity } from '@meridian/catalog';
import { columnsToRows } from '@meridian/store';
import type { AuxTable, SampleColumns, SampleRow, TableRows, WriteOptions, WriteResult } from '@meridian/store';
import type { StoreTarget } from './store-sink.js';

export interface ClosableStoreTarget extends StoreTarget {
  close(): Promise<void>;
}

/** A store that can also be read (the agent's, for the STAMP roster). */
export interface QueryableStoreTarget extends ClosableStoreTarget {
  query<T>(sql: string, params?: Record<string, unknown>): Promise<T[]>;
}

export interface ReconnectingStore extends ClosableStoreTarget {
  /** Reads through the store, opening it first if needed (the STAMP roster). */
  query<T>(sql: string, params?: Record<string, unknown>): Promise<T[]>;
  /** Whether a store is open now. */
  isOpen(): boolean;
}

export function reconnectingStore<S extends QueryableStoreTarget>(
  open: () => Promise<S>,
  onOpen?: (store: S) => Promise<void> | void,
): ReconnectingStore {
  let store: S | undefined;
  let opening: Promise<S> | undefined;

  function get(): Promise<S> {
    if (store) return Promise.resolve(store);
    opening ??= (async () => {
      try {
        const s = await open();
        await onOpen?.(s);
        store = s;
        return s;
      } finally {
        opening = undefined;
      }
    })();
    return opening;
  }

  return {
    isOpen: () => store !== undefined,
    writer(entity: Entity) {
      return {
        async write(rows: readonly SampleRow[], opts?: WriteOptions): Promise<WriteResult> {
          return (await get()).writer(entity).write(rows, opts);
        },
        async writeColumns(batch: SampleColumns, opts?: WriteOptions): Promise<WriteResult> {
          const w = (await get()).writer(entity);
          // A store without the column path takes the batch's rows.
          return w.writeColumns ? w.writeColumns(batch, opts) : w.write(columnsToRows(batch), opts);
        },
      };
    },
    async query<T>(sql: string, params?: Record<string, unknown>): Promise<T[]> {
      return (await get()).query<T>(sql, params);
    },
    async insert<T extends AuxTable>(table: T, rows: readonly TableRows[T][], opts?: WriteOptions): Promise<unknown> {
      return (await get()).insert(table, rows, opts);
    },
    async close() {
      const s = store;
      store = undefined;
      await s?.close();
    },
  };
}
