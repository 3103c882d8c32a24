import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readStorePassword, resolveStoreTarget } from './target.js';
import type { StoreOptions } from './types.js';

export interface ResolvedEmbedded {
  readonly target: 'embedded';
  readonly data: string;
}

export interface ResolvedServer {
  readonly target: 'server';
  readonly url: string;
  readonly database: string;
  readonly user: string;
  readonly password: string;
  readonly tlsCa?: Buffer;
  readonly requestTimeoutMs: number;
}

export type ResolvedStoreOptions = ResolvedEmbedded | ResolvedServer;

/**
 * Options that name a target (a caller's flags or config) decide it whole; only when they name none
 * does the environment choose, through the rule every command uses (target.ts). The password may
 * come from a file so that it never has to sit in a unit file or a process listing.
 */
export function resolveStoreOptions(
  opts: StoreOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedStoreOptions {
  const target =
    opts.clickhouse !== undefined
      ? ({ kind: 'server', clickhouse: opts.clickhouse, from: '--clickhouse' } as const)
      : opts.data !== undefined
        ? ({ kind: 'embedded', data: path.resolve(opts.data), from: '--data' } as const)
        : resolveStoreTarget({ env });
  if (target.kind === 'embedded') return { target: 'embedded', data: target.data };
  const url = target.clickhouse;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${target.from}: not a URL: "${url}". Expected e.g. http://clickhouse:8123`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(`${target.from}: protocol must be http or https, got "${parsed.protocol}"`);
  }
  const password = readStorePassword({ password: opts.password, env });
  const caFile = opts.tlsCaFile ?? env.MERIDIAN_CLICKHOUSE_CA_FILE;
  let tlsCa: Buffer | undefined;
  if (caFile) {
    try {
      tlsCa = readFileSync(caFile);
    } catch (err) {
      throw new Error(`MERIDIAN_CLICKHOUSE_CA_FILE: cannot read ${caFile}: ${(err as Error).message}`, { cause: err });
    }
  }
  const timeout = opts.requestTimeoutMs ?? Number(env.MERIDIAN_CLICKHOUSE_TIMEOUT_MS ?? 60_000);
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw new Error(`MERIDIAN_CLICKHOUSE_TIMEOUT_MS: must be a positive number of milliseconds`);
  }
  return {
    target: 'server',
    url: `${parsed.protocol}//${parsed.host}`,
    database: opts.database ?? env.MERIDIAN_CLICKHOUSE_DATABASE ?? 'meridian',
    user: opts.user ?? env.MERIDIAN_CLICKHOUSE_USER ?? 'default',
    password: password ?? '',
    ...(tlsCa ? { tlsCa } : {}),
    requestTimeoutMs: timeout,
  };
}

/** A form of the options that is safe to print: the password never appears. */
export function describeTarget(o: ResolvedStoreOptions): string {
  return o.target === 'embedded'
    ? `embedded chDB at ${o.data}`
    : `ClickHouse ${o.url} database ${o.database} as ${o.user}`;
}
