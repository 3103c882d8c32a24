/**
 * Outage (b): the collector process is killed with SIGKILL while a flush is in flight, then
 * restarted. The collector is a real child process (the real agent with a simulated, numbered GPU
 * source) writing to the embedded store; afterwards the rows are counted in that store.
 * Promise under test: none duplicated, none lost except the in-memory tail of at most one flush
 * interval, and everything a SIGTERM'd run produced is stored.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '@meridian/store';
import { buildCollector } from './processes.js';
import { until } from './until.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const child = fileURLToPath(new URL('./fixtures/agent-child.mjs', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'meridian-kill-'));
const spoolDir = join(root, 'spool');
const data = join(root, 'data');
const config = join(root, 'collector.yaml');
const FLUSH_MS = 300;
const ROWS_PER_MS = 10 / 50; // the child's source: 10 rows every 50 ms
const base = Date.now() - 3_600_000;

beforeAll(() => {
  buildCollector();
  writeFileSync(
    config,
    [
      'collector: { region: eu-west, host: node-1, id: node-1 }',
      `store: { data: ${data} }`,
      `pipeline: { flushIntervalMs: ${FLUSH_MS}, maxRows: 100000 }`,
      `spool: { dir: ${spoolDir} }`,
      'sources: { nvidiaSmi: { enabled: false }, host: { enabled: false } }',
      'telemetry: { listen: "" }',
    ].join('\n'),
  );
}, 250_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Running {
  proc: ChildProcess;
  emitted: () => number;
  stopLine: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  ready: Promise<void>;
}

function run(uuid: string, tsBase: number, configFile = config): Running {
  const proc = spawn(process.execPath, [child, configFile, uuid], {
    cwd: repo,
    env: { ...process.env, CHILD_TS_BASE: String(tsBase), OTEL_SDK_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let emitted = 0;
  let stopLine = '';
  let stderr = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (markReady = r));
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line === 'READY') markReady();
      const m = /^(?:EMITTED|STOPPED) (\d+)/.exec(line);
      if (m) emitted = Number(m[1]);
      if (line.startsWith('STOPPED')) stopLine = line;
    }
  });
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    proc.on('exit', (code) => {
      if (code !== 0 && code !== null) console.error(stderr);
      resolve(code);
    }),
  );
  return { proc, emitted: () => emitted, stopLine: () => stopLine, stderr: () => stderr, exited, ready };
}

/** Rows waiting in the write-ahead log: what the killed process had made durable but not stored. */
function spooledTs(): number[] {
  return readdirSync(spoolDir)
    .filter((f) => f.endsWith('.batch'))
    .flatMap((f) =>
      (JSON.parse(readFileSync(join(spoolDir, f), 'utf8')) as { rows: { ts: number }[] }).rows.map((r) => r.ts),
    );
}

describe('outage: kill -9 in the middle of a flush, then restart', () => {
  it('loses at most one flush interval of rows and duplicates none', async () => {
    const first = run('GPU-run1', base);
    await first.ready;
    // Several flush intervals of rows made (the spool has been written and emptied a few times).
    await until(() => first.emitted() >= 4 * FLUSH_MS * ROWS_PER_MS, 'four flush intervals of rows', 20_000);
    // Kill the moment a batch is in the log but not yet acknowledged: a flush in flight.
    const deadline = Date.now() + 10_000;
    while (!readdirSync(spoolDir).some((f) => f.endsWith('.batch'))) {
      if (Date.now() > deadline) throw new Error('never caught a flush in flight');
      await new Promise((r) => setImmediate(r));
    }
    first.proc.kill('SIGKILL');
    expect(await first.exited).toBe(null);
    const emitted1 = first.emitted();
    const inFlight = spooledTs();
    expect(inFlight.length).toBeGreaterThan(0);

    const second = run('GPU-run2', base + 10_000_000);
    await second.ready;
    await until(() => second.emitted() >= 3 * FLUSH_MS * ROWS_PER_MS, 'three flush intervals of rows', 20_000);
    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    const emitted2 = second.emitted();
    expect(readdirSync(spoolDir).filter((f) => f.endsWith('.batch'))).toEqual([]);

    const store = await openStore({ data });
    try {
      const rows = await store.query<{ gpu_uuid: string; n: string; distinct: string; lo: string; hi: string }>(
        `SELECT gpu_uuid, count() AS n, uniqExact(ts) AS distinct,
                toUnixTimestamp64Milli(min(ts)) AS lo, toUnixTimestamp64Milli(max(ts)) AS hi
         FROM gpu_samples WHERE host = {host:String} GROUP BY gpu_uuid ORDER BY gpu_uuid`,
        { host: 'node-1' },
      );
      const [r1, r2] = rows.map((r) => ({
        n: Number(r.n),
        distinct: Number(r.distinct),
        lo: Number(r.lo),
        hi: Number(r.hi),
      }));
      // Run 1: no duplicates, no holes (rows 0..n-1 all present), and the batch in flight at the kill landed.
      expect(r1!.n).toBe(r1!.distinct);
      expect(r1!.lo).toBe(base);
      expect(r1!.hi - r1!.lo + 1).toBe(r1!.n);
      expect(r1!.hi).toBeGreaterThanOrEqual(Math.max(...inFlight));
      // What was lost is only the in-memory tail: at most one flush interval (plus one tick of slack).
      const lost = emitted1 - r1!.n;
      expect(lost).toBeGreaterThanOrEqual(0);
      expect(lost).toBeLessThanOrEqual(FLUSH_MS * ROWS_PER_MS + 10);
      // Run 2 stopped with SIGTERM: everything it produced is stored, once.
      expect(r2).toEqual({
        n: emitted2,
        distinct: emitted2,
        lo: base + 10_000_000,
        hi: base + 10_000_000 + emitted2 - 1,
      });
    } finally {
      await store.close();
    }
  }, 90_000);
});

