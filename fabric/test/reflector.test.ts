/**
 * The reflector against the loopback API server: paged lists, watch streams with bookmarks, a watch
 * that ends in 410 Gone, a flaky server (backoff), and the resync that finds a lost deletion.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Reflector, RESOURCES } from '@meridian/fabric';
import { sameDigest, updateInPlace } from '../src/kubernetes/reflector.js';
import { until } from '../../collector/test/until.js';
import { gpuPodSpec, LoopbackApi, pod } from './support/kube-api.js';

const api = new LoopbackApi();
const a = api.cluster('a');
let reflectors: { stop(): Promise<void> }[] = [];
const errors: string[] = [];

function mirror(opts: { pageSize?: number; resyncMs?: number } = {}): Reflector<string> {
  const r = new Reflector<string>({
    kubeConfig: api.kubeConfig(),
    kind: RESOURCES.pods,
    digest: (o) => (o.status as { phase?: string } | undefined)?.phase ?? '',
    onChange: () => undefined,
    onError: (e) => errors.push(e.message),
    pageSize: opts.pageSize ?? 2,
    resyncMs: opts.resyncMs ?? 600_000,
    backoffMs: { baseMs: 10, maxMs: 50 },
  });
  reflectors.push(r);
  r.start();
  return r;
}

beforeAll(async () => {
  await api.start();
  for (let i = 0; i < 5; i++) a.put(pod(`p${i}`, 'ml', undefined, gpuPodSpec(1), 'node-1'));
});
afterEach(async () => {
  await Promise.all(reflectors.map((r) => r.stop()));
  reflectors = [];
});
afterAll(() => api.stop());

describe('Reflector', () => {
  it('lists in pages, then follows the watch from the list resourceVersion', async () => {
    const r = mirror({ pageSize: 2 });
    await until(() => r.synced, 'first list');
    expect(r.items.size).toBe(5);
    const lists = a.requests.filter((q) => q.startsWith('GET /api/v1/pods?limit=2'));
    expect(lists.some((q) => q.includes('continue=2'))).toBe(true);
    expect(lists.some((q) => q.includes('continue=4'))).toBe(true);
    await until(() => a.watches.size > 0, 'watch open');
    const watch = a.requests.find((q) => q.includes('watch=true'))!;
    expect(watch).toContain('allowWatchBookmarks=true');
    expect(watch).toMatch(/resourceVersion=\d+/);
    a.put(pod('p9', 'ml', undefined, gpuPodSpec(1)));
    await until(() => r.items.get('ml/p9') === 'Pending', 'ADDED event');
    a.delete('Pod', 'ml', 'p9');
    await until(() => !r.items.has('ml/p9'), 'DELETED event');
    expect(r.stats.lists).toBe(1);
  });

  it('takes the resourceVersion of a bookmark, and resumes from it after the server closes the watch', async () => {
    const r = mirror();
    await until(() => r.synced && a.watches.size > 0, 'watching');
    a.bookmark();
    const bm = String(a.rv);
    await until(() => r.resourceVersion === bm, 'bookmark applied');
    expect(r.stats.bookmarks).toBe(1);
    const before = a.requests.length;
    a.closeWatches();
    await until(
      () => a.requests.slice(before).some((q) => q.includes(`resourceVersion=${bm}`)),
      'rewatch from bookmark',
    );
    expect(r.stats.lists).toBe(1);
  });

  it('answers a watch that ends in 410 Gone with a relist, which also drops what was deleted meanwhile', async () => {
    const r = mirror();
    await until(() => r.synced && a.watches.size > 0, 'watching');
    a.delete('Pod', 'ml', 'p4', { silently: true });
    a.expire();
    await until(() => r.stats.lists === 2, 'relist after 410');
    expect(r.stats.expired).toBe(1);
    expect(r.items.has('ml/p4')).toBe(false);
    expect(r.items.size).toBe(4);
  });

  it('reconnects with backoff after the server fails the watch', async () => {
    const r = mirror();
    await until(() => r.synced, 'listed');
    a.failWatches = { count: 2, code: 500 };
    a.closeWatches();
    await until(() => r.stats.failures >= 2 && a.watches.size > 0, 'reconnected');
    expect(errors.some((e) => e.includes('HTTP 500'))).toBe(true);
    a.put(pod('p5', 'ml', undefined, gpuPodSpec(1), 'node-2'));
    await until(() => r.items.get('ml/p5') === 'Running', 'events after the reconnect');
  });

  it('a resync lists again and finds a deletion whose event was lost', async () => {
    const r = mirror();
    await until(() => r.synced && a.watches.size > 0, 'watching');
    a.delete('Pod', 'ml', 'p3', { silently: true });
    expect(r.items.has('ml/p3')).toBe(true);
    r.resync();
    await until(() => !r.items.has('ml/p3'), 'resync');
    expect(r.stats.lists).toBe(2);
  });

  it('marks a CRD the cluster does not serve as absent, and still counts as listed', async () => {
    const r = new Reflector<string>({
      kubeConfig: api.kubeConfig(),
      kind: RESOURCES.JobSet,
      digest: () => '',
      onChange: () => undefined,
      onError: (e) => errors.push(e.message),
    });
    reflectors.push(r);
    r.start();
    await until(() => r.synced, 'listed');
    expect(r.absent).toBe(true);
  });

  it('updates a digest in place, keeping equal nested values, and says whether anything changed', () => {
    const owner = { kind: 'Job', name: 'train', key: 'ml/train' };
    const kept: Record<string, unknown> = { name: 'p0', phase: 'Running', owner, labels: { a: '1' } };
    expect(updateInPlace(kept, { name: 'p0', phase: 'Running', owner: { ...owner }, labels: { a: '1' } })).toBe(false);
    expect(kept.owner).toBe(owner);
    expect(updateInPlace(kept, { name: 'p0', phase: 'Succeeded', owner: { ...owner } })).toBe(true);
    expect(kept).toEqual({ name: 'p0', phase: 'Succeeded', owner });
    expect(kept.owner).toBe(owner);
    expect(sameDigest([1, { x: 2 }], [1, { x: 2 }])).toBe(true);
    expect(sameDigest([1], { 0: 1 })).toBe(false);
    expect(sameDigest({ a: undefined }, {})).toBe(false);
  });

  it('a MODIFIED event that changes nothing the digest keeps marks nothing changed', async () => {
    let changes = 0;
    const r = new Reflector<{ phase: string }>({
      kubeConfig: api.kubeConfig(),
      kind: RESOURCES.pods,
      digest: (o) => ({ phase: (o.status as { phase?: string } | undefined)?.phase ?? '' }),
      onChange: () => changes++,
      onError: (e) => errors.push(e.message),
      pageSize: 10,
      resyncMs: 600_000,
      backoffMs: { baseMs: 10, maxMs: 50 },
    });
    reflectors.push(r);
    r.start();
    await until(() => r.synced && a.watches.size > 0, 'listed and watching');
    const kept = r.items.get('ml/p0');
    const before = changes;
    const p0 = a.get('Pod', 'ml', 'p0')!;
    // A status heartbeat: a new condition time, the same phase.
    a.put({ ...p0, status: { ...p0.status, conditions: [{ type: 'Ready', status: 'True', lastProbeTime: 'x' }] } });
    a.put({ ...p0, status: { ...p0.status, phase: 'Succeeded' } });
    await until(() => r.items.get('ml/p0')?.phase === 'Succeeded', 'the phase change');
    expect(r.stats.events).toBeGreaterThanOrEqual(2);
    expect(changes - before).toBe(1);
    expect(r.items.get('ml/p0')).toBe(kept);
  });
});
