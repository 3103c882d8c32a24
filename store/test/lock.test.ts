import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations, openStore, type Store } from '@meridian/store';
import { processStartTicks } from '../src/lock.js';

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

  it('takes over a lock whose PID now belongs to an unrelated process', () => {
    const other = mkdtempSync(path.join(tmpdir(), 'meridian-reused-'));
    // PID 1 is alive (init) but is not the process that wrote the lock: its start time differs.
    writeFileSync(
      path.join(other, 'meridian.lock'),
      JSON.stringify({ pid: 1, started: 'then', dataDir: other, startTicks: '1' + (processStartTicks(1) ?? '0') }),
    );
    const r = spawnSync(process.execPath, [cli, 'migrate', '--data', other], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('takes over a lock copied from another directory', () => {
    const other = mkdtempSync(path.join(tmpdir(), 'meridian-copied-'));
    writeFileSync(
      path.join(other, 'meridian.lock'),
      JSON.stringify({ pid: process.pid === 1 ? 2 : 1, started: 'then', dataDir: '/somewhere/else' }),
    );
    const r = spawnSync(process.execPath, [cli, 'migrate', '--data', other], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('records the holder so that its own lock still holds', () => {
    const info = JSON.parse(readFileSync(path.join(dir, 'meridian.lock'), 'utf8')) as Record<string, unknown>;
    expect(info).toMatchObject({ pid: process.pid, dataDir: dir, startTicks: processStartTicks(process.pid) });
  });
});
