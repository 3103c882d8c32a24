/** The one factory list: which sources a config builds, and the kernelLog key (issue 13). */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '@meridian/collector';
import { GpuDirectory } from '../../src/sources/gpu-directory.js';
import { createSources, SOURCE_FACTORIES } from '../../src/sources/registry.js';
import type { SourceDeps } from '../../src/sources/source.js';

const minimal = 'collector:\n  region: eu-west\nstore:\n  clickhouse: http://ch.example:8123\n';
const deps = (): SourceDeps => ({ gpus: new GpuDirectory(), stampClock: () => undefined });
const built = (yaml: string, env: NodeJS.ProcessEnv = {}): string[] =>
  createSources(parseConfig(minimal + yaml, 'c.yaml', { env }).config, deps()).map((s) => s.name);

/** The config `minimal + yaml` is refused with a ConfigError naming `key`. */
function expectKeyError(yaml: string, key: string): void {
  let err: unknown;
  try {
    parseConfig(minimal + yaml, 'c.yaml', { env: {} });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as ConfigError).key).toBe(key);
}

describe('source factories', () => {
  it('lists every source once, and each factory builds the source of its name', () => {
    const names = SOURCE_FACTORIES.map((f) => f.name);
    expect(names).toEqual([
      'nvidia-smi',
      'nvidia-smi-inventory',
      'kernel-log',
      'dcgm',
      'host',
      'link-passive',
      'stamp-sender',
      'stamp-reflector',
      'attribution',
    ]);
    const all = built(
      [
        'sources: { dcgm: { enabled: true }, nic: { enabled: true, interfaces: [eth0] } }',
        'stamp: { sender: { peers: [{ address: 127.0.0.1, region: us-east }] }, reflector: { enabled: true } }',
      ].join('\n'),
    );
    expect(all).toEqual(names);
  });

  it('builds what a minimal config enables: nvidia-smi, its inventory, the kernel log, the host, the roster-driven STAMP sender and attribution', () => {
    expect(built('')).toEqual([
      'nvidia-smi',
      'nvidia-smi-inventory',
      'kernel-log',
      'host',
      'stamp-sender',
      'attribution',
    ]);
    // No GPUs: no XIDs to join. No peers and no roster: no sender.
    expect(
      built('sources: { nvidiaSmi: { enabled: false } }\nstamp: { sender: { roster: { enabled: false } } }'),
    ).toEqual(['host']);
  });

  it('sources.kernelLog is a documented key with defaults, an override and errors that name it', () => {
    const { config } = parseConfig(minimal, 'c.yaml', { env: {} });
    expect(config.sources.kernelLog).toEqual({ enabled: true, path: '/dev/kmsg', pollMs: 5_000 });
    expect(built('sources: { kernelLog: { enabled: false } }')).toEqual([
      'nvidia-smi',
      'nvidia-smi-inventory',
      'host',
      'stamp-sender',
      'attribution',
    ]);
    expect(built('', { MERIDIAN_COLLECTOR_SOURCES_KERNEL_LOG_ENABLED: 'false' })).not.toContain('kernel-log');
    for (const [yaml, key] of [
      ['sources: { kernelLog: { pollMs: 10 } }', 'sources.kernelLog.pollMs'],
      ['sources: { kernelLog: { path: "" } }', 'sources.kernelLog.path'],
      ['sources: { kernelLog: { follow: true } }', 'sources.kernelLog.follow'],
    ] as const)
      expectKeyError(yaml, key);
  });

  it('attribution is a documented key with defaults, an override and errors that name it', () => {
    const { config } = parseConfig(minimal, 'c.yaml', { env: {} });
    expect(config.attribution).toEqual({
      enabled: true,
      mode: 'auto',
      intervalMs: 10_000,
      kubelet: { socket: '/var/lib/kubelet/pod-resources/kubelet.sock', timeoutMs: 2_000 },
      processes: { intervalMs: 30_000, procRoot: '/proc' },
      slurmCluster: '',
    });
    expect(built('attribution: { enabled: false }')).not.toContain('attribution');
    expect(built('', { MERIDIAN_COLLECTOR_ATTRIBUTION_ENABLED: 'false' })).not.toContain('attribution');
    for (const [yaml, key] of [
      ['attribution: { intervalMs: 10 }', 'attribution.intervalMs'],
      ['attribution: { mode: slurm }', 'attribution.mode'],
      ['attribution: { kubelet: { socket: "" } }', 'attribution.kubelet.socket'],
      ['attribution: { slurmCluster: "a b" }', 'attribution.slurmCluster'],
      ['attribution: { perSample: true }', 'attribution.perSample'],
    ] as const)
      expectKeyError(yaml, key);
  });
});
