import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations, openStore, type Store } from '@meridian/store';

const cli = fileURLToPath(new URL('../../cli/bin/meridian.js', import.meta.url));

describe('one process per embedded data directory', () => {
  let store: Store;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'meridian-lock-'));
    store = await openStore({ data: dir });
    await store.migrate();
  });
  afterAll(() => store.close());

  it('gives a second process a clear error naming the holder and what to do', () => {
    const r = spawnSync(process.execPath, [cli, 'sql', 'SELECT 1', '--data', dir], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`The data directory ${dir} is in use by another Meridian process (pid ${process.pid})`);
    expect(r.stderr).toContain('pass a different --data directory');
  });

  it('takes over a lock left by a process that no longer exists', async () => {
    const other = mkdtempSync(path.join(tmpdir(), 'meridian-stale-'));
    writeFileSync(path.join(other, 'meridian.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, started: 'then' }));
    const r = spawnSync(process.execPath, [cli, 'migrate', '--data', other], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`applied ${migrations.length} migration(s)`);
    expect(r.status).toBe(0);
  });
});
