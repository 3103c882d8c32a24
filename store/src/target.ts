/**
 * The one rule for where the store is, used by every command (`up`, `collect`, `schedule`,
 * `migrate`, `sql`, …): a command-line flag, then the command's config file, then the environment,
 * then the default `./data`. The first layer that names a target decides it whole, so a flag for one
 * target clears the other (`--data D` with MERIDIAN_CLICKHOUSE_URL set writes to D). A layer that
 * names both targets is refused with the names of both, rather than one silently winning.
 */
import path from 'node:path';
import { readSecretFile } from '@meridian/runtime';

/** What one layer says about the target. */
export interface TargetChoice {
  readonly data?: string | undefined;
  readonly clickhouse?: string | undefined;
}

export interface TargetSources {
  /** The command's flags (`--data`, `--clickhouse`). */
  readonly flags?: TargetChoice;
  /** The command's config file: `store.data` / `store.clickhouse`, and the file's path for messages. */
  readonly config?: TargetChoice & { readonly file: string };
  readonly env?: NodeJS.ProcessEnv;
}

export type StoreTarget =
  | { readonly kind: 'embedded'; readonly data: string; readonly from: string }
  | { readonly kind: 'server'; readonly clickhouse: string; readonly from: string };

export class StoreTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreTargetError';
  }
}

function layer(choice: TargetChoice | undefined, names: { data: string; clickhouse: string }): StoreTarget | undefined {
  const data = choice?.data || undefined;
  const clickhouse = choice?.clickhouse || undefined;
  if (data && clickhouse)
    throw new StoreTargetError(
      `${names.data} and ${names.clickhouse} name two different stores: keep one (the embedded directory or the ClickHouse server)`,
    );
  if (clickhouse) return { kind: 'server', clickhouse, from: names.clickhouse };
  if (data) return { kind: 'embedded', data: path.resolve(data), from: names.data };
  return undefined;
}

/** The target the first layer names, or undefined when none names one (no default applied). */
export function namedStoreTarget(src: TargetSources = {}): StoreTarget | undefined {
  const env = src.env ?? process.env;
  const cfg = src.config;
  return (
    layer(src.flags, { data: '--data', clickhouse: '--clickhouse' }) ??
    (cfg
      ? layer(cfg, { data: `store.data in ${cfg.file}`, clickhouse: `store.clickhouse in ${cfg.file}` })
      : undefined) ??
    layer(
      { data: env.MERIDIAN_DATA, clickhouse: env.MERIDIAN_CLICKHOUSE_URL },
      { data: 'MERIDIAN_DATA', clickhouse: 'MERIDIAN_CLICKHOUSE_URL' },
    )
  );
}

export function resolveStoreTarget(src: TargetSources = {}): StoreTarget {
  return namedStoreTarget(src) ?? { kind: 'embedded', data: path.resolve('./data'), from: 'the default ./data' };
}

/** The store options a target opens with: exactly one of `data` or `clickhouse`. */
export function targetOptions(t: StoreTarget): { data: string } | { clickhouse: string } {
  return t.kind === 'embedded' ? { data: t.data } : { clickhouse: t.clickhouse };
}

export interface PasswordSources {
  /** A password given directly (by an API caller; never from a flag, which a process listing shows). */
  readonly password?: string | undefined;
  /** A password file named by a config key, with that key's name for messages. */
  readonly file?: { readonly path: string; readonly key: string } | undefined;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The one reader of the ClickHouse password: given, then a config key's file, then
 * MERIDIAN_CLICKHOUSE_PASSWORD_FILE, then MERIDIAN_CLICKHOUSE_PASSWORD. Files go through
 * readSecretFile, which refuses one that group or others can read.
 */
export function readStorePassword(src: PasswordSources = {}): string | undefined {
  const env = src.env ?? process.env;
  if (src.password !== undefined) return src.password;
  if (src.file) return readSecretFile(src.file.path, src.file.key);
  if (env.MERIDIAN_CLICKHOUSE_PASSWORD_FILE)
    return readSecretFile(env.MERIDIAN_CLICKHOUSE_PASSWORD_FILE, 'MERIDIAN_CLICKHOUSE_PASSWORD_FILE');
  return env.MERIDIAN_CLICKHOUSE_PASSWORD;
}
