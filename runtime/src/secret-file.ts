import {
  chmodSync,
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Files that hold secrets (API tokens, passwords). Written with a fresh 0600 mode in the target's
 * own directory and renamed into place, so a pre-existing file with a looser mode is replaced rather
 * than reused, and no other user ever sees the content in a shared temporary directory.
 */
export function writeSecretFile(file: string, content: string): void {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  // 'wx': never follow or reuse something already at the temporary name.
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  // The umask cannot widen 0600, but an explicit chmod documents and guarantees the mode.
  chmodSync(tmp, 0o600);
  try {
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Thrown when a secret file can be read by group or others. */
export class SecretFileModeError extends Error {
  constructor(
    readonly file: string,
    readonly mode: number,
    what: string,
  ) {
    super(
      `${what}: ${file} is readable by ${mode & 0o044 ? 'group or others' : 'others'} ` +
        `(mode ${(mode & 0o777).toString(8).padStart(3, '0')}). Run: chmod 600 ${file}`,
    );
    this.name = 'SecretFileModeError';
  }
}

/**
 * Reads a secret from a file, trimmed. `what` names the flag, key or variable that pointed here, so
 * the error says where the path came from. A file that group or others can read is refused with the
 * chmod to run: a password that anyone on the host can read is not a secret.
 */
export function readSecretFile(file: string, what: string): string {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (err) {
    throw new Error(`${what}: cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  if ((mode & 0o077) !== 0) throw new SecretFileModeError(file, mode, what);
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new Error(`${what}: cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}
