import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, resolveStoreOptions } from '@meridian/store';

describe('server target options', () => {
  it('reads the password from a file and never shows it in the description', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'meridian-opt-'));
    const file = path.join(dir, 'pw');
    writeFileSync(file, 's3cret-value\n', { mode: 0o600 });
    const o = resolveStoreOptions(
      { clickhouse: 'https://ch.example:8443' },
      { MERIDIAN_CLICKHOUSE_PASSWORD_FILE: file },
    );
    expect(o).toMatchObject({
      target: 'server',
      url: 'https://ch.example:8443',
      password: 's3cret-value',
      database: 'meridian',
    });
  });

  it('names the flag when the URL is bad', () => {
    expect(() => resolveStoreOptions({ clickhouse: 'not a url' }, {})).toThrow(/--clickhouse: not a URL/);
    expect(() => resolveStoreOptions({ clickhouse: 'ftp://x' }, {})).toThrow(/protocol must be http or https/);
  });

  it('prefers flags over the environment, and defaults to the embedded store', () => {
    expect(resolveStoreOptions({}, {})).toMatchObject({ target: 'embedded', data: path.resolve('./data') });
    expect(resolveStoreOptions({ data: '/x' }, { MERIDIAN_DATA: '/y' })).toMatchObject({ data: '/x' });
    expect(resolveStoreOptions({}, { MERIDIAN_CLICKHOUSE_URL: 'http://a:8123' })).toMatchObject({ target: 'server' });
  });
});

describe('a ClickHouse server that is down or failing', () => {
  let server: Server;
  let port: number;
  let seenAuth: string | undefined;
  beforeAll(async () => {
    server = createServer((req, res) => {
      seenAuth = req.headers.authorization;
      res.writeHead(500, { 'X-ClickHouse-Exception-Code': '999' });
      res.end('Code: 999. DB::Exception: Keeper is unavailable. (KEEPER_EXCEPTION)');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('says it cannot reach a server that is not listening, and what to check', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    await expect(openStore({ clickhouse: `http://127.0.0.1:${closed}`, requestTimeoutMs: 2000 })).rejects.toThrow(
      new RegExp(`cannot reach ClickHouse at http://127.0.0.1:${closed}: .*Check that the server is up`),
    );
  });

  it("surfaces the server's own error, authenticated with the configured user", async () => {
    await expect(
      openStore({ clickhouse: `http://127.0.0.1:${port}`, user: 'meridian', password: 'pw', requestTimeoutMs: 2000 }),
    ).rejects.toThrow(/Keeper is unavailable/);
    expect(seenAuth).toBe(`Basic ${Buffer.from('meridian:pw').toString('base64')}`);
  });
});
