import { existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseError } from '@clickhouse/client';
import { until } from '../../../collector/test/until.js';
import { servedStore, type Endpoint } from './fixture.js';

describe('ClickHouse HTTP interface: what it refuses, in ClickHouse’s words', () => {
  let ep: Endpoint;
  beforeAll(async () => {
    ep = await servedStore(200);
  });
  afterAll(() => ep.dispose());

  const post = (body: string | Buffer, qs = '', headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${ep.http.url}/?${qs}`, {
      method: 'POST',
      headers: { 'X-ClickHouse-User': ep.http.user, 'X-ClickHouse-Key': ep.password, ...headers },
      body: typeof body === 'string' ? body : new Uint8Array(body),
    });

  it('answers a wrong password with code 516 (403) and no data', async () => {
    const wrong = ep.client({ password: 'not-it' });
    const err = await wrong
      .query({ query: 'SELECT count() FROM gpu_samples', format: 'JSON' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClickHouseError);
    expect((err as ClickHouseError).code).toBe('516');
    expect((err as ClickHouseError).type).toBe('AUTHENTICATION_FAILED');
    const res = await fetch(`${ep.http.url}/?query=SELECT%20count()%20FROM%20gpu_samples`);
    expect(res.status).toBe(403);
    expect(res.headers.get('x-clickhouse-exception-code')).toBe('516');
    expect(await res.text()).toMatch(/^Code: 516\. DB::Exception: default: Authentication failed/);
  });

  it.each([
    ['INSERT INTO gpu_samples SELECT * FROM gpu_samples LIMIT 1', 164],
    ['DROP TABLE gpu_samples', 164],
    ['CREATE TABLE x (a UInt8) ENGINE = Memory', 164],
    ['SET readonly = 0', 164],
    ['SELECT 1 SETTINGS readonly = 0', 164],
    ["SELECT * FROM file('/etc/passwd', 'LineAsString')", 164],
    ["SELECT * FROM url('http://127.0.0.1:1/', 'CSV', 'a String')", 164],
    ["INSERT INTO FUNCTION file('x.csv') SELECT 1", 164],
  ])('refuses %s with code %i (the engine’s readonly)', async (sql, code) => {
    const res = await post(sql);
    expect(res.status).toBe(500);
    expect(res.headers.get('x-clickhouse-exception-code')).toBe(String(code));
    expect(await res.text()).toMatch(/READONLY/);
  });

  it('refuses several statements, INTO OUTFILE and readonly=0 in the URL before running anything', async () => {
    const multi = await post('SELECT 1; DROP TABLE gpu_samples');
    expect(multi.status).toBe(400);
    expect(await multi.text()).toMatch(/^Code: 62\. .*Multi-statements are not allowed/);
    const out = await post("SELECT 1 INTO OUTFILE '/tmp/meridian-http-outfile'");
    expect(await out.text()).toMatch(/^Code: 358\. .*INTO OUTFILE is not allowed/);
    expect(existsSync('/tmp/meridian-http-outfile')).toBe(false);
    const ro = await post('SELECT 1', 'readonly=0');
    expect(ro.headers.get('x-clickhouse-exception-code')).toBe('164');
    expect((await ep.store.query<{ n: number }>('SELECT count() AS n FROM gpu_samples'))[0]!.n).toBe(200);
  });

  it('answers bad requests with errors that name what is wrong', async () => {
    const fmt = await post('SELECT 1', 'default_format=NoSuchFormat');
    expect(fmt.status).toBe(404);
    expect(await fmt.text()).toMatch(/^Code: 73\. .*Unknown format NoSuchFormat/);
    const setting = await post('SELECT 1', 'no_such_setting=1');
    expect(setting.headers.get('x-clickhouse-exception-code')).toBe('115');
    expect(await setting.text()).toMatch(/no_such_setting/);
    const name = await post('SELECT 1', `${encodeURIComponent("x'; DROP")}=1`);
    expect(await name.text()).toMatch(/^Code: 115\. .*Unknown setting 'x'; DROP'/);
    const value = await post('SELECT 1', `max_threads=${encodeURIComponent("1'; DROP TABLE gpu_samples; --")}`);
    expect(value.status).not.toBe(200);
    const param = await post('SELECT {x:UInt8}', 'param_x=notanumber');
    expect(param.status).toBe(500); // the engine's BAD_QUERY_PARAMETER, which ClickHouse also answers with 500
    expect(await param.text()).toMatch(/notanumber/);
    const huge = await post(Buffer.alloc(2 * 1024 * 1024, 0x20));
    expect(huge.status).toBe(400);
    expect(await huge.text()).toMatch(/Max query size exceeded: the request body is over 1048576 bytes/);
    const bomb = await post(gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x20)), '', { 'content-encoding': 'gzip' });
    expect(await bomb.text()).toMatch(/Max query size exceeded: the decoded body is over/);
    const native = await post('SELECT 1', 'compress=1');
    expect(native.status).toBe(501);
    expect(await native.text()).toMatch(/compress=1 .* is not supported/);
    const db = await post('SELECT 1', 'database=nope');
    expect(await db.text()).toMatch(/^Code: 81\./);
    const syntax = await post('SELEC 1');
    expect(syntax.status).toBe(400);
    expect(await syntax.text()).toMatch(/^Code: 62\. DB::Exception: Syntax error/);
    const other = await fetch(`${ep.http.url}/play`);
    expect(other.status).toBe(404);
    expect((await ep.store.query<{ n: number }>('SELECT count() AS n FROM gpu_samples'))[0]!.n).toBe(200);
  });

  it('honours max_execution_time (code 159, 408)', async () => {
    const res = await post(
      'SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) % 7 = 3',
      'max_execution_time=0.3',
    );
    expect(res.status).toBe(408);
    expect(await res.text()).toMatch(/^Code: 159\. .*Timeout exceeded/);
  });

  it('kills the query when its client disconnects', async () => {
    const running = async (): Promise<number> =>
      Number(
        (
          await ep.store.query<{ n: number }>(
            "SELECT count() AS n FROM system.processes WHERE query LIKE '%sipHash64(number) % 7 = 3%' AND query LIKE '%meridian-http:%' AND query NOT LIKE '%system.processes%'",
          )
        )[0]!.n,
      );
    const ac = new AbortController();
    const pending = fetch(`${ep.http.url}/`, {
      method: 'POST',
      headers: { 'X-ClickHouse-User': ep.http.user, 'X-ClickHouse-Key': ep.password },
      body: 'SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) % 7 = 3',
      signal: ac.signal,
    }).catch((e: unknown) => e);
    await until(async () => (await running()) === 1, 'the slow query to run in the engine');
    ac.abort();
    await pending;
    // Without the kill it would run for the endpoint's 60 s cap.
    await until(async () => (await running()) === 0 && ep.http.load().running === 0, 'the killed query to end', 5000);
  });
});
