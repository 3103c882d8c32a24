import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { openStore } from '@meridian/store';
import { registerUpCommand, runUp } from '@meridian/app';
import { capture } from './capture.js';

describe('meridian up', () => {
  it('runs the all-in-one for --duration on a fresh data dir, lands rows in the store, and prints a summary', async () => {
    const data = mkdtempSync(join(tmpdir(), 'up-e2e-'));
    const out = capture();
    const err = capture();
    const summary = await runUp(
      { durationS: 4, speed: 10, data, port: 0 },
      { stdout: out.stream, stderr: err.stream, handleSignals: false },
    );
    const text = out.text();
    // Startup lines: the scenario, the store, where the API listens, and how to reach it from Grafana.
    expect(text).toMatch(/meridian up: scenario default \(512 GPUs, 4 regions, 6 links\), seed 42, speed 10×/);
    expect(text).toMatch(/store: embedded chDB at .*up-e2e-/);
    expect(text).toMatch(
      /scheduler API: http:\/\/127\.0\.0\.1:\d+\/api\/v1\/state .*bearer token, operator role: .*api-token\)/,
    );
    expect(text).toMatch(/status: http:\/\/127\.0\.0\.1:\d+\/healthz · .*\/api\/status/);
    expect(text).toMatch(/Grafana: /);
    // Not a TTY: plain status lines, then the summary.
    expect(text).toMatch(/\[t\+\d+(\.\d)?s [\d.]+×\] rows \d+ .*eu-north \d+%\/\d+°C.* \| last decision: /);
    expect(text).toMatch(/summary: default ran \d+s simulated in/);
    expect(summary.simS).toBeGreaterThanOrEqual(20); // 4 s at 10×, less start-up
    expect(summary.rows.gpu).toBe(summary.simS * 512);
    expect(summary.rowsWritten).toBe(summary.rows.gpu + summary.rows.host + summary.rows.link + summary.rows.aux);

    const store = await openStore({ data });
    try {
      const [gpu] = await store.query<{ n: string; hosts: string }>(
        "SELECT count() AS n, uniq(host) AS hosts FROM gpu_samples WHERE source = 'sim'",
      );
      expect(Number(gpu?.n)).toBe(summary.rows.gpu);
      expect(Number(gpu?.hosts)).toBe(64);
      const [links] = await store.query<{ n: string }>('SELECT count() AS n FROM link_samples');
      expect(Number(links?.n)).toBe(summary.rows.link);
      const [topo] = await store.query<{ n: string }>("SELECT count() AS n FROM topology WHERE kind = 'link'");
      expect(Number(topo?.n)).toBe(6);
    } finally {
      await store.close();
    }
  });

  it('stops cleanly when told to (as on SIGINT), and serves its status API meanwhile', async () => {
    const data = mkdtempSync(join(tmpdir(), 'up-stop-'));
    // A token file left world-readable by something else must not keep its mode.
    writeFileSync(join(data, 'api-token'), 'old\n', { mode: 0o644 });
    const out = capture();
    const ac = new AbortController();
    const run = runUp(
      { speed: 5, data, port: 0, scenario: 'link-cut' },
      { stdout: out.stream, stderr: out.stream, handleSignals: false, signal: ac.signal },
    );
    const statusUrl = out.statusUrl;
    await vi.waitUntil(() => statusUrl() !== '', { timeout: 30_000, interval: 50 });
    const url = statusUrl();
    type Status = { scenario: string; simTimeS: number; regions: { name: string }[]; links: { id: string }[] };
    const read = async (): Promise<Status> => (await (await fetch(`${url}/api/status`)).json()) as Status;
    // Wait for the twin to have stepped, not for a fixed time.
    await vi.waitUntil(async () => (await read()).simTimeS > 0, { timeout: 30_000, interval: 100 });
    const status = await read();
    expect(status.scenario).toBe('link-cut');
    expect(status.regions.map((r) => r.name)).toEqual(['eu-north', 'eu-central', 'eu-west', 'eu-south']);
    expect(status.links).toHaveLength(6);
    expect((await fetch(`${url}/nope`)).status).toBe(404);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    // The scheduler's API answers with the operator token from the 0600 file, and refuses without it.
    const api = /scheduler API: (http:\/\/127\.0\.0\.1:\d+)/.exec(out.text())?.[1] ?? '';
    const token = readFileSync(join(data, 'api-token'), 'utf8').trim();
    expect(token).not.toBe('old');
    expect(statSync(join(data, 'api-token')).mode & 0o777).toBe(0o600);
    expect(out.text()).not.toContain(token);
    expect((await fetch(`${api}/api/v1/state`)).status).toBe(401);
    const state = await fetch(`${api}/api/v1/state`, { headers: { authorization: `Bearer ${token}` } });
    expect(state.status).toBe(200);
    ac.abort();
    const summary = await run;
    expect(summary.simS).toBeGreaterThan(0);
    expect(out.text()).toMatch(/summary: link-cut ran/);
  });

  it('names a bad flag (commander exits 2 through exitOverride)', async () => {
    for (const [flag, value] of [
      ['--speed', 'fast'],
      ['--duration', 'soon'],
      ['--port', '99999'],
      ['--seed', '-1'],
    ] as const) {
      const program = new Command('meridian').exitOverride().configureOutput({ writeErr: () => undefined });
      registerUpCommand(program);
      const e = await program.parseAsync(['node', 'meridian', 'up', flag, value]).then(
        () => null,
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(CommanderError);
      expect((e as CommanderError).message).toContain(flag);
    }
  });

  it('refuses a scenario that does not exist, naming it', async () => {
    const out = capture();
    await expect(
      runUp(
        { scenario: 'atlantis', durationS: 1, port: 0 },
        { stdout: out.stream, stderr: out.stream, handleSignals: false },
      ),
    ).rejects.toThrow(/scenario atlantis: no such file, and not a shipped scenario/);
  });
});
