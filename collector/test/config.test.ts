import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  knownEnvVariables,
  knownSettings,
  loadConfig,
  parseConfig,
  redactConfig,
  runCollect,
} from '@meridian/collector';
import { MAX_TIMER_MS } from '../src/sources/periodic.js';

const dir = mkdtempSync(join(tmpdir(), 'meridian-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const minimal = 'collector:\n  region: eu-west\nstore:\n  clickhouse: http://ch.example:8123\n';

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('collector.yaml bounds (issue 17.7)', () => {
  it('bounds every numeric key, durations below the 24.8-day timer limit, with errors naming the key', () => {
    const numeric = knownSettings().filter((s) => s.kind === 'number');
    expect(numeric.map((s) => s.key)).toContain('spool.maxBytes');
    expect(numeric.map((s) => s.key)).toContain('stamp.reflector.port');
    for (const { key, variable } of numeric) {
      const e = errorOf(() => parseConfig(minimal, 'c.yaml', { env: { [variable]: '1e15' } }));
      expect(e.key, variable).toBe(key);
      expect(e.message).toMatch(new RegExp(`^${variable}: ${key.replace('.', '\\.')}: Too big`));
      // Durations become timers, except the spool's age bound (compared with batch times, never armed).
      if (key.endsWith('Ms') && key !== 'spool.maxAgeMs') {
        const t = errorOf(() => parseConfig(minimal, 'c.yaml', { env: { [variable]: String(MAX_TIMER_MS + 1) } }));
        expect(t.key).toBe(key);
      }
    }
  });

  it('refuses a telemetry.listen port above 65535, naming the key', () => {
    const e = errorOf(() => parseConfig(`${minimal}telemetry:\n  listen: 127.0.0.1:99999\n`, 'c.yaml', { env: {} }));
    expect(e.message).toBe('c.yaml: telemetry.listen: port must be 0 to 65535');
    expect(
      parseConfig(`${minimal}telemetry:\n  listen: "[::1]:65535"\n`, 'c.yaml', { env: {} }).config.telemetry.listen,
    ).toBe('[::1]:65535');
  });
});

describe('collector.yaml', () => {
  it('fills defaults for a minimal file', () => {
    const { config } = parseConfig(minimal, 'c.yaml', { env: {} });
    expect(config.collector.region).toBe('eu-west');
    expect(config.pipeline).toEqual({ maxRows: 10_000, flushIntervalMs: 10_000, drainOnStopMs: 20_000 });
    expect(config.spool).toEqual({
      dir: '/var/lib/meridian/spool',
      maxBytes: 268_435_456,
      maxAgeMs: 86_400_000,
      fsync: 'always',
    });
    expect(config.sources.nvidiaSmi).toMatchObject({ enabled: true, intervalMs: 1000, command: 'nvidia-smi' });
    expect(config.sources.dcgm.enabled).toBe(false);
    expect(config.stamp.sender).toMatchObject({ enabled: true, rate: 10, peers: [] });
    expect(config.stamp.clock).toEqual({ source: 'chrony', command: 'chronyc', intervalMs: 60_000 });
    expect(config.telemetry.listen).toBe('127.0.0.1:9464');
  });

  it.each([
    ['pipeline:\n  flushIntervalMs: 5\n', 'pipeline.flushIntervalMs', /Too small: expected number to be >=100/],
    ['pipeline:\n  maxRows: lots\n', 'pipeline.maxRows', /expected number, received string/],
    ['sources:\n  nvidiaSmi:\n    enabeld: true\n', 'sources.nvidiaSmi.enabeld', /is not a setting here/],
    ['spool:\n  fsync: sometimes\n', 'spool.fsync', /"always"\|"never"/],
    [
      'stamp:\n  sender:\n    peers:\n      - address: 10.0.0.9\n        port: 99999\n        region: us-east\n',
      'stamp.sender.peers[0].port',
      /<=65535/,
    ],
    ['telemetry:\n  listen: everywhere\n', 'telemetry.listen', /must be "host:port"/],
    ['sources:\n  nic:\n    interfaces: ["eth0; rm -rf /"]\n', 'sources.nic.interfaces[0]', /is not an interface name/],
  ])('names the key that is wrong: %s', (extra, key, problem) => {
    const err = errorOf(() => parseConfig(minimal + extra, 'c.yaml', { env: {} }));
    expect(err.key).toBe(key);
    expect(err.message).toMatch(problem);
    expect(err.message.startsWith(`c.yaml: ${key}: `)).toBe(true);
  });

  it('requires a region and a store, by name', () => {
    expect(errorOf(() => parseConfig('store:\n  clickhouse: http://x:8123\n', 'c.yaml', { env: {} })).key).toBe(
      'collector',
    );
    const e = errorOf(() => parseConfig('collector:\n  region: r\n', 'c.yaml', { env: {} }));
    expect(e.key).toBe('store.clickhouse');
    expect(e.message).toMatch(/is required: the ClickHouse server URL/);
  });

  it('says where broken YAML is', () => {
    const e = errorOf(() => parseConfig('collector:\n  region: eu\nsources: [\n', 'c.yaml', { env: {} }));
    expect(e.message).toMatch(/^c\.yaml: invalid YAML at line 4, column 1:/);
  });

  it('refuses a password in the file and says where it belongs', () => {
    const e = errorOf(() => parseConfig(minimal + '  password: hunter2\n', 'c.yaml', { env: {} }));
    expect(e.key).toBe('store.password');
    expect(e.message).toMatch(/store\.passwordFile, or MERIDIAN_CLICKHOUSE_PASSWORD/);
    expect(e.message).not.toContain('hunter2');
  });

  it('takes overrides from MERIDIAN_COLLECTOR_* and names the variable when one is wrong', () => {
    const { config, fromEnv } = parseConfig(minimal, 'c.yaml', {
      env: {
        MERIDIAN_COLLECTOR_PIPELINE_FLUSH_INTERVAL_MS: '2500',
        MERIDIAN_COLLECTOR_SOURCES_NVIDIA_SMI_ENABLED: 'false',
        MERIDIAN_COLLECTOR_SOURCES_NIC_INTERFACES: 'eth0, eth1',
        MERIDIAN_COLLECTOR_REGION: 'us-east',
      },
    });
    expect(config.pipeline.flushIntervalMs).toBe(2500);
    expect(config.sources.nvidiaSmi.enabled).toBe(false);
    expect(config.sources.nic.interfaces).toEqual(['eth0', 'eth1']);
    expect(config.collector.region).toBe('us-east');
    expect(fromEnv).toHaveLength(4);

    const bad = errorOf(() =>
      parseConfig(minimal, 'c.yaml', { env: { MERIDIAN_COLLECTOR_PIPELINE_MAX_ROWS: 'many' } }),
    );
    expect(bad.message).toBe('MERIDIAN_COLLECTOR_PIPELINE_MAX_ROWS: pipeline.maxRows: "many" is not a number');
    const range = errorOf(() => parseConfig(minimal, 'c.yaml', { env: { MERIDIAN_COLLECTOR_PIPELINE_MAX_ROWS: '0' } }));
    expect(range.message).toMatch(/^MERIDIAN_COLLECTOR_PIPELINE_MAX_ROWS: pipeline\.maxRows: Too small/);
    const typo = errorOf(() => parseConfig(minimal, 'c.yaml', { env: { MERIDIAN_COLLECTOR_FLUSH: '1' } }));
    expect(typo.message).toMatch(/^MERIDIAN_COLLECTOR_FLUSH: names no collector setting/);
    expect(knownEnvVariables()).toContain('MERIDIAN_COLLECTOR_SPOOL_MAX_BYTES');
  });

  it('falls back to MERIDIAN_CLICKHOUSE_URL, and command-line flags win over everything', () => {
    const env = { MERIDIAN_CLICKHOUSE_URL: 'http://from-env:8123', MERIDIAN_COLLECTOR_PIPELINE_MAX_ROWS: '7' };
    expect(parseConfig('collector:\n  region: r\n', 'c.yaml', { env }).config.store.clickhouse).toBe(
      'http://from-env:8123',
    );
    const { config } = parseConfig(minimal, 'c.yaml', { env, flags: { 'store.clickhouse': 'http://flag:8123' } });
    expect(config.store.clickhouse).toBe('http://flag:8123');
    expect(config.pipeline.maxRows).toBe(7);
  });
});

describe('collector.yaml secrets and the command', () => {
  it('reads the password from a file or the environment, and never prints it', () => {
    const pw = join(dir, 'pw');
    writeFileSync(pw, 's3cr3t-from-file\n', { mode: 0o600 });
    const file = join(dir, 'c.yaml');
    writeFileSync(file, `${minimal}  passwordFile: ${pw}\n`);
    const loaded = loadConfig(file, { env: {} });
    expect(loaded.secrets.clickhousePassword).toBe('s3cr3t-from-file');
    expect(JSON.stringify(loaded.config)).not.toContain('s3cr3t');
    expect(
      parseConfig(minimal, 'c.yaml', { env: { MERIDIAN_CLICKHOUSE_PASSWORD: 'envpw' } }).secrets.clickhousePassword,
    ).toBe('envpw');

    // A password file others can read is refused, naming the key and the chmod to run.
    chmodSync(pw, 0o644);
    const loose = errorOf(() => loadConfig(file, { env: {} }));
    expect(loose.key).toBe('store.passwordFile');
    expect(loose.message).toBe(
      `${file}: store.passwordFile: ${pw} is readable by group or others (mode 644). Run: chmod 600 ${pw}`,
    );
    const viaEnv = errorOf(() => parseConfig(minimal, 'c.yaml', { env: { MERIDIAN_CLICKHOUSE_PASSWORD_FILE: pw } }));
    expect(viaEnv.message).toMatch(/^MERIDIAN_CLICKHOUSE_PASSWORD_FILE: .* Run: chmod 600 /);

    writeFileSync(file, `${minimal}  passwordFile: ${join(dir, 'missing')}\n`);
    const e = errorOf(() => loadConfig(file, { env: {} }));
    expect(e.key).toBe('store.passwordFile');
    expect(e.message).toMatch(/cannot read the password file .*missing \(ENOENT\)/);
    expect(errorOf(() => loadConfig(join(dir, 'nope.yaml'))).message).toMatch(
      /nope\.yaml: cannot read the config file \(ENOENT\)/,
    );
  });

  it('masks credentials inside the store URL when the config is printed', () => {
    const { config } = parseConfig(
      'collector:\n  region: r\nstore:\n  clickhouse: http://meridian:pa55@ch:8123\n',
      'c.yaml',
      { env: {} },
    );
    expect(redactConfig(config).store.clickhouse).toBe('http://meridian:***@ch:8123/');
  });

  it('meridian collect exits 2 with one line naming the key, and --check prints the config masked', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, `${minimal}pipeline:\n  maxRows: -1\n`);
    const lines: string[] = [];
    expect(await runCollect({ config: file }, (m) => lines.push(m))).toBe(2);
    expect(lines).toEqual([`meridian collect: ${file}: pipeline.maxRows: Too small: expected number to be >=1`]);
    expect(await runCollect({}, (m) => lines.push(m))).toBe(2);
    expect(lines[1]).toMatch(/--config <file> is required/);

    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'collector:\n  region: r\nstore:\n  clickhouse: http://u:topsecret@ch:8123\n');
    const printed: string[] = [];
    const log = console.log;
    console.log = (m: string) => printed.push(m);
    try {
      expect(await runCollect({ config: good, check: true })).toBe(0);
    } finally {
      console.log = log;
    }
    expect(printed.join('\n')).toContain('"clickhouse": "http://u:***@ch:8123/"');
    expect(printed.join('\n')).not.toContain('topsecret');
  });
});
