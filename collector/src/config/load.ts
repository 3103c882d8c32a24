/**
 * Loads collector.yaml: YAML → environment overrides → zod validation → secrets from files.
 * Every error is a ConfigError whose message starts with the key path (and, for an override, the
 * variable it came from), so an operator can go straight to the line to fix.
 */
import { readFileSync } from 'node:fs';
import { SecretFileModeError } from '@meridian/runtime';
import { namedStoreTarget, readStorePassword, type StoreTarget } from '@meridian/store';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { collectorConfigSchema, type CollectorConfig } from './schema.js';
import { ENV_PREFIX, envOverrides } from './env.js';

export class ConfigError extends Error {
  constructor(
    /** Dotted key path, e.g. "pipeline.flushIntervalMs"; "" for the file as a whole. */
    readonly key: string,
    readonly problem: string,
    readonly origin: string,
  ) {
    super(`${origin}: ${key ? `${key}: ` : ''}${problem}`);
    this.name = 'ConfigError';
  }
}

/** Values the collector needs but never prints. */
export interface CollectorSecrets {
  readonly clickhousePassword?: string;
}

export interface LoadedConfig {
  readonly config: CollectorConfig;
  readonly secrets: CollectorSecrets;
  /** Which keys came from the environment, for the start-up log (names only, never values). */
  readonly fromEnv: readonly string[];
}

export interface LoadOptions {
  /** Environment to read overrides and secrets from. Default: process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Settings from command-line flags; they win over everything. Dotted keys. */
  readonly flags?: Readonly<Record<string, string | undefined>>;
  /** Read the password file now (default). Off only to validate a config away from its host. */
  readonly readSecrets?: boolean;
}

function keyOf(path: readonly PropertyKey[]): string {
  let key = '';
  for (const part of path) key += typeof part === 'number' ? `[${part}]` : `${key ? '.' : ''}${String(part)}`;
  return key;
}

function setPath(obj: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let at = obj;
  for (const part of path.slice(0, -1)) {
    const next = at[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) at[part] = {};
    at = at[part] as Record<string, unknown>;
  }
  at[path[path.length - 1]!] = value;
}

function describeIssue(issue: z.core.$ZodIssue): { key: string; problem: string } {
  if (issue.code === 'unrecognized_keys') {
    const base = keyOf(issue.path);
    const k = issue.keys[0] ?? '';
    return { key: base ? `${base}.${k}` : k, problem: 'is not a setting here (check its spelling and section)' };
  }
  return { key: keyOf(issue.path), problem: issue.message };
}

