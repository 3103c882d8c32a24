/**
 * deploy/kubernetes against the Kubernetes schema, as @kubernetes/client-node's generated models
 * state it (every field name and type of every object, from the API's OpenAPI document): a misspelt
 * or misplaced key, or a value of the wrong type, fails here rather than at `kubectl apply`. Then
 * what issue 13 promises of the manifests: a read-only observer role that covers every resource the
 * observer watches, and the kernel log reaching an unprivileged collector.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { observeFileSchema, RESOURCES } from '@meridian/fabric';
import { parseConfig } from '@meridian/collector';

const deploy = (p: string) => fileURLToPath(new URL(`../../deploy/${p}`, import.meta.url));
type Doc = Record<string, unknown> & { kind: string; apiVersion: string };
const load = (p: string) => parseAllDocuments(readFileSync(deploy(p), 'utf8')).map((d) => d.toJS() as Doc);

interface Attr {
  baseName: string;
  type: string;
}
const models = k8s as unknown as Record<string, { getAttributeTypeMap?: () => Attr[] } | undefined>;

/** Checks `value` against the model `type` (a client-node type string); problems name the path. */
function check(value: unknown, type: string, path: string, out: string[]): void {
  const kindOf = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
  if (type === 'any') return;
  if (type === 'string' || type === 'Date') {
    if (typeof value !== 'string') out.push(`${path}: expected string, got ${kindOf(value)}`);
    return;
  }
  if (type === 'number' || type === 'boolean') {
    if (typeof value !== type) out.push(`${path}: expected ${type}, got ${kindOf(value)}`);
    return;
  }
  if (type === 'IntOrString') {
    if (typeof value !== 'string' && typeof value !== 'number') out.push(`${path}: expected int or string`);
    return;
  }
  const arr = /^Array<(.+)>$/.exec(type);
  if (arr) {
    if (!Array.isArray(value)) out.push(`${path}: expected array, got ${kindOf(value)}`);
    else value.forEach((v, i) => check(v, arr[1]!, `${path}[${i}]`, out));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (kindOf(value) !== 'object') {
    out.push(`${path}: expected object (${type}), got ${kindOf(value)}`);
    return;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (map) {
    for (const [k, v] of entries) check(v, map[1]!, `${path}.${k}`, out);
    return;
  }
  const attrs = models[type]?.getAttributeTypeMap?.();
  if (!attrs) throw new Error(`no model ${type} in @kubernetes/client-node`);
  for (const [k, v] of entries) {
    const a = attrs.find((x) => x.baseName === k);
    if (!a) out.push(`${path}.${k}: unknown field of ${type}`);
    else check(v, a.type, `${path}.${k}`, out);
  }
}

function schemaProblems(doc: Doc): string[] {
  const out: string[] = [];
  check(doc, `V1${doc.kind}`, doc.kind, out);
  return out;
}

describe('deploy/kubernetes against the Kubernetes schema', () => {
  for (const file of ['kubernetes/collector-daemonset.yaml', 'kubernetes/observer.yaml'])
    it(`${file}: every object is valid`, () => {
      const docs = load(file);
      expect(docs.length).toBeGreaterThan(3);
      for (const d of docs) expect(schemaProblems(d), `${d.kind}`).toEqual([]);
    });

  it('the checker catches a misspelt field and a wrong type', () => {
    const ds = load('kubernetes/collector-daemonset.yaml').find((d) => d.kind === 'DaemonSet')!;
    const bad = structuredClone(ds) as unknown as { spec: { template: { spec: Record<string, unknown> } } };
    bad.spec.template.spec.hostNetwrok = true;
    bad.spec.template.spec.terminationGracePeriodSeconds = '30';
    expect(schemaProblems(bad as unknown as Doc)).toEqual([
      'DaemonSet.spec.template.spec.terminationGracePeriodSeconds: expected number, got string',
      'DaemonSet.spec.template.spec.hostNetwrok: unknown field of V1PodSpec',
    ]);
  });
});

describe('the observer manifest', () => {
  const docs = load('kubernetes/observer.yaml');
  const role = docs.find((d) => d.kind === 'ClusterRole') as unknown as k8s.V1ClusterRole;

  it('is read-only and covers every resource the observer lists and watches', () => {
    const rules = role.rules ?? [];
    for (const r of rules) expect(r.verbs.sort()).toEqual(['get', 'list', 'watch']);
    for (const res of Object.values(RESOURCES)) {
      const allowed = rules.some((r) => r.apiGroups?.includes(res.group) && r.resources?.includes(res.plural));
      expect(allowed, `${res.group}/${res.plural}`).toBe(true);
    }
    const binding = docs.find((d) => d.kind === 'ClusterRoleBinding') as unknown as k8s.V1ClusterRoleBinding;
    expect(binding.roleRef.name).toBe(role.metadata?.name);
    expect(binding.subjects?.[0]).toMatchObject({
      kind: 'ServiceAccount',
      name: 'meridian-observer',
      namespace: 'meridian',
    });
  });

  it('runs `meridian observe` non-root, unprivileged, with a config that loads', () => {
    const dep = docs.find((d) => d.kind === 'Deployment') as unknown as k8s.V1Deployment;
    const c = dep.spec!.template.spec!.containers[0]!;
    expect(c.args?.slice(0, 2)).toEqual(['observe', '--config']);
    expect(c.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
    });
    expect(dep.spec!.template.spec!.serviceAccountName).toBe('meridian-observer');
    const cm = docs.find((d) => d.kind === 'ConfigMap') as unknown as k8s.V1ConfigMap;
    const cfg = observeFileSchema.parse(parseAllDocuments(cm.data!['observe.yaml']!)[0]!.toJS());
    expect(cfg.observer?.clusters).toEqual([{ region: 'eu-west' }]);
  });
});

describe('the DaemonSet reads XIDs', () => {
  const docs = load('kubernetes/collector-daemonset.yaml');
  const ds = docs.find((d) => d.kind === 'DaemonSet') as unknown as k8s.V1DaemonSet;
  const pod = ds.spec!.template.spec!;
  const collector = pod.containers.find((c) => c.name === 'collector')!;
  const relay = pod.containers.find((c) => c.name === 'kmsg-relay')!;

  it('mounts /dev/kmsg read-only into the relay only; the collector stays unprivileged and reads the FIFO', () => {
    const kmsg = pod.volumes!.find((v) => v.hostPath?.path === '/dev/kmsg')!;
    expect(kmsg.hostPath).toEqual({ path: '/dev/kmsg', type: 'CharDevice' });
    expect(relay.volumeMounts).toContainEqual({ name: kmsg.name, mountPath: '/dev/kmsg', readOnly: true });
    expect(collector.volumeMounts?.some((m) => m.name === kmsg.name)).toBe(false);
    expect(collector.securityContext).toMatchObject({
      privileged: false,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    // The relay: no token, no secrets, no network listener, read-only root.
    expect(relay.securityContext).toMatchObject({ privileged: true, readOnlyRootFilesystem: true });
    expect(relay.ports).toBeUndefined();
    expect(relay.volumeMounts?.map((m) => m.name).sort()).toEqual(['kmsg', 'kmsg-relay']);
    expect(pod.automountServiceAccountToken).toBe(false);

    const cm = docs.find((d) => d.kind === 'ConfigMap') as unknown as k8s.V1ConfigMap;
    const { config } = parseConfig(cm.data!['collector.yaml']!, 'configmap', {
      env: { MERIDIAN_COLLECTOR_REGION: 'eu-west', MERIDIAN_COLLECTOR_HOST: 'n', MERIDIAN_COLLECTOR_ID: 'n' },
      readSecrets: false,
    });
    expect(config.sources.kernelLog.enabled).toBe(true);
    const shared = collector.volumeMounts!.find((m) => m.name === 'kmsg-relay')!;
    expect(shared.readOnly).toBe(true);
    expect(config.sources.kernelLog.path.startsWith(`${shared.mountPath}/`)).toBe(true);
    expect(relay.command!.join(' ')).toContain(config.sources.kernelLog.path);
  });

  it("reaches the kubelet's root-only PodResources socket through a relay with no capability; the collector stays non-root", () => {
    const podRelay = pod.containers.find((c) => c.name === 'pod-resources-relay')!;
    const host = pod.volumes!.find((v) => v.hostPath?.path === '/var/lib/kubelet/pod-resources')!;
    expect(host.hostPath?.type).toBe('Directory');
    expect(collector.volumeMounts?.some((m) => m.name === host.name)).toBe(false);
    expect(podRelay.volumeMounts).toContainEqual({
      name: host.name,
      mountPath: '/var/lib/kubelet/pod-resources',
      readOnly: true,
    });
    // uid 0 only for the owner match on the kubelet's socket: no capability, no privilege, no escalation.
    expect(podRelay.securityContext).toEqual({
      runAsUser: 0,
      runAsGroup: 65532,
      runAsNonRoot: false,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(podRelay.ports).toBeUndefined();
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532 });
    expect(collector.securityContext?.runAsUser).toBeUndefined();

    const cm = docs.find((d) => d.kind === 'ConfigMap') as unknown as k8s.V1ConfigMap;
    const { config } = parseConfig(cm.data!['collector.yaml']!, 'configmap', {
      env: { MERIDIAN_COLLECTOR_REGION: 'eu-west', MERIDIAN_COLLECTOR_HOST: 'n', MERIDIAN_COLLECTOR_ID: 'n' },
      readSecrets: false,
    });
    const shared = collector.volumeMounts!.find((m) => m.name === 'pod-resources-relay')!;
    expect(config.attribution.kubelet.socket).toBe(`${shared.mountPath}/kubelet.sock`);
    expect(podRelay.args).toEqual([
      `UNIX-LISTEN:${config.attribution.kubelet.socket},fork,unlink-early,mode=0660`,
      'UNIX-CONNECT:/var/lib/kubelet/pod-resources/kubelet.sock',
    ]);
  });
});
