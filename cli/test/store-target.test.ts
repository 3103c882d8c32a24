/**
 * Where rows actually land, for each command and each combination of --data, --clickhouse, config
 * and environment: an embedded directory gets the schema, or a ClickHouse endpoint gets the
 * requests. The endpoint here is a recording HTTP server that refuses every query as a server with
 * a wrong password would, so the command fails after its first request and we see where it went.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/meridian.js', import.meta.url));
let server: Server;
let url: string;
let hits = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    req.resume();
    res.writeHead(516, { 'x-clickhouse-exception-code': '516' });
    res.end('Code: 516. DB::Exception: default: Authentication failed. (AUTHENTICATION_FAILED)');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function run(args: string[], env: Record<string, string>): Promise<{ code: number; stderr: string; stdout: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MERIDIAN_')));
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...clean, ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

interface Landing {
  readonly embedded: boolean;
  readonly server: boolean;
}

async function landing(
  args: (dir: string) => string[],
  env: (dir: string) => Record<string, string>,
): Promise<Landing> {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'meridian-target-')), 'data');
  const before = hits;
  await run(args(dir), env(dir));
  return { embedded: existsSync(dir), server: hits > before };
}

const EMBEDDED: Landing = { embedded: true, server: false };
const SERVER: Landing = { embedded: false, server: true };

/** Each command as it would be run for one short go; `sql` needs a migrated store to reach it, so it is last. */
const COMMANDS: Record<string, string[]> = {
  migrate: ['migrate'],
  schedule: ['schedule', '--once', '--no-api'],
  up: ['up', '--duration', '1s', '--port', '0', '--status-port', '0'],
};

describe.each(Object.keys(COMMANDS))('meridian %s lands where the one rule says', (name) => {
  const command = COMMANDS[name]!;
  it('--data beats MERIDIAN_CLICKHOUSE_URL', async () => {
    expect(
      await landing(
        (d) => [...command, '--data', d],
        () => ({ MERIDIAN_CLICKHOUSE_URL: url }),
      ),
    ).toEqual(EMBEDDED);
  });
  it('--clickhouse beats MERIDIAN_DATA', async () => {
    expect(
      await landing(
        () => [...command, '--clickhouse', url],
        (d) => ({ MERIDIAN_DATA: d }),
      ),
    ).toEqual(SERVER);
  });
  it('MERIDIAN_CLICKHOUSE_URL alone', async () => {
    expect(
      await landing(
        () => [...command],
        () => ({ MERIDIAN_CLICKHOUSE_URL: url }),
      ),
    ).toEqual(SERVER);
  });
  it('MERIDIAN_DATA alone', async () => {
    expect(
      await landing(
        () => [...command],
        (d) => ({ MERIDIAN_DATA: d }),
      ),
    ).toEqual(EMBEDDED);
  });
  it('both flags: refused before touching either', async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'meridian-target-')), 'data');
    const before = hits;
    const r = await run([...command, '--data', dir, '--clickhouse', url], {});
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--data and --clickhouse name two different stores');
    expect(hits).toBe(before);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('meridian schedule with a config file', () => {
  const config = (dir: string, body: string): string => {
    const file = path.join(dir, 'scheduler.yaml');
    writeFileSync(file, body);
    return file;
  };
  it('--data clears a server named in the config', async () => {
    expect(
      await landing(
        (d) => [
          'schedule',
          '--once',
          '--no-api',
          '--config',
          config(path.dirname(d), `store:\n  clickhouse: ${url}\n`),
          '--data',
          d,
        ],
        () => ({}),
      ),
    ).toEqual(EMBEDDED);
  });
  it('the config beats MERIDIAN_CLICKHOUSE_URL', async () => {
    expect(
      await landing(
        (d) => ['schedule', '--once', '--no-api', '--config', config(path.dirname(d), `store:\n  data: ${d}\n`)],
        () => ({ MERIDIAN_CLICKHOUSE_URL: url }),
      ),
    ).toEqual(EMBEDDED);
  });
});

describe('meridian collect resolves its store by the same rule', () => {
  const check = async (args: string[], env: Record<string, string>, body: string): Promise<Record<string, unknown>> => {
    const dir = mkdtempSync(path.join(tmpdir(), 'meridian-collect-'));
    const file = path.join(dir, 'collector.yaml');
    writeFileSync(file, `collector:\n  region: r1\n${body}`);
    const r = await run(['collect', '--config', file, '--check', ...args], env);
    expect(r.stderr).toBe('');
    return (JSON.parse(r.stdout) as { store: Record<string, unknown> }).store;
  };
  it('--data clears a server named in the file', async () => {
    const s = await check(['--data', '/tmp/x'], {}, `store:\n  clickhouse: ${url}\n`);
    expect(s.data).toBe('/tmp/x');
    expect(s.clickhouse).toBeUndefined();
  });
  it('the file beats MERIDIAN_DATA', async () => {
    const s = await check([], { MERIDIAN_DATA: '/tmp/env' }, `store:\n  clickhouse: ${url}\n`);
    expect(s.clickhouse).toBe(`${url}/`);
    expect(s.data).toBeUndefined();
  });
  it('MERIDIAN_CLICKHOUSE_URL when the file names no store', async () => {
    const s = await check([], { MERIDIAN_CLICKHOUSE_URL: url }, '');
    expect(s.clickhouse).toBe(`${url}/`);
  });
});
