/**
 * Trace replay (issue 18): each layout of sim/src/trace-layouts.ts on its vendored sample, an unknown
 * header refused with what each layout needs, seeded sampling, real durations, and trace pods that
 * follow the admission weights while "none" (no weights) keeps their submitted regions.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { copies, loadScenario, parseScenario, readTrace, traceWorkloads, Twin } from '@meridian/sim';

const TRACES = join(dirname(fileURLToPath(import.meta.url)), '..', 'traces');
const START = Date.UTC(2026, 11, 5, 12);
const dir = mkdtempSync(join(tmpdir(), 'sim-trace-layouts-'));
const fabric = { names: ['a', 'b'], gpuCounts: [16, 16] };
const spec = (over: object = {}) => ({ path: 'x', time_scale: 1, offset: 0, sample: 1, ...over });

describe('trace layouts', () => {
  it('reads the openb pod list without time columns in file order at the scenario rate', () => {
    const { layout, pods } = readTrace(join(TRACES, 'alibaba-openb-notime', 'openb_pod_list_notime.sample.csv'));
    expect(layout).toBe('openb-notime');
    expect(pods.length).toBe(40);
    const ws = traceWorkloads(pods, spec({ rate_per_hour: 60, duration: [600, 1200] }), fabric, 1, layout);
    // One a minute in file order (the CPU-only pods are skipped but keep their place).
    expect(ws.slice(0, 3).map((w) => [w.spec.id, w.spec.arrivalS])).toEqual([
      ['openb-pod-0000', 0],
      ['openb-pod-0001', 60],
      ['openb-pod-0002', 120],
    ]);
    for (const w of ws) expect(w.spec.durationS).toBeGreaterThanOrEqual(600);
    expect(() => traceWorkloads(pods, spec({ duration: [600, 1200] }), fabric, 1, layout)).toThrow(
      /set workloads\.trace\.rate_per_hour/,
    );
    expect(() => traceWorkloads(pods, spec({ rate_per_hour: 60 }), fabric, 1, layout)).toThrow(
      /set workloads\.trace\.duration/,
    );
  });

  it('reads the PAI 2020 task table (headerless): a job is its tasks, plan_gpu in percent of a GPU', () => {
    const { pods } = readTrace(join(TRACES, 'alibaba-pai-2020', 'pai_task_table.layout-sample.csv'), {
      layout: 'pai-2020',
    });
    const byName = new Map(pods.map((p) => [p.name, p]));
    // job-a1: 4 workers at 100 % (4 GPUs) and a PS without GPU.
    expect(byName.get('job-a1')).toMatchObject({ numGpu: 4, kind: 'training', creationS: 1000, deletionS: 4600 });
    expect(byName.get('job-b2')).toMatchObject({ numGpu: 1, gpuMilli: 500, kind: 'batch' });
    expect(byName.get('job-c3')).toMatchObject({ numGpu: 4, kind: 'training' });
    // Still running at the trace's end, or never started: left out.
    expect(byName.has('job-e5')).toBe(false);
    expect(byName.has('job-f6')).toBe(false);
  });

  it('reads the 2025 serving instances: one service per app and role, later instances as replicas', () => {
    const { layout, pods } = readTrace(join(TRACES, 'alibaba-serving-2025', 'disaggregated_DLRM_trace.sample.csv'));
    expect(layout).toBe('serving-2025');
    expect(pods.every((p) => p.kind === 'inference')).toBe(true);
    const base = pods.find((p) => p.name === 'app_0/HN');
    expect(base).toMatchObject({ numGpu: 8, creationS: null, deletionS: null });
    expect(pods.some((p) => p.name.includes('/CN'))).toBe(false);
    expect(pods.find((p) => p.name === 'app_114/HN/instance_21543')).toMatchObject({
      numGpu: 1,
      creationS: 2246430,
      deletionS: 2260324,
    });
    // Present from the start, never deleted in the trace: runs through any run.
    const ws = traceWorkloads(pods, spec({ offset: 2_236_000 }), fabric, 1, layout);
    expect(ws.find((w) => w.spec.id === 'app_0/HN')?.spec.arrivalS).toBe(0);
  });

  it('reads any CSV through a column mapping, with its region column', () => {
    const file = join(dir, 'jobs.csv');
    writeFileSync(file, 'job,gpus,submit,end,type,site\nj1,2,10,70,training,b\nj2,1,20,50,ls,a\n');
    const { pods } = readTrace(file, {
      columns: { name: 'job', gpus: 'gpus', arrival: 'submit', end: 'end', kind: 'type', region: 'site' },
    });
    const ws = traceWorkloads(pods, spec(), fabric, 1, 'columns');
    expect(ws.map((w) => [w.spec.id, w.spec.kind, w.spec.region, w.spec.arrivalS, w.spec.durationS])).toEqual([
      ['j1', 'training', 1, 10, 60],
      ['j2', 'inference', 0, 20, 30],
    ]);
    writeFileSync(file, 'job,gpus,submit,end,type,site\nj1,2,10,70,training,mars\n');
    const again = readTrace(file, {
      columns: { name: 'job', gpus: 'gpus', arrival: 'submit', end: 'end', region: 'site' },
    });
    expect(() => traceWorkloads(again.pods, spec(), fabric, 1, 'columns')).toThrow(
      /trace pod "j1": region "mars" is not a region of the scenario \(a, b\)/,
    );
    expect(() => readTrace(file, { columns: { name: 'job', gpus: 'count' } })).toThrow(
      /header lacks the column "count"/,
    );
  });

  it('refuses an unknown layout with the columns each layout needs', () => {
    const file = join(dir, 'odd.csv');
    writeFileSync(file, 'id,size\nx,1\n');
    expect(() => readTrace(file)).toThrow(
      /unknown layout \(header id,size\); openb needs name,num_gpu,gpu_milli,qos,creation_time,deletion_time; openb-notime needs name,num_gpu,gpu_milli; serving-2025 needs instance_sn,.*pai-2020 \(headerless, set layout: pai-2020\).*workloads\.trace\.columns/,
    );
    expect(() =>
      parseScenario('name: t\nregions: []\nworkloads:\n  trace: { path: x, layout: parquet }\n', 't.yaml'),
    ).toThrow(/workloads\.trace\.layout/);
  });
});

describe('trace replay rules', () => {
  it('samples by a seeded hash of the name: the same seed the same pods, copies named ~k', () => {
    const names = Array.from({ length: 400 }, (_, i) => `pod-${i}`);
    const kept = (seed: number) => names.filter((n) => copies(n, 0.25, seed).length > 0);
    expect(kept(1)).toEqual(kept(1));
    expect(kept(1)).not.toEqual(kept(2));
    expect(kept(1).length).toBeGreaterThan(70);
    expect(kept(1).length).toBeLessThan(130);
    expect(copies('pod-1', 3, 1)).toEqual(['pod-1', 'pod-1~1', 'pod-1~2']);
  });

  it('keeps real durations: the shipped trace opens at its load with pods already part done', () => {
    const twin = new Twin('trace', { startMs: START });
    const running = twin.workloads.filter((w) => w.state === 'running');
    const busy = running.reduce((s, w) => s + w.gpus, 0);
    // sim/README.md: about 340 of the 512 GPUs at offset 11.5 M s, submissions at 40×.
    expect(busy).toBeGreaterThan(250);
    expect(busy).toBeLessThan(450);
    expect(running.some((w) => (w.initialProgressS ?? 0) > 3600)).toBe(true);
  });

  it('places trace pods by the admission weights; without weights they keep their submitted region', () => {
    const run = (weights: ReadonlyMap<string, number> | null) => {
      const twin = new Twin('trace', { startMs: START });
      const before = new Set(twin.workloads.map((w) => w.id));
      if (weights) twin.setAdmissionWeights(weights);
      for (let i = 0; i < 900; i++) twin.step();
      return twin.workloads
        .filter((w) => !before.has(w.id))
        .map((w) => ({ id: w.id, at: w.arrivalS, region: twin.regionName(w.region) }));
    };
    const plain = run(null);
    const steered = run(new Map([['eu-north', 1]]));
    expect(plain.length).toBeGreaterThan(20);
    expect(new Set(plain.map((a) => a.region)).size).toBeGreaterThan(1);
    expect(steered.every((a) => a.region === 'eu-north')).toBe(true);
    expect(steered.map(({ id, at }) => ({ id, at }))).toEqual(plain.map(({ id, at }) => ({ id, at })));
    // "none" keeps the hashed region of each pod.
    const sc = loadScenario('trace');
    const counts = sc.regions.map((r) => r.hosts.reduce((s, h) => s + h.count * h.gpus_per_host, 0));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(512);
  });
});
