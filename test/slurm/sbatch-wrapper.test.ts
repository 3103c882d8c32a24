/**
 * deploy/slurm/meridian-sbatch: asks the placement API, picks the cluster of a region that may take
 * work, and runs sbatch there with the arguments unchanged; falls back to the default cluster when
 * the scheduler cannot be asked. A stand-in sbatch prints what it was given; a stand-in API serves
 * the documented `/api/v1/placement` answer.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const wrapper = fileURLToPath(new URL('../../deploy/slurm/meridian-sbatch.cjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'meridian-sbatch-'));
const fakeSbatch = join(dir, 'sbatch');
writeFileSync(fakeSbatch, '#!/bin/sh\necho "conf=$SLURM_CONF args=$*"\nexit 3\n');
chmodSync(fakeSbatch, 0o755);
const clustersFile = join(dir, 'clusters');
writeFileSync(clustersFile, '# region=slurm.conf\neast=/etc/slurm-east/slurm.conf\nwest=/etc/slurm-west/slurm.conf\n');
const tokenFile = join(dir, 'token');
writeFileSync(tokenFile, 'viewer-token\n', { mode: 0o600 });

let weights: Record<string, number> | null = { east: 0, west: 16, north: 50 };
let server: Server;
let url = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url !== '/api/v1/placement' || req.headers.authorization !== 'Bearer viewer-token') {
      res.writeHead(401).end('{}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ steer: true, passId: 'p', ts: 1, weights, outcome: 'set', executor: 'slurm', hold: null }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function run(env: Record<string, string>, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [wrapper, ...args],
      {
        env: {
          PATH: process.env.PATH ?? '',
          MERIDIAN_SBATCH: fakeSbatch,
          MERIDIAN_SLURM_CLUSTERS: clustersFile,
          MERIDIAN_TOKEN_FILE: tokenFile,
          SLURM_CONF: '/etc/slurm/slurm.conf',
          ...env,
        },
        timeout: 20_000,
      },
      (err, stdout, stderr) => resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr }),
    );
  });
}

describe('meridian-sbatch', () => {
  it('submits to the region the weights allow (a region without a cluster here is skipped), args unchanged', async () => {
    weights = { east: 0, west: 16, north: 50 };
    const r = await run({ MERIDIAN_URL: url }, ['--gres=gpu:h100:2', '--wrap', 'sleep 1']);
    expect(r.stdout.trim()).toBe('conf=/etc/slurm-west/slurm.conf args=--gres=gpu:h100:2 --wrap sleep 1');
    expect(r.stderr).toContain('meridian-sbatch: region west (weight 16 of 16)');
    // sbatch's exit status is the wrapper's.
    expect(r.code).toBe(3);
  });

  it('falls back to the default cluster when no listed region may take work', async () => {
    weights = {};
    const r = await run({ MERIDIAN_URL: url, MERIDIAN_DEFAULT_REGION: 'east' }, ['job.sh']);
    expect(r.stdout.trim()).toBe('conf=/etc/slurm-east/slurm.conf args=job.sh');
    expect(r.stderr).toContain('no listed region may take new work now');
  });

  it('falls back when the scheduler cannot be asked, naming why', async () => {
    const r = await run({ MERIDIAN_URL: 'http://127.0.0.1:9', MERIDIAN_TIMEOUT_MS: '1000' }, ['job.sh']);
    expect(r.stdout.trim()).toBe('conf=/etc/slurm/slurm.conf args=job.sh');
    expect(r.stderr).toMatch(/scheduler not asked \(.+\); using the default cluster/);
    const denied = await run({ MERIDIAN_URL: url, MERIDIAN_TOKEN_FILE: '' }, ['job.sh']);
    expect(denied.stderr).toContain('scheduler not asked (placement answered HTTP 401)');
  });

  it('refuses a token file others can read, and a malformed cluster list names the line', async () => {
    const loose = join(dir, 'loose');
    writeFileSync(loose, 't', { mode: 0o644 });
    chmodSync(loose, 0o644);
    const r = await run({ MERIDIAN_URL: url, MERIDIAN_TOKEN_FILE: loose }, ['job.sh']);
    expect(r.stderr).toMatch(/loose: group or others can read it; chmod 600/);
    const bad = join(dir, 'bad-clusters');
    writeFileSync(bad, 'east=/a\nwest\n');
    const b = await run({ MERIDIAN_URL: url, MERIDIAN_SLURM_CLUSTERS: bad }, ['job.sh']);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('bad-clusters line 2: expected region=/path/to/slurm.conf');
  });
});
