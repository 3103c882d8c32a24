/**
 * `meridian sql` while another Meridian process (`meridian up`, `meridian serve`) holds the data
 * directory: chDB lets one process open it, so the query goes to that process's ClickHouse HTTP
 * endpoint (recorded next to the lock) instead. The endpoint is read-only: statements that write
 * get the engine's READONLY error, said plainly.
 */
import { createClient, ClickHouseError, ClickHouseLogLevel } from '@clickhouse/client';
import { readSecretFile } from '@meridian/runtime';
import type { HolderEndpoint } from './lock.js';
import type { QueryParams } from './types.js';

export interface RemoteSql {
  query(sql: string, params?: QueryParams): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export function remoteSql(ep: HolderEndpoint): RemoteSql {
  const password = readSecretFile(ep.passwordFile, "the holder's ClickHouse HTTP password file");
  const client = createClient({
    url: ep.url,
    username: ep.user,
    password,
    log: { level: ClickHouseLogLevel.OFF },
  });
  return {
    query: async (sql, params) => {
      try {
        const rs = await client.query({
          query: sql,
          format: 'JSONEachRow',
          ...(params ? { query_params: params } : {}),
        });
        return await rs.json<Record<string, unknown>>();
      } catch (err) {
        if (err instanceof ClickHouseError && err.type === 'READONLY')
          throw new Error(
            `${err.message.trim()}: the running process serves this store read-only; stop it to write, or write through it`,
            { cause: err },
          );
        throw err;
      }
    },
    close: () => client.close(),
  };
}
