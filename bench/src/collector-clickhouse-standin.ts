/**
 * A SIMULATED ClickHouse server for the collector bench: it speaks just enough of the HTTP
 * interface for the store's server client (every statement answers 200) and counts the rows of
 * each Native-format INSERT from the block header. The bench measures the collector, not the
 * database, and this machine has no ClickHouse server; the real engine is measured in bench:ingest.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** LEB128 varint, as Native blocks start: number of columns, then number of rows. */
function varint(buf: Buffer, at: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  let i = at;
  for (;;) {
    const b = buf[i++]!;
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [value, i];
    shift += 7;
  }
}

export interface StandIn {
  readonly url: string;
  /** Rows received per table, each dedup token counted once (as ClickHouse would store them). */
  readonly rows: Map<string, number>;
  readonly requests: () => number;
  close(): Promise<void>;
}

export async function startClickHouseStandIn(): Promise<StandIn> {
  const rows = new Map<string, number>();
  const seen = new Set<string>();
  let requests = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests++;
      const url = new URL(req.url ?? '/', 'http://x');
      const query = url.searchParams.get('query') ?? '';
      const token = url.searchParams.get('insert_deduplication_token') ?? '';
      const m = /^INSERT INTO (\w+)/.exec(query);
      const body = Buffer.concat(chunks);
      if (m && /FORMAT Native/.test(query) && body.length > 0 && !seen.has(token)) {
        seen.add(token);
        const [, after] = varint(body, 0);
        const [n] = varint(body, after);
        rows.set(m[1]!, (rows.get(m[1]!) ?? 0) + n);
      } else if (m && !seen.has(token)) {
        // JSONEachRow (aux tables): one row per line.
        seen.add(token);
        rows.set(m[1]!, (rows.get(m[1]!) ?? 0) + body.toString().split('\n').filter(Boolean).length);
      }
      res.writeHead(200, { 'content-type': 'text/plain', 'x-clickhouse-summary': '{}' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    rows,
    requests: () => requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