describe('a collector writing to a ClickHouse server', () => {
  it('never loads the embedded engine, even while the server is down and it spools', async () => {
    const serverConfig = join(root, 'server.yaml');
    writeFileSync(
      serverConfig,
      [
        'collector: { region: eu-west, host: node-2, id: node-2 }',
        // Port 1 on loopback: connection refused, as from a server that is down.
        'store: { clickhouse: "http://127.0.0.1:1", requestTimeoutMs: 1000 }',
        'pipeline: { flushIntervalMs: 200 }',
        `spool: { dir: ${join(root, 'spool-server')} }`,
        'sources: { nvidiaSmi: { enabled: false }, host: { enabled: false } }',
        'telemetry: { listen: "" }',
      ].join('\n'),
    );
    const c = run('GPU-srv', base, serverConfig);
    await c.ready;
    await until(
      () => /store write failed/.test(c.stderr()) && c.emitted() >= 100,
      'a refused write and 100 rows',
      20_000,
    );
    c.proc.kill('SIGTERM');
    expect(await c.exited).toBe(0);
    const m = /chdb=(\d) maxrss=(\d+)/.exec(c.stopLine());
    expect(m?.[1]).toBe('0');
    expect(c.stderr()).toMatch(/store write failed, spooling to .*ECONNREFUSED/);
    // Everything it made is waiting in the spool for the server.
    const spooled = readdirSync(join(root, 'spool-server')).filter((f) => f.endsWith('.batch'));
    const rows = spooled.reduce((n, f) => n + Number(f.split('.').at(-2)), 0);
    expect(rows).toBe(c.emitted());
    console.log(`collector on a server target: peak RSS ${(Number(m?.[2]) / 1048576).toFixed(1)} MiB, chDB not loaded`);
  }, 30_000);
});

describe('meridian collect, the command', () => {
  it('with nothing else to keep it busy (no GPU, no port) it runs until SIGTERM, then exits 0', async () => {
    const cfg = join(root, 'quiet.yaml');
    writeFileSync(
      cfg,
      [
        'collector: { region: eu-west, host: node-3, id: node-3 }',
        'store: { clickhouse: "http://127.0.0.1:1" }',
        `spool: { dir: ${join(root, 'spool-quiet')} }`,
        'sources: { nvidiaSmi: { enabled: false }, host: { enabled: false } }',
        // No peers and no roster either: no STAMP sender.
        'stamp: { sender: { roster: { enabled: false } } }',
        'telemetry: { listen: "" }',
      ].join('\n'),
    );
    const cli = fileURLToPath(new URL('./fixtures/collect-cli.mjs', import.meta.url));
    const proc = spawn(process.execPath, [cli, 'collect', '--config', cfg], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    const started =
      /meridian collector node-3 \(eu-west\/node-3\) → ClickHouse http:\/\/127\.0\.0\.1:1\/; sources: none/;
    await until(() => started.test(stderr), 'the start-up line', 20_000);
    // The command capped its JIT (its STAMP sender, had it one, would probe from its own process).
    expect(stderr).toMatch(/; V8 capped at its baseline compiler \(STAMP probes from a process of its own\)/);
    // The one timed window in these tests, because what it checks is that nothing happens: the
    // process must not exit by itself, with nothing but itself to keep it alive.
    const exitedEarly = await Promise.race([
      exited.then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), 1_500)),
    ]);
    expect(exitedEarly).toBe(false);
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/stopped; 0 rows written this run, spool empty/);
  }, 30_000);
});
