import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

/** These run the built `meridian` bin as a user would (npm test builds first). */
const bin = fileURLToPath(new URL('../bin/meridian.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

describe('meridian', () => {
  let data: string;
  beforeAll(() => {
    data = mkdtempSync(path.join(tmpdir(), 'meridian-cli-'));
    const r = run('migrate', '--data', data);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('prints help listing the subcommands', () => {
    const r = run('--help');
    expect(r.status).toBe(0);
    for (const c of ['migrate', 'sql']) expect(r.stdout).toContain(c);
  });

  it('names an unknown flag and exits 2', () => {
    const r = run('migrate', '--colour', 'blue');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown option '--colour'");
  });

  it('names a bad --format value and exits 2', () => {
    const r = run('sql', 'SELECT 1', '--format', 'xml', '--data', data);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/option '--format <format>' argument 'xml' is invalid. Allowed choices are table, json/);
  });

  it('needs --print with --cluster, and prints the cluster DDL with it', () => {
    expect(run('migrate', '--cluster', 'fabric').status).toBe(2);
    const r = run('migrate', '--cluster', 'fabric', '--print');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("CREATE TABLE IF NOT EXISTS gpu_samples ON CLUSTER 'fabric'");
  });

  it('runs a query with a bound parameter and prints an aligned table', () => {
    const r = run(
      'sql',
      'SELECT {n:UInt32} AS n, {s:String} AS label',
      '--param',
      'n=42',
      '--param',
      "s=it's",
      '--data',
      data,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe([' n  label', '--  -----', "42  it's", '(1 row)', ''].join('\n'));
  });

  it('prints JSON lines with --format json', () => {
    const r = run('sql', 'SELECT number AS n FROM numbers(3)', '--format', 'json', '--data', data);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
  });

  it('reports a query error from the engine and exits 1', () => {
    const r = run('sql', 'SELECT * FROM no_such_table', '--data', data);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no_such_table/);
  });
});
