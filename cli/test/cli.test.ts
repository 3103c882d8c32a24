import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
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
    expect(r.stdout).toBe([' n  label', '--  -----', "42  it's", '(1 row)', ''].join('\n'));
  });

  it('prints a JSON array with --format json, [] when empty, and JSON lines with --format jsonl', () => {
    const r = run('sql', 'SELECT number AS n FROM numbers(3)', '--format', 'json', '--data', data);
    expect(JSON.parse(r.stdout)).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
    const empty = run('sql', 'SELECT number AS n FROM numbers(0)', '--format', 'json', '--data', data);
    expect(empty.stdout).toBe('[]\n');
    const lines = run('sql', 'SELECT number AS n FROM numbers(2)', '--format', 'jsonl', '--data', data);
    expect(lines.stdout).toBe('{"n":0}\n{"n":1}\n');
  });

  it('names the store it used on stderr', () => {
    const r = run('sql', 'SELECT 1 AS one', '--data', data);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`meridian sql: embedded chDB at ${data}\n`);
  });

  it('refuses a store that was never migrated, says to run migrate, and creates nothing', () => {
    const fresh = path.join(mkdtempSync(path.join(tmpdir(), 'meridian-cli-')), 'never');
    const r = run('sql', 'SELECT 1', '--data', fresh);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`Run: meridian migrate --data ${fresh}`);
    expect(existsSync(fresh)).toBe(false);
  });

  it('runs INSERT … VALUES as a command, and one statement per call unless --multi', () => {
    const create = run(
      'sql',
      'CREATE TABLE IF NOT EXISTS notes (id UInt8, s String) ENGINE = MergeTree ORDER BY id',
      '--data',
      data,
    );
    expect(create.status).toBe(0);
    const ins = run('sql', "INSERT INTO notes VALUES (1, 'a;b'), (2, 'c')", '--data', data);
    expect(ins.stderr).toContain('ok (INSERT)');
    expect(ins.status).toBe(0);
    const two = run('sql', 'SELECT 1; DROP TABLE notes', '--data', data);
    expect(two.status).toBe(2);
    expect(two.stderr).toContain('the query holds 2 statements; run one per call, or pass --multi');
    const still = run('sql', 'SELECT id, s FROM notes ORDER BY id', '--format', 'jsonl', '--data', data);
    expect(still.stdout).toBe('{"id":1,"s":"a;b"}\n{"id":2,"s":"c"}\n');
    const multi = run(
      'sql',
      'SELECT count() AS n FROM notes; DROP TABLE notes',
      '--multi',
      '--format',
      'jsonl',
      '--data',
      data,
    );
    expect(multi.status).toBe(0);
    expect(multi.stdout).toBe('{"n":2}\n');
    expect(run('sql', 'EXISTS TABLE notes', '--format', 'jsonl', '--data', data).stdout).toBe('{"result":0}\n');
  });

  it('shows the --param syntax in help, not a default', () => {
    const r = run('sql', '--help');
    expect(r.stdout).toMatch(/--param <name=value>\s+bind \{name:Type\} in the query to value/);
    expect(r.stdout).not.toContain('(default: {})');
  });

  it('ends quietly when the reader closes the pipe', () => {
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${bin}" migrate --cluster fabric --print | head -c 10`], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toHaveLength(10);
    expect(r.stderr).toBe('');
  });

  it('reports a query error from the engine and exits 1', () => {
    const r = run('sql', 'SELECT * FROM no_such_table', '--data', data);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no_such_table/);
  });
});
