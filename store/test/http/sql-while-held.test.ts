import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { holderEndpoint } from '@meridian/store';
import { until } from '../../../collector/test/until.js';

const bin = fileURLToPath(new URL('../../../cli/bin/meridian.js', import.meta.url));

function meridian(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('meridian sql while another Meridian process holds the store (two processes)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'meridian-held-'));
  let holder: ChildProcess | undefined;
  afterAll(async () => {
    if (holder?.pid && holder.exitCode === null) {
      holder.kill('SIGTERM');
      await until(() => holder!.exitCode !== null || holder!.signalCode !== null, 'the holder to stop', 20_000);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('goes through the holder’s endpoint, says so on stderr, and is read-only', async () => {
    expect((await meridian('migrate', '--data', dir)).code).toBe(0);
    holder = spawn(process.execPath, [bin, 'serve', '--data', dir, '--http-port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    holder.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    await until(() => holderEndpoint(dir) !== undefined, 'the holder to record its endpoint', 30_000);
    // The endpoint file and the stdout line are written one after the other, and the pipe may
    // deliver the line after the file appears: wait for the line rather than read it at once.
    const announced =
      /ClickHouse HTTP \(read-only, for Grafana\): http:\/\/127\.0\.0\.1:\d+ · user meridian · password in .*clickhouse-http-password/;
    await until(() => announced.test(out), 'the holder to announce its endpoint on stdout', 30_000);
    expect(out).toMatch(announced);

    const r = await meridian(
      'sql',
      'SELECT count() AS n FROM schema_migrations WHERE version != {v:String}',
      '--data',
      dir,
      '--format',
      'json',
      '--param',
      'v=none',
    );
    expect(r.stderr).toMatch(
      new RegExp(
        `is held by Meridian process ${holder.pid}; querying it through its ClickHouse HTTP endpoint http://127\\.0\\.0\\.1:\\d+ \\(read-only\\)`,
      ),
    );
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { n: number }[];
    expect(rows[0]!.n).toBeGreaterThan(0);

    const w = await meridian('sql', 'DROP TABLE schema_migrations', '--data', dir);
    expect(w.code).toBe(1);
    expect(w.stderr).toMatch(/readonly mode.*serves this store read-only/s);
  });
});
