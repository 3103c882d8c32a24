import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiToken, privateRunDir } from '../src/token.js';

const mode = (f: string): number => statSync(f).mode & 0o777;

describe("meridian up's API token file", () => {
  it('replaces a pre-existing 0644 token beside the data with a fresh 0600 one, and keeps it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'token-data-'));
    writeFileSync(join(dir, 'api-token'), 'old\n', { mode: 0o644 });
    const t = apiToken({ dataDir: dir }, {});
    expect(t.file).toBe(join(dir, 'api-token'));
    expect(mode(join(dir, 'api-token'))).toBe(0o600);
    expect(readFileSync(join(dir, 'api-token'), 'utf8')).toBe(`${t.secret}\n`);
    t.dispose();
    expect(existsSync(join(dir, 'api-token'))).toBe(true);
  });

  it('with a server store, writes it 0600 in a private directory (never a shared temp dir) and deletes it at exit', () => {
    const runtime = mkdtempSync(join(tmpdir(), 'token-xdg-'));
    const t = apiToken({}, { XDG_RUNTIME_DIR: runtime });
    expect(t.file).toBe(join(runtime, 'meridian', `api-token-${process.pid}`));
    expect(mode(join(runtime, 'meridian'))).toBe(0o700);
    expect(mode(t.file ?? '')).toBe(0o600);
    t.dispose();
    expect(existsSync(t.file ?? '')).toBe(false);
    // Without $XDG_RUNTIME_DIR: ~/.meridian, not /tmp.
    expect(privateRunDir({})).toBe(join(homedir(), '.meridian'));
  });

  it('takes $MERIDIAN_API_TOKEN and writes no file', () => {
    const t = apiToken({ dataDir: mkdtempSync(join(tmpdir(), 'token-env-')) }, { MERIDIAN_API_TOKEN: 's3cret' });
    expect(t).toMatchObject({ secret: 's3cret', file: undefined });
  });
});
