/**
 * The slurmrestd reader, against a stand-in daemon on 127.0.0.1 serving real 22.05 output (the
 * `squeue --json` / `sinfo --json` captures: slurmrestd's v0.0.38 `/jobs` and `/nodes` print the
 * same data parser's JSON). Headers, the token file's mode, HTTP errors, the time and size limits.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restReader } from '@meridian/fabric';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'meridian-slurmrestd-'));
const tokenFile = join(dir, 'token');
writeFileSync(tokenFile, 'jwt-token\n', { mode: 0o600 });

let server: Server;
let url = '';
let seen: { url: string; headers: IncomingHttpHeaders }[] = [];
let mode: 'ok' | 'error' | 'silent' | 'huge' = 'ok';

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    if (mode === 'silent') return; // never answers
    if (mode === 'error') {
      res.writeHead(401).end('{"errors":[{"error":"Authentication failure"}]}');
      return;
    }
    if (mode === 'huge') {
      res
        .writeHead(200)
        .end(`{"jobs":[${'{"job_id":1,"job_state":"PENDING"},'.repeat(2000)}{"job_id":2,"job_state":"PENDING"}]}`);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(req.url?.endsWith('/jobs') ? fixture('squeue-22.05.json') : fixture('sinfo-22.05.json'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const reader = (over: { tokenFile?: string; maxBytes?: number; timeoutMs?: number } = {}) =>
  restReader(
    {
      region: 'eu-east',
      name: 'east',
      rest: { url, tokenFile: over.tokenFile ?? tokenFile, user: 'meridian', apiVersion: 'v0.0.38' },
    },
    { timeoutMs: over.timeoutMs ?? 2000, ...(over.maxBytes ? { maxBytes: over.maxBytes } : {}) },
  );

describe('slurmrestd reader', () => {
  it('reads jobs and nodes with the JWT headers', async () => {
    mode = 'ok';
    seen = [];
    const r = reader();
    expect((await r.readJobs()).map((j) => j.job_id)).toEqual([1000, 1001, 1002]);
    expect((await r.readNodes()).map((n) => n.name)).toEqual(['e001', 'e002']);
    expect(seen.map((s) => s.url)).toEqual(['/slurm/v0.0.38/jobs', '/slurm/v0.0.38/nodes']);
    expect(seen[0]?.headers['x-slurm-user-name']).toBe('meridian');
    expect(seen[0]?.headers['x-slurm-user-token']).toBe('jwt-token');
  });

  it('names the HTTP status, the silence and the size', async () => {
    mode = 'error';
    await expect(reader().readJobs()).rejects.toThrow(/^slurmrestd jobs on east: HTTP 401: .*Authentication failure/);
    mode = 'silent';
    await expect(reader({ timeoutMs: 300 }).readJobs()).rejects.toThrow(
      /^slurmrestd jobs on east: did not answer within 300 ms/,
    );
    mode = 'huge';
    await expect(reader({ maxBytes: 10_000 }).readJobs()).rejects.toThrow(
      /^slurmrestd jobs on east: answer larger than 10000 bytes/,
    );
  });

  it('refuses a token file others can read', async () => {
    mode = 'ok';
    const loose = join(dir, 'loose');
    writeFileSync(loose, 't', { mode: 0o644 });
    await expect(reader({ tokenFile: loose }).readJobs()).rejects.toThrow(/rest\.tokenFile/);
  });
});
