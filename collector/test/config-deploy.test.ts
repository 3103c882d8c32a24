/**
 * The files in deploy/ are part of the product: the example config must load, the DaemonSet's
 * embedded config must load with the environment the DaemonSet gives it, and the security settings
 * the README promises must be there.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseConfig } from '@meridian/collector';

const deploy = (p: string) => fileURLToPath(new URL(`../../deploy/${p}`, import.meta.url));

interface Container {
  args: string[];
  env: { name: string; value?: string }[];
  ports: { name: string; containerPort: number; protocol: string }[];
  securityContext: Record<string, unknown> & { capabilities: { drop: string[]; add?: string[] } };
  livenessProbe: { httpGet: { path: string; port: number } };
  volumeMounts: { mountPath: string; readOnly?: boolean }[];
}
interface K8sDoc {
  kind: string;
  data?: Record<string, string>;
  spec?: {
    template: { spec: Record<string, unknown> & { containers: Container[]; securityContext: Record<string, unknown> } };
  };
}

describe('deploy/', () => {
  it('collector.yaml (the example) is a valid config', () => {
    const { config } = parseConfig(readFileSync(deploy('collector.yaml'), 'utf8'), 'deploy/collector.yaml', {
      env: {},
    });
    expect(config.collector.region).toBe('eu-west');
    expect(config.store.clickhouse).toBe('http://clickhouse.eu-west.internal:8123');
    // No peers listed: the roster elects who probes (the example's peers are a comment).
    expect(config.stamp.sender.peers).toHaveLength(0);
    expect(config.stamp.sender.roster).toEqual({
      enabled: true,
      probersPerPeer: 2,
      intervalMs: 60_000,
      staleAfterMs: 180_000,
      port: 862,
    });
    expect(config.stamp.reflector?.port).toBe(862);
    expect(config.stamp.clock.source).toBe('chrony');
    expect(config.sources.nic.interfaces).toEqual(['ens1f0', 'ens1f1']);
  });

  const docs = parseAllDocuments(readFileSync(deploy('kubernetes/collector-daemonset.yaml'), 'utf8')).map(
    (d) => d.toJS() as K8sDoc,
  );
  const ds = docs.find((d) => d.kind === 'DaemonSet')!;
  const pod = ds.spec!.template.spec;
  const container = pod.containers[0]!;

  it('the DaemonSet runs on GPU nodes, non-root, with no privileges', () => {
    expect(pod['nodeSelector']).toMatchObject({ 'nvidia.com/gpu.present': 'true' });
    expect(pod['hostNetwork']).toBe(true);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
    });
    expect(container.securityContext.capabilities).toEqual({ drop: ['ALL'] });
    expect(container.volumeMounts.find((m) => m.mountPath === '/host/root')?.readOnly).toBe(true);
    expect(pod['automountServiceAccountToken']).toBe(false);
  });

  it("the DaemonSet's config loads with the environment it sets, and its ports match the config", () => {
    const cm = docs.find((d) => d.kind === 'ConfigMap')!;
    const env = Object.fromEntries(container.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
    const { config } = parseConfig(cm.data!['collector.yaml']!, 'configmap', {
      env: { ...env, MERIDIAN_COLLECTOR_HOST: 'gpu-node-1', MERIDIAN_COLLECTOR_ID: 'gpu-node-1' },
      readSecrets: false, // the secret volume exists only in the pod
    });
    expect(config.store.passwordFile).toBe('/etc/meridian/secret/password');
    expect(config.collector).toEqual({ region: 'eu-west', host: 'gpu-node-1', id: 'gpu-node-1' });
    const port = (name: string) => container.ports.find((p) => p.name === name);
    expect(port('stamp')).toEqual({ name: 'stamp', containerPort: config.stamp.reflector!.port, protocol: 'UDP' });
    expect(port('metrics')?.containerPort).toBe(Number(config.telemetry.listen.split(':')[1]));
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 9464 });
    expect(container.volumeMounts.map((m) => m.mountPath)).toContain('/var/lib/meridian');
    expect(config.spool.dir.startsWith('/var/lib/meridian/')).toBe(true);
    // Without the region variable it refuses to start, naming the key.
    expect(() => parseConfig(cm.data!['collector.yaml']!, 'configmap', { env: {}, readSecrets: false })).toThrow(
      /^configmap: collector\.region: /,
    );
  });

  const unit = readFileSync(deploy('systemd/meridian-collector.service'), 'utf8');
  const directive = (k: string) => [...unit.matchAll(new RegExp(`^${k}=(.*)$`, 'gm'))].map((m) => m[1]);

  it('the systemd unit runs as a dedicated user with the hardening the README lists', () => {
    expect(directive('User')).toEqual(['meridian']);
    for (const [k, v] of [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['PrivateTmp', 'yes'],
      ['CapabilityBoundingSet', 'CAP_NET_BIND_SERVICE CAP_SYSLOG'],
      ['RestrictSUIDSGID', 'yes'],
      // XIDs: the kernel log is readable (issue 13), read-only, and syslog(2) stays filtered out.
      ['ProtectKernelLogs', 'no'],
    ]) {
      expect(directive(k!), k).toEqual([v]);
    }
    expect(directive('SystemCallFilter')).toEqual(['@system-service', '~syslog']);
    expect(directive('DeviceAllow')).toContain('/dev/kmsg r');
    expect(directive('ReadWritePaths')).toEqual(['/var/lib/meridian']);
    // Longer than the sink's 5 s drain on SIGTERM, so systemd does not SIGKILL a clean stop.
    expect(Number(directive('TimeoutStopSec')[0])).toBeGreaterThan(5);
    // The agent alone gets the SIGTERM, and stops its children (the STAMP sender drains) itself.
    expect(directive('KillMode')).toEqual(['mixed']);
    expect(unit).not.toMatch(/PASSWORD=/);
  });

  it.runIf(existsSync('/usr/bin/systemd-analyze'))('the systemd unit passes systemd-analyze verify', () => {
    let out = '';
    try {
      execFileSync('systemd-analyze', ['verify', deploy('systemd/meridian-collector.service')], {
        encoding: 'utf8',
        stdio: 'pipe',
      });
    } catch (err) {
      out = String((err as { stderr?: string }).stderr ?? err);
    }
    // The only complaint allowed here: the meridian binary is not installed on this machine.
    const complaints = out.split('\n').filter((l) => l.trim() && !l.includes('/usr/bin/meridian is not executable'));
    expect(complaints).toEqual([]);
  });
});
