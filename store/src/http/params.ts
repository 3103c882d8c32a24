/**
 * A request as ClickHouse's HTTP interface reads it: the query from the `query` URL parameter, the
 * body, or both (the parameter first, then a newline, then the body); `database`, `default_format`
 * and `query_id`; `param_<name>` bound parameters; and every other URL parameter a setting for this
 * query. Settings that only shape the HTTP answer are kept here instead of reaching the engine.
 */
import { randomUUID } from 'node:crypto';
import { splitStatements } from '../statements.js';
import { ClickHouseHttpError } from './errors.js';

export interface HttpQuery {
  /** One statement, without a trailing semicolon. */
  readonly sql: string;
  readonly database: string | undefined;
  /** The format the answer is in: the query's own FORMAT clause, else default_format, else TabSeparated. */
  readonly format: string;
  /** What the engine is told to use when the query names no format. */
  readonly defaultFormat: string;
  readonly queryId: string;
  /** Settings for the engine, by name (values as sent, applied as string literals). */
  readonly settings: Readonly<Record<string, string>>;
  /** `param_<name>` values, in ClickHouse's text form, bound by the engine to `{name:Type}`. */
  readonly params: Readonly<Record<string, string>>;
  /** enable_http_compression=1: compress the answer when Accept-Encoding allows. */
  readonly compress: boolean;
  readonly compressionLevel: number | undefined;
}

/** URL parameters that are not settings (ClickHouse's HTTPHandler reserves these names). */
const RESERVED = new Set([
  'query',
  'database',
  'default_format',
  'query_id',
  'user',
  'password',
  'quota_key',
  'stacktrace',
  'role',
  'session_id',
  'session_timeout',
  'session_check',
  'client_protocol_version',
  'close_session',
]);
/** Settings that shape only the HTTP answer; the engine has no use for them (chDB refuses some). */
const HTTP_ONLY = new Set([
  'enable_http_compression',
  'http_zlib_compression_level',
  'wait_end_of_query',
  'send_progress_in_http_headers',
  'http_headers_progress_interval_ms',
  'http_response_buffer_size',
  'buffer_size',
  'http_wait_end_of_query',
  'add_http_cors_header',
  'cancel_http_readonly_queries_on_client_close',
  'http_native_compression_disable_checksumming_on_decompress',
]);

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Bounds for what a URL may carry, so a hostile request cannot make us build huge SET statements. */
export const MAX_PARAMS = 200;
export const MAX_VALUE_CHARS = 64 * 1024;

const bad = (message: string): ClickHouseHttpError => ClickHouseHttpError.of('BAD_ARGUMENTS', message);

/** The format named by a trailing `FORMAT X` clause, for the X-ClickHouse-Format header. */
export function formatClause(sql: string): string | undefined {
  return /\bFORMAT\s+([A-Za-z][A-Za-z0-9_]*)\s*$/i.exec(sql)?.[1];
}

export function parseHttpQuery(params: URLSearchParams, body: string): HttpQuery {
  let count = 0;
  for (const [k, v] of params) {
    if (++count > MAX_PARAMS) throw bad(`too many URL parameters (more than ${MAX_PARAMS})`);
    if (v.length > MAX_VALUE_CHARS && k !== 'query')
      throw bad(`URL parameter ${k} is ${v.length} characters long; at most ${MAX_VALUE_CHARS}`);
  }
  for (const flag of ['compress', 'decompress'])
    if (params.get(flag) === '1')
      throw ClickHouseHttpError.of(
        'NOT_IMPLEMENTED',
        `${flag}=1 (ClickHouse's native block compression) is not supported by this endpoint; use HTTP compression: enable_http_compression=1 with Accept-Encoding, or Content-Encoding on the request`,
      );
  const inUrl = params.get('query') ?? '';
  const text = inUrl && body ? `${inUrl}\n${body}` : inUrl || body;
  const statements = splitStatements(text);
  if (statements.length === 0) throw ClickHouseHttpError.of('SYNTAX_ERROR', 'Empty query');
  if (statements.length > 1)
    throw ClickHouseHttpError.of(
      'SYNTAX_ERROR',
      `Multi-statements are not allowed: the request holds ${statements.length} statements; send one per request`,
    );
  const sql = statements[0]!;
  // chDB (like clickhouse-local) writes INTO OUTFILE itself, even in readonly mode; a server never
  // does over HTTP. Refused on the word anywhere (even in a string), so no quoting trick hides it.
  if (/\bOUTFILE\b/i.test(sql)) throw ClickHouseHttpError.of('INTO_OUTFILE_NOT_ALLOWED', 'INTO OUTFILE is not allowed');

  const settings: Record<string, string> = {};
  const bound: Record<string, string> = {};
  for (const [k, v] of params) {
    if (RESERVED.has(k) || k === 'compress' || k === 'decompress') continue;
    if (k.startsWith('param_')) {
      const name = k.slice(6);
      if (!NAME.test(name))
        throw bad(`query parameter name "${name}" (from ${k}) must be letters, digits and underscores`);
      bound[name] = v;
      continue;
    }
    if (!NAME.test(k)) throw ClickHouseHttpError.of('UNKNOWN_SETTING', `Unknown setting '${k}'`);
    if (HTTP_ONLY.has(k)) continue;
    if (k === 'readonly') {
      // The endpoint's user is readonly=1 whatever is asked; asking for less is ClickHouse's error.
      if (v !== '1' && v !== '2')
        throw ClickHouseHttpError.of('READONLY', "Cannot modify 'readonly' setting in readonly mode");
      continue;
    }
    settings[k] = v;
  }
  const database = params.get('database') || undefined;
  if (database !== undefined && !NAME.test(database))
    throw ClickHouseHttpError.of('UNKNOWN_DATABASE', `Database ${database} does not exist`);
  const defaultFormat = params.get('default_format') || 'TabSeparated';
  if (!NAME.test(defaultFormat)) throw ClickHouseHttpError.of('UNKNOWN_FORMAT', `Unknown format ${defaultFormat}`);
  const queryId = params.get('query_id') || randomUUID();
  if (queryId.length > 256) throw bad('query_id is longer than 256 characters');
  const levelText = params.get('http_zlib_compression_level');
  const level = levelText === null ? undefined : Number(levelText);
  if (level !== undefined && !(Number.isInteger(level) && level >= 1 && level <= 9))
    throw bad(`http_zlib_compression_level must be an integer 1..9, got "${levelText}"`);
  return {
    sql,
    database,
    format: formatClause(sql) ?? defaultFormat,
    defaultFormat,
    queryId,
    settings,
    params: bound,
    compress: params.get('enable_http_compression') === '1',
    compressionLevel: level,
  };
}
