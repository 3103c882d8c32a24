import { describe, expect, it } from 'vitest';
import { authenticate, credentials } from '../../src/http/auth.js';
import { chooseEncoding } from '../../src/http/compression.js';
import { ClickHouseHttpError, fromEngine, httpStatusFor } from '../../src/http/errors.js';
import { parseHttpQuery } from '../../src/http/params.js';

const q = (qs: string, body = ''): ReturnType<typeof parseHttpQuery> => parseHttpQuery(new URLSearchParams(qs), body);
const fails = (f: () => unknown): ClickHouseHttpError => {
  try {
    f();
  } catch (err) {
    if (err instanceof ClickHouseHttpError) return err;
    throw err;
  }
  throw new Error('did not throw');
};

describe('reading a request as ClickHouse does', () => {
  it('splits URL parameters into settings, bound parameters and the reserved names', () => {
    const r = q(
      'query=SELECT%201&database=default&default_format=JSON&query_id=a&max_threads=2&param_r=eu&enable_http_compression=1&wait_end_of_query=1&readonly=2&session_id=x',
    );
    expect(r).toMatchObject({
      sql: 'SELECT 1',
      database: 'default',
      format: 'JSON',
      queryId: 'a',
      settings: { max_threads: '2' },
      params: { r: 'eu' },
      compress: true,
    });
  });

  it('joins the URL query and the body with a newline, and reads the FORMAT clause for the header', () => {
    expect(q('query=SELECT', '1 AS x FORMAT JSONEachRow;')).toMatchObject({
      sql: 'SELECT\n1 AS x FORMAT JSONEachRow',
      format: 'JSONEachRow',
      defaultFormat: 'TabSeparated',
    });
  });

  it('names the key or value it refuses', () => {
    expect(fails(() => q('', '  ')).message).toBe('Empty query');
    expect(fails(() => q('bad-name=1', 'SELECT 1')).message).toBe("Unknown setting 'bad-name'");
    expect(fails(() => q('param_a-b=1', 'SELECT 1')).message).toMatch(/query parameter name "a-b" \(from param_a-b\)/);
    expect(fails(() => q('readonly=0', 'SELECT 1')).code).toBe(164);
    expect(fails(() => q('database=a.b', 'SELECT 1')).message).toBe('Database a.b does not exist');
    expect(fails(() => q('default_format=a%20b', 'SELECT 1')).message).toBe('Unknown format a b');
    expect(fails(() => q('http_zlib_compression_level=12', 'SELECT 1')).message).toMatch(
      /http_zlib_compression_level must be an integer 1\.\.9, got "12"/,
    );
    expect(fails(() => q(`max_threads=${'9'.repeat(70_000)}`, 'SELECT 1')).message).toMatch(
      /URL parameter max_threads is 70000 characters long/,
    );
    expect(fails(() => q(Array.from({ length: 201 }, (_, i) => `s${i}=1`).join('&'), 'SELECT 1')).message).toMatch(
      /too many URL parameters/,
    );
    expect(fails(() => q('', "SELECT 'a'; SELECT 2")).message).toMatch(
      /Multi-statements are not allowed: the request holds 2/,
    );
    expect(fails(() => q('', "SELECT 1 INTO OUTFILE 'x'")).code).toBe(358);
  });

  it('takes credentials from headers, Basic or the URL, one way at a time, and compares them whole', () => {
    const basic = `Basic ${Buffer.from('meridian:pw').toString('base64')}`;
    expect(credentials({ authorization: basic }, new URLSearchParams())).toEqual({ user: 'meridian', password: 'pw' });
    expect(credentials({ 'x-clickhouse-user': 'u', 'x-clickhouse-key': 'k' }, new URLSearchParams())).toEqual({
      user: 'u',
      password: 'k',
    });
    expect(credentials({}, new URLSearchParams('user=u&password=p'))).toEqual({ user: 'u', password: 'p' });
    expect(credentials({}, new URLSearchParams())).toEqual({ user: 'default', password: '' });
    expect(fails(() => credentials({ authorization: basic }, new URLSearchParams('user=u'))).code).toBe(516);
    expect(() => authenticate({ user: 'meridian', password: 'pw' }, 'meridian', 'pw')).not.toThrow();
    expect(fails(() => authenticate({ user: 'meridian', password: 'p' }, 'meridian', 'pw')).code).toBe(516);
    expect(fails(() => authenticate({ user: 'other', password: 'pw' }, 'meridian', 'pw')).message).toMatch(
      /^other: Authentication failed/,
    );
  });

  it('maps codes to HTTP statuses as ClickHouse does and reads the engine’s error text', () => {
    expect([516, 194, 62, 60, 164, 159, 48].map(httpStatusFor)).toEqual([403, 401, 400, 404, 500, 408, 501]);
    const e = fromEngine(
      new Error(
        'Code: 73. DB::Exception: Code: 73. DB::Exception: Unknown format Foo. (UNKNOWN_FORMAT) (version 26.7.2.1). (UNKNOWN_FORMAT)',
      ),
    );
    expect([e.code, e.type]).toEqual([73, 'UNKNOWN_FORMAT']);
    expect(e.text()).toMatch(/^Code: 73\. DB::Exception: Unknown format Foo\. \(UNKNOWN_FORMAT\)/);
    expect(chooseEncoding('br;q=0, gzip')).toBe('gzip');
    expect(chooseEncoding('zstd')).toBeUndefined();
  });
});