/** Parses YAML text (already read) into a validated config. `origin` names the file in errors. */
export function parseConfig(text: string, origin: string, opts: LoadOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const doc = parseDocument(text);
  const yamlError = doc.errors[0];
  if (yamlError) {
    const pos = yamlError.linePos?.[0];
    const what = yamlError.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new ConfigError('', `invalid YAML${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}: ${what}`, origin);
  }
  const raw: unknown = doc.toJS() ?? {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError('', 'must be a YAML mapping (key: value lines)', origin);
  }
  const input = raw as Record<string, unknown>;
  const store = input['store'];
  if (store && typeof store === 'object' && 'password' in store) {
    throw new ConfigError(
      'store.password',
      'passwords do not belong in the config file: use store.passwordFile, or MERIDIAN_CLICKHOUSE_PASSWORD / MERIDIAN_CLICKHOUSE_PASSWORD_FILE',
      origin,
    );
  }

  // Where each key came from, so an error in an override names the variable.
  const originOf = new Map<string, string>();
  const overrides = envOverrides(env);
  for (const o of overrides) {
    if (o.error) throw new ConfigError(o.key, o.error, o.variable);
    setPath(input, o.path, o.value);
    originOf.set(o.key, o.variable);
  }
  // The store target follows the one rule every command uses (@meridian/store namedStoreTarget):
  // a flag, then this file (with its per-key overrides), then MERIDIAN_CLICKHOUSE_URL / MERIDIAN_DATA;
  // the first that names a target decides it whole, so `--data` clears a server named in the file.
  const storeIn = (input['store'] ??= {}) as Record<string, unknown>;
  const named = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const fileTarget = { data: named(storeIn['data']), clickhouse: named(storeIn['clickhouse']), file: origin };
  for (const [key, value] of Object.entries(opts.flags ?? {})) {
    if (value === undefined) continue;
    setPath(input, key.split('.'), value);
    originOf.set(key, `--${key.split('.').pop()}`);
  }
  let target: StoreTarget | undefined;
  try {
    // Only a named target: a GPU host never falls back to an embedded ./data, which would load chDB
    // (~240 MB) by accident; with none named, the schema's check below says store.clickhouse is required.
    target = namedStoreTarget({
      flags: { data: named(opts.flags?.['store.data']), clickhouse: named(opts.flags?.['store.clickhouse']) },
      config: fileTarget,
      env,
    });
  } catch (err) {
    throw new ConfigError('store', (err as Error).message, origin);
  }
  delete storeIn['data'];
  delete storeIn['clickhouse'];
  if (target?.kind === 'server') storeIn['clickhouse'] = target.clickhouse;
  else if (target) storeIn['data'] = target.data;
  if (target) originOf.set(target.kind === 'server' ? 'store.clickhouse' : 'store.data', target.from);

  const result = collectorConfigSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const { key, problem } = describeIssue(issue);
    throw new ConfigError(key, problem, originOf.get(key) ?? origin);
  }
  const config = result.data;
  if (!config.store.clickhouse && !config.store.data) {
    throw new ConfigError(
      'store.clickhouse',
      'is required: the ClickHouse server URL to write to (or store.data for the embedded store, all-in-one only)',
      origin,
    );
  }

  let clickhousePassword: string | undefined;
  if (opts.readSecrets === false) return { config, secrets: {}, fromEnv: overrides.map((o) => o.variable) };
  // The store's one password reader: store.passwordFile, then MERIDIAN_CLICKHOUSE_PASSWORD_FILE, then
  // MERIDIAN_CLICKHOUSE_PASSWORD; files go through readSecretFile, which refuses one others can read.
  const keyFile = config.store.passwordFile;
  try {
    clickhousePassword = readStorePassword({
      file: keyFile ? { path: keyFile, key: 'store.passwordFile' } : undefined,
      env,
    });
  } catch (err) {
    const key = keyFile ? 'store.passwordFile' : '';
    const where = key ? origin : 'MERIDIAN_CLICKHOUSE_PASSWORD_FILE';
    if (err instanceof SecretFileModeError) {
      throw new ConfigError(key, err.message.slice(err.message.indexOf(': ') + 2), where);
    }
    const cause = (err as { cause?: NodeJS.ErrnoException }).cause;
    throw new ConfigError(
      key,
      `cannot read the password file ${keyFile ?? env['MERIDIAN_CLICKHOUSE_PASSWORD_FILE']} (${cause?.code ?? 'unreadable'})`,
      where,
    );
  }
  return {
    config,
    secrets: clickhousePassword === undefined ? {} : { clickhousePassword },
    fromEnv: overrides.map((o) => o.variable),
  };
}

export function loadConfig(file: string, opts: LoadOptions = {}): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      '',
      `cannot read the config file (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      file,
    );
  }
  return parseConfig(text, file, opts);
}

/** The config as it may be printed or logged: credentials inside URLs are masked. */
export function redactConfig(config: CollectorConfig): CollectorConfig {
  const mask = (u: string | undefined): string | undefined => {
    if (!u) return u;
    try {
      const url = new URL(u);
      if (url.password) url.password = '***';
      return url.toString();
    } catch {
      return u;
    }
  };
  return { ...config, store: { ...config.store, clickhouse: mask(config.store.clickhouse) } };
}

export { ENV_PREFIX };
