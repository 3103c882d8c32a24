import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { servedStore, type Endpoint } from './fixture.js';

const PANEL = `SELECT toStartOfMinute(ts) AS t, region, avg(util_gpu) AS util, max(temp_gpu) AS temp, count() AS n
  FROM gpu_samples GROUP BY t, region ORDER BY t, region`;

describe('ClickHouse HTTP interface: formats through @clickhouse/client', () => {
  let ep: Endpoint;
  let client: ClickHouseClient;
  beforeAll(async () => {
    ep = await servedStore();
    client = ep.client();
  });
  afterAll(() => ep.dispose());

  it('writes a 0600 password file and answers /ping', async () => {
    expect(statSync(ep.http.passwordFile).mode & 0o777).toBe(0o600);
    expect((await client.ping()).success).toBe(true);
    const res = await fetch(`${ep.http.url}/ping`);
    expect(await res.text()).toBe('Ok.\n');
  });

  it.each(['JSON', 'JSONEachRow', 'JSONCompactEachRow', 'TabSeparated', 'TabSeparatedWithNames', 'CSV'] as const)(
    'answers %s with the rows the store gives in process',
    async (format) => {
      const over = await client.query({ query: PANEL, format });
      const local = await ep.store.client.query({ query: PANEL, format });
      expect(over.response_headers['x-clickhouse-format']).toBe(format);
      // JSON's statistics carry the elapsed time, which differs from run to run.
      const strip = (t: string): string => t.replace(/"elapsed": [0-9.e-]+/, '"elapsed": 0');
      expect(strip(await over.text())).toBe(strip(await local.text()));
    },
  );

  it('answers the binary formats (Native, RowBinary family) byte for byte as in process', async () => {
    for (const format of ['Native', 'RowBinary', 'RowBinaryWithNames', 'RowBinaryWithNamesAndTypes']) {
      const res = await client.exec({ query: `${PANEL} FORMAT ${format}` });
      const chunks: Buffer[] = [];
      for await (const c of res.stream) chunks.push(c as Buffer);
      const local = await ep.store.client.exec({ query: `${PANEL} FORMAT ${format}` });
      const lchunks: Buffer[] = [];
      for await (const c of local.stream) lchunks.push(c as Buffer);
      const body = Buffer.concat(chunks);
      expect(body.length, format).toBeGreaterThan(100);
      expect(body.equals(Buffer.concat(lchunks)), format).toBe(true);
    }
  });

  it('binds query parameters (param_*) and applies settings from the URL', async () => {
    const rows = await client
      .query({
        query: 'SELECT count() AS n, {r:String} AS r FROM gpu_samples WHERE region = {r:String}',
        query_params: { r: 'eu-north' },
        format: 'JSONEachRow',
        clickhouse_settings: { max_threads: 1 },
      })
      .then((r) => r.json<{ n: number; r: string }>());
    expect(rows).toEqual([{ n: 1000, r: 'eu-north' }]); // chDB leaves 64-bit integers unquoted, in process too
    const setting = await client
      .query({
        query: "SELECT getSetting('max_threads') AS v",
        format: 'JSONEachRow',
        clickhouse_settings: { max_threads: 3 },
      })
      .then((r) => r.json<{ v: string | number }>());
    expect(Number(setting[0]!.v)).toBe(3);
  });

  it('sends the summary, query id and format headers', async () => {
    const res = await fetch(`${ep.http.url}/?query_id=q-42&default_format=JSONEachRow`, {
      method: 'POST',
      headers: { 'X-ClickHouse-User': ep.http.user, 'X-ClickHouse-Key': ep.password },
      body: 'SELECT count() AS n FROM gpu_samples WHERE util_gpu >= 0',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-clickhouse-query-id')).toBe('q-42');
    expect(res.headers.get('x-clickhouse-format')).toBe('JSONEachRow');
    const summary = JSON.parse(res.headers.get('x-clickhouse-summary') ?? '{}') as Record<string, string>;
    expect(Number(summary.read_rows)).toBeGreaterThan(0); // as chDB counts it
    expect(Number(summary.elapsed_ns)).toBeGreaterThan(0);
    expect(await res.text()).toBe('{"n":2000}\n');
  });

  it('takes the query in the URL, the body, or both (URL first, then the body)', async () => {
    const auth = `user=${ep.http.user}&password=${encodeURIComponent(ep.password)}`;
    const get = await fetch(`${ep.http.url}/?${auth}&query=${encodeURIComponent('SELECT 1 + 1')}`);
    expect(await get.text()).toBe('2\n');
    const both = await fetch(`${ep.http.url}/?${auth}&query=${encodeURIComponent('SELECT 40')}`, {
      method: 'POST',
      body: '+ 2 AS x FORMAT JSONEachRow',
    });
    expect(await both.text()).toBe('{"x":42}\n');
    const basic = await fetch(`${ep.http.url}/?database=default`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${ep.http.user}:${ep.password}`).toString('base64')}` },
      body: 'SELECT count() FROM gpu_samples',
    });
    expect(await basic.text()).toBe('2000\n');
  });

  it('answers the request clickhouse-go (Grafana’s datasource, HTTP protocol) sends on connect and per panel', async () => {
    // Basic auth, database and settings in the URL, default_format=Native, the query as the POST body.
    const url = `${ep.http.url}/?database=default&max_execution_time=60&default_format=Native`;
    const auth = { authorization: `Basic ${Buffer.from(`${ep.http.user}:${ep.password}`).toString('base64')}` };
    const tz = await fetch(url, { method: 'POST', headers: auth, body: 'SELECT timeZone()' });
    expect(tz.status).toBe(200);
    expect(tz.headers.get('x-clickhouse-format')).toBe('Native');
    const local = await ep.store.client.exec({ query: 'SELECT timeZone() FORMAT Native' });
    const chunks: Buffer[] = [];
    for await (const c of local.stream) chunks.push(c as Buffer);
    expect(Buffer.from(await tz.arrayBuffer()).equals(Buffer.concat(chunks))).toBe(true);
    const panel = await fetch(url, { method: 'POST', headers: auth, body: PANEL });
    expect(panel.status).toBe(200);
    expect((await panel.arrayBuffer()).byteLength).toBeGreaterThan(100);
  });

  it('compresses the answer when the client asks (gzip, deflate, br)', async () => {
    const gz = ep.client({ compression: { response: true } });
    const rows = await gz.query({ query: PANEL, format: 'JSONEachRow' }).then((r) => r.json());
    expect(rows.length).toBeGreaterThan(10);
    for (const enc of ['gzip', 'deflate', 'br']) {
      const res = await fetch(`${ep.http.url}/?enable_http_compression=1`, {
        method: 'POST',
        headers: { 'X-ClickHouse-User': ep.http.user, 'X-ClickHouse-Key': ep.password, 'accept-encoding': enc },
        body: 'SELECT count() FROM gpu_samples',
      });
      expect(res.headers.get('content-encoding'), enc).toBe(enc);
      expect(await res.text(), enc).toBe('2000\n'); // fetch decodes it
    }
  });
});
