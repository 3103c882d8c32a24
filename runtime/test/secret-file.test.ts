import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSecretFile, SecretFileModeError, writeSecretFile } from '../src/secret-file.js';

describe('secret files', () => {
  it('writes 0600 even over an existing 0644 file, and leaves no temporary file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'secret-'));
    const file = join(dir, 'api-token');
    writeFileSync(file, 'old', { mode: 0o644 });
    chmodSync(file, 0o644);
    writeSecretFile(file, 's3cret\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe('s3cret\n');
    expect(readdirSync(dir)).toEqual(['api-token']);
  });

  it('reads a 0600 file trimmed, and refuses one that group or others can read, with the chmod to run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'secret-'));
    const file = join(dir, 'pw');
    writeFileSync(file, 'hunter2\n', { mode: 0o600 });
    expect(readSecretFile(file, 'MERIDIAN_CLICKHOUSE_PASSWORD_FILE')).toBe('hunter2');
    chmodSync(file, 0o640);
    let err: unknown;
    try {
      readSecretFile(file, 'MERIDIAN_CLICKHOUSE_PASSWORD_FILE');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SecretFileModeError);
    expect((err as Error).message).toContain('MERIDIAN_CLICKHOUSE_PASSWORD_FILE');
    expect((err as Error).message).toContain(`chmod 600 ${file}`);
    expect((err as Error).message).not.toContain('hunter2');
  });

  it('names the key when the file is missing', () => {
    expect(() => readSecretFile('/nonexistent/pw', 'store.passwordFile')).toThrow(/store\.passwordFile: cannot read/);
  });
});
