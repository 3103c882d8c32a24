import { readFileSync } from 'node:fs';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { startClickHouseHttp, type ClickHouseHttpServer, type SampleRow, type Store } from '@meridian/store';
import { T0, tempStore } from '../helpers.js';

/** GPU rows over two regions and an hour, so panels have something to group. */
export function gpuRows(n: number, from = T0): SampleRow[] {
  const rows: SampleRow[] = [];
  for (let i = 0; i < n; i++)
    rows.push({
      ts: from + i * 1000,
      source: 'sim',
      region: i % 2 ? 'eu-north' : 'us-east',
      host: `h${i % 5}`,
      gpu_uuid: `GPU-${i % 8}`,
      gpu_index: i % 8,
      util_gpu: (i * 7) % 100,
      power_draw: 100 + (i % 300),
      temp_gpu: 40 + (i % 40),
    });
  return rows;
}

export interface Endpoint {
  store: Store;
  dir: string;
  http: ClickHouseHttpServer;
  password: string;
  client: (extra?: Parameters<typeof createClient>[0]) => ClickHouseClient;
  dispose: () => Promise<void>;
}

/** A migrated store with rows, served on a free port; `client()` is @clickhouse/client logged in. */
export async function servedStore(rows = 2000): Promise<Endpoint> {
  const { store, dir, dispose } = await tempStore();
  if (rows) await store.writer('gpu').write(gpuRows(rows));
  const http = await startClickHouseHttp({ dataDir: dir, port: 0 });
  const password = readFileSync(http.passwordFile, 'utf8').trim();
  const clients: ClickHouseClient[] = [];
  return {
    store,
    dir,
    http,
    password,
    client: (extra = {}) => {
      const c = createClient({ url: http.url, username: http.user, password, ...extra });
      clients.push(c);
      return c;
    },
    dispose: async () => {
      for (const c of clients) await c.close();
      await http.close();
      await dispose();
    },
  };
}
