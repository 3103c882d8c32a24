/**
 * Config validation (errors name the key) and `meridian schedule` run in-process: bad configs exit 2
 * with the key named; --once runs one pass against a real embedded store and prints its decisions.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { registerScheduleCommand } from '../src/cli.js';
import { ConfigError, loadConfigFile, parseConfig } from '../src/config.js';
import { createExecutor, createSinks } from '../src/act/factory.js';

const dir = mkdtempSync(join(tmpdir(), 'meridian-sched-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const keyOf = (input: unknown): string => {
  try {
    parseConfig(input);
  } catch (err) {
    if (err instanceof ConfigError) return `${err.key} | ${err.message}`;
    throw err;
  }
  return 'valid';
};

describe('config', () => {
  it('fills defaults: dry-run, 30 s, margin 1.5', () => {
    const c = parseConfig({});
    expect(c.executor).toEqual({ kind: 'dry-run' });
    expect(c.intervalSeconds).toBe(30);
    expect(c.margin).toBe(1.5);
    expect(c.limits.movesPerPass).toBe(4);
    expect(c.load).toEqual({ low: 0.6, high: 0.85, persistSeconds: 120 });
  });

  it('names the offending key', () => {
    expect(keyOf({ limits: { movesPerPass: -1 } })).toMatch(
      /^limits\.movesPerPass \| config: key "limits\.movesPerPass": Too small/,
    );
    expect(keyOf({ load: { low: 0.9, high: 0.8 } })).toMatch(/^load \| .*low must be below high/);
    expect(keyOf({ marginn: 2 })).toMatch(/^\(top level\) \| .*Unrecognized key.*\(marginn\)/);
    expect(keyOf({ executor: { kind: 'webhook', url: 'not a url', secret: { env: 'X' } } })).toMatch(
      /^executor\.url \| /,
    );
    expect(keyOf({ executor: { kind: 'teleport' } })).toMatch(/^executor\.kind \| /);
    expect(keyOf({ api: { tokens: [{ name: 'a', role: 'admin', secret: { env: 'T' } }] } })).toMatch(
      /^api\.tokens\.0\.role \| /,
    );
    expect(keyOf({ api: { tokens: [{ name: 'a', role: 'viewer', secret: { env: 'T', file: '/x' } }] } })).toMatch(
      /^api\.tokens\.0\.secret \| .*exactly one of env or file/,
    );
    // A placement policy is Karmada's: it needs the kubernetes executor in karmada mode.
    expect(keyOf({ placement: { policy: { kind: 'PropagationPolicy', name: 'new-work' } } })).toMatch(
      /^placement\.policy \| .*kubernetes executor in karmada mode only/,
    );
    expect(
      keyOf({
        executor: { kind: 'kubernetes', mode: 'karmada' },
        placement: { policy: { kind: 'ClusterPropagationPolicy', namespace: 'prod', name: 'new-work' } },
      }),
    ).toMatch(/^placement\.policy\.namespace \| .*cluster-scoped: remove namespace/);
    expect(
      keyOf({
        executor: { kind: 'kubernetes', mode: 'karmada' },
        placement: { policy: { kind: 'PropagationPolicy', name: 'new-work' } },
      }),
    ).toBe('valid');
  });

  it('bounds every number, naming the key', () => {
    // 30 days as a pass interval would be a timer past 2^31 − 1 ms, which Node runs after 1 ms.
    expect(keyOf({ intervalSeconds: 30 * 86_400 })).toMatch(/^intervalSeconds \| .*Too big.*86400/);
    expect(keyOf({ intervalSeconds: 0 })).toMatch(/^intervalSeconds \| .*Too small/);
    expect(keyOf({ executor: { kind: 'webhook', url: 'http://x', secret: { env: 'X' }, timeoutMs: 1e9 } })).toMatch(
      /^executor\.timeoutMs \| .*Too big/,
    );
    expect(keyOf({ record: { timeoutMs: 1e12 } })).toMatch(/^record\.timeoutMs \| .*Too big/);
    expect(keyOf({ cooldownSeconds: 1e12 })).toMatch(/^cooldownSeconds \| .*Too big/);
    expect(keyOf({ margin: 1e6 })).toMatch(/^margin \| .*Too big/);
    expect(keyOf({ limits: { movesPerHour: 1e12 } })).toMatch(/^limits\.movesPerHour \| .*Too big/);
    expect(keyOf({ limits: { priorityThreshold: Infinity } })).toMatch(/^limits\.priorityThreshold \| /);
    expect(keyOf({ backoff: { maxSeconds: 1e12 } })).toMatch(/^backoff\.maxSeconds \| .*Too big/);
    expect(keyOf({ load: { persistSeconds: 1e9 } })).toMatch(/^load\.persistSeconds \| .*Too big/);
    expect(keyOf({ value: { balancePerGpu: 1e9 } })).toMatch(/^value\.balancePerGpu \| .*Too big/);
    expect(keyOf({ milpMaxVariables: 1e12 })).toMatch(/^milpMaxVariables \| .*Too big/);
    expect(keyOf({ api: { timeouts: { requestSeconds: 1e6 } } })).toMatch(
      /^api\.timeouts\.requestSeconds \| .*Too big/,
    );
    expect(keyOf({ api: { timeouts: { idleSeconds: 0 } } })).toMatch(/^api\.timeouts\.idleSeconds \| .*Too small/);
    expect(keyOf({ api: { timeouts: { requestSeconds: 5, headersSeconds: 10 } } })).toMatch(
      /^api\.timeouts\.headersSeconds \| .*must not exceed requestSeconds/,
    );
    expect(keyOf({ api: { maxConnections: 0 } })).toMatch(/^api\.maxConnections \| .*Too small/);
    expect(keyOf({ api: { maxConnections: 1e6 } })).toMatch(/^api\.maxConnections \| .*Too big/);
    // The defaults sit inside the bounds.
    expect(parseConfig({}).api).toMatchObject({
      timeouts: { requestSeconds: 30, headersSeconds: 10, keepAliveSeconds: 5, idleSeconds: 60 },
      maxConnections: 256,
    });
  });

  it('the docker-compose config listens beyond loopback only behind a token', async () => {
    const path = new URL('../../grafana-plugin/deploy/scheduler.yaml', import.meta.url).pathname;
    const c = loadConfigFile(path);
    expect(c.api.host).toBe('0.0.0.0');
    expect(c.api.tokens).toEqual([{ name: 'grafana', role: 'operator', secret: { env: 'MERIDIAN_SCHEDULER_TOKEN' } }]);
    // Without the token in the environment the API does not start.
    const { createScheduler } = await import('../src/scheduler.js');
    const s = await createScheduler({
      config: { ...c, api: { ...c.api, port: 0 } },
      useSolver: false,
      observe: async (ts) => ({ ts, regions: [], links: [], workloads: [] }),
    });
    vi.stubEnv('MERIDIAN_SCHEDULER_TOKEN', '');
    try {
      await expect(s.startApi({ host: '127.0.0.1' })).rejects.toThrow(
        /api\.tokens\.0\.secret: environment variable MERIDIAN_SCHEDULER_TOKEN is not set/,
      );
    } finally {
      vi.unstubAllEnvs();
      await s.stop();
    }
  });

  it('reports a YAML syntax error with the file name', () => {
    const p = file('bad.yaml', 'limits: [unclosed\n');
    expect(() => loadConfigFile(p)).toThrow(new RegExp(`${p}: not valid YAML`));
  });

  it('reads secrets from env or file and never puts them in errors', async () => {
    const secretFile = file('hook.secret', 's3cr3t-value\n');
    const cfg = parseConfig({
      executor: { kind: 'webhook', url: 'http://127.0.0.1:9/x', secret: { file: secretFile } },
      record: { webhook: { url: 'http://127.0.0.1:9/y', secret: { env: 'MERIDIAN_TEST_UNSET_SECRET' } } },
    });
    expect((await createExecutor(cfg)).name).toBe('webhook');
    delete process.env.MERIDIAN_TEST_UNSET_SECRET;
    expect(() => createSinks(cfg)).toThrow(
      /record\.webhook\.secret: environment variable MERIDIAN_TEST_UNSET_SECRET is not set/,
    );
    const missing = parseConfig({
      executor: { kind: 'webhook', url: 'http://127.0.0.1:9/x', secret: { file: join(dir, 'absent') } },
    });
    await expect(createExecutor(missing)).rejects.toThrow(/executor\.secret: cannot read secret file/);
  });
});

async function runCli(args: string[]): Promise<{ err: unknown; stdout: string[]; stderr: string }> {
  const program = new Command('meridian').exitOverride();
  let stderr = '';
  program.configureOutput({ writeErr: (s) => (stderr += s), writeOut: () => {} });
  registerScheduleCommand(program);
  const stdout: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((s: string) => void stdout.push(s));
  const err = vi.spyOn(console, 'error').mockImplementation((s: string) => void (stderr += `${s}\n`));
  try {
    await program.parseAsync(['node', 'meridian', 'schedule', ...args]);
    return { err: null, stdout, stderr };
  } catch (e) {
    return { err: e, stdout, stderr };
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
}

describe('meridian schedule', () => {
  it('exits 2 and names the key for a bad config', async () => {
    const p = file('bad.yml', 'limits:\n  movesPerPass: many\n');
    const r = await runCli(['--config', p]);
    expect(r.err).toBeInstanceOf(CommanderError);
    expect((r.err as CommanderError).exitCode).toBe(2);
    expect(r.stderr).toMatch(/key "limits\.movesPerPass": Invalid input: expected number, received string/);
  });

  it('exits 2 on a bad --port', async () => {
    const r = await runCli(['--port', 'eighty']);
    expect((r.err as CommanderError).exitCode).toBe(2);
    expect(r.stderr).toMatch(/--port: expected 0–65535, got "eighty"/);
  });

  it('--once runs one pass on the embedded store and prints its decisions', async () => {
    const data = join(dir, 'store');
    const p = file('ok.yaml', `intervalSeconds: 10\nstore:\n  data: ${data}\n`);
    const r = await runCli(['--config', p, '--once']);
    expect(r.err).toBeNull();
    // An empty store: no regions, no workloads, so no decisions; the summary line says so.
    expect(r.stdout).toEqual([]);
    expect(r.stderr).toMatch(/pass-\d+: 0 move\(s\); solver none;/);
  });
});
