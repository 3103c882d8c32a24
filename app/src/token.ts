/**
 * The operator bearer token for the scheduler API in `meridian up`: $MERIDIAN_API_TOKEN, or a fresh
 * random one written with @meridian/store's writeSecretFile (a new 0600 file in the target's
 * directory, then renamed over it, so a pre-existing 0644 file does not keep its mode). Never printed:
 * the terminal and its logs are not a secret store. Never in a shared temporary directory, where
 * another user could predict the name.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeSecretFile } from '@meridian/runtime';

export interface ApiToken {
  readonly secret: string;
  /** Where it is; undefined when it came from the environment. */
  readonly file: string | undefined;
  /** Removes the file if this run created it only for itself (a server store); else nothing. */
  dispose(): void;
}

export interface TokenPlace {
  /**
   * The embedded store's directory; the token goes beside the data as `api-token` and stays. Without
   * one (a server store) it goes to this user's private run directory (created 0700), cleaned at exit.
   */
  readonly dataDir?: string;
}

/** A private directory for per-run files when there is no data directory: $XDG_RUNTIME_DIR or ~/.meridian. */
export function privateRunDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'meridian') : join(homedir(), '.meridian');
}

export function apiToken(place: TokenPlace, env: NodeJS.ProcessEnv = process.env): ApiToken {
  const fromEnv = env.MERIDIAN_API_TOKEN;
  if (fromEnv) return { secret: fromEnv, file: undefined, dispose: () => undefined };
  const secret = randomBytes(24).toString('base64url');
  if (place.dataDir) {
    const file = join(resolve(place.dataDir), 'api-token');
    writeSecretFile(file, `${secret}\n`);
    return { secret, file, dispose: () => undefined };
  }
  const dir = resolve(privateRunDir(env));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Per process: two runs against one server each keep their own token.
  const file = join(dir, `api-token-${process.pid}`);
  writeSecretFile(file, `${secret}\n`);
  return { secret, file, dispose: () => rmSync(file, { force: true }) };
}
