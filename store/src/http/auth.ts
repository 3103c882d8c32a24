/**
 * Who may query: one read-only user whose password lives in a 0600 file beside the data. The
 * password is kept across restarts (a Grafana datasource configured once keeps working) and is
 * created on first use. Credentials are taken the ways ClickHouse's HTTP interface takes them:
 * X-ClickHouse-User/X-ClickHouse-Key headers, HTTP Basic, or user/password URL parameters; mixing
 * two ways is refused, as ClickHouse does.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { IncomingHttpHeaders } from 'node:http';
import { readSecretFile, writeSecretFile } from '@meridian/runtime';
import { ClickHouseHttpError } from './errors.js';

export const DEFAULT_HTTP_USER = 'meridian';
export const PASSWORD_FILE = 'clickhouse-http-password';

/** The password in `file`, or a new random one written there (0600) when there is none. */
export function ensurePasswordFile(file: string): string {
  if (existsSync(file)) {
    const pw = readSecretFile(file, 'the ClickHouse HTTP password file');
    if (pw) return pw;
  }
  const pw = randomBytes(18).toString('base64url');
  writeSecretFile(file, `${pw}\n`);
  return pw;
}

export function passwordFileFor(dataDir: string): string {
  return path.join(path.resolve(dataDir), PASSWORD_FILE);
}

interface Credentials {
  user: string;
  password: string;
}

function basic(header: string | undefined): Credentials | undefined {
  if (!header || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0
    ? { user: decoded, password: '' }
    : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The request's credentials, or an error when it uses two ways at once. No credentials: ClickHouse's `default` user. */
export function credentials(headers: IncomingHttpHeaders, params: URLSearchParams): Credentials {
  const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
  const viaHeaders =
    one(headers['x-clickhouse-user']) !== undefined || one(headers['x-clickhouse-key']) !== undefined
      ? { user: one(headers['x-clickhouse-user']) ?? 'default', password: one(headers['x-clickhouse-key']) ?? '' }
      : undefined;
  const viaBasic = basic(one(headers.authorization));
  const viaParams =
    params.has('user') || params.has('password')
      ? { user: params.get('user') ?? 'default', password: params.get('password') ?? '' }
      : undefined;
  const given = [viaHeaders, viaBasic, viaParams].filter((c): c is Credentials => c !== undefined);
  if (given.length > 1)
    throw ClickHouseHttpError.of(
      'AUTHENTICATION_FAILED',
      'Invalid authentication: it is not allowed to use more than one of X-ClickHouse HTTP headers, Authorization HTTP header and user/password URL parameters simultaneously',
    );
  return given[0] ?? { user: 'default', password: '' };
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Throws ClickHouse's authentication error unless the user and password match; compares in constant time. */
export function authenticate(given: Credentials, user: string, password: string): void {
  const ok = timingSafeEqual(digest(`${given.user}\0${given.password}`), digest(`${user}\0${password}`));
  if (!ok)
    throw ClickHouseHttpError.of(
      'AUTHENTICATION_FAILED',
      `${given.user}: Authentication failed: password is incorrect, or there is no user with such name`,
    );
}
