/**
 * `meridian collect` (the real command, compiled, in a process of its own) probing a real STAMP
 * reflector on loopback: the sender runs in a child process of the agent, its link rows reach the
 * embedded store through the agent's pipeline, every probe the reflector answered is counted in
 * exactly one stored row (the interval drained at SIGTERM included), and no process outlives the
 * agent.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '@meridian/store';
import { StampReflector } from '../src/stamp/index.js';
import { buildCollector } from './processes.js';
import { until } from './until.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const cli = fileURLToPath(new URL('./fixtures/collect-cli.mjs', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'meridian-collect-stamp-'));
const data = join(root, 'data');

beforeAll(buildCollector, 250_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Live children of `pid` whose command line mentions `what`. */
function childrenRunning(pid: number, what: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== pid || fields[0] === 'Z') continue;
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(what)) out.push(Number(name));
    } catch {
      // exited while we looked
    }
  }
  return out;
}

describe('meridian collect with STAMP peers', () => {
  it('probes from a child process and stores every probe once', async () => {
    const reflector = new StampReflector({ address: '127.0.0.1', port: 0 });
    const { port } = await reflector.start();
    const cfg = join(root, 'collector.yaml');
    writeFileSync(
      cfg,
      [
        'collector: { region: eu-west, host: prober-1, id: prober-1 }',
        `store: { data: ${data} }`,
        'pipeline: { flushIntervalMs: 300 }',
        `spool: { dir: ${join(root, 'spool')} }`,
        'sources: { nvidiaSmi: { enabled: false }, host: { enabled: false }, kernelLog: { enabled: false } }',
        'stamp:',
        '  clock: { source: none }',
        '  reflector: { enabled: false }',
        '  sender:',
        '    rate: 20',
        '    intervalMs: 500',
        '    lossTimeoutMs: 200',
        '    roster: { enabled: false }',
        `    peers: [{ address: 127.0.0.1, port: ${port}, region: us-east }]`,
        'telemetry: { listen: "" }',
      ].join('\n'),
    );
    const proc = spawn(process.execPath, [cli, 'collect', '--config', cfg], {
      cwd: repo,
      env: { ...process.env, OTEL_SDK_DISABLED: 'true' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    try {
      await until(
        () => /meridian collector prober-1 .*sources: stamp-sender/.test(stderr),
        'the start-up line',
        30_000,
      );
      expect(stderr).toMatch(/V8 capped at its baseline compiler \(STAMP probes from a process of its own\)/);
      const [sender] = childrenRunning(proc.pid!, 'sender-process-main');
      expect(sender).toBeDefined();
      await until(() => reflector.stats().replied >= 60, 'three seconds of probes reflected', 30_000);
      proc.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(childrenRunning(proc.pid!, 'sender-process-main')).toEqual([]);
      expect(() => process.kill(sender!, 0)).toThrow();
    } finally {
      proc.kill('SIGKILL');
      await reflector.close();
    }
    const replied = reflector.stats().replied;
    const store = await openStore({ data });
    try {
      const [row] = await store.query<{ rows: string; sent: string; received: string }>(
        `SELECT count() AS rows, sum(probes_sent) AS sent, sum(probes_received) AS received
         FROM link_samples WHERE host = {host:String} AND link_id = {link:String}`,
        { host: 'prober-1', link: 'eu-west->us-east' },
      );
      expect(Number(row!.rows)).toBeGreaterThanOrEqual(6);
      // Loopback loses nothing: every probe sent was reflected, and each is in one stored row.
      expect(Number(row!.sent)).toBe(replied);
      expect(Number(row!.received)).toBe(replied);
    } finally {
      await store.close();
    }
  }, 90_000);
});
