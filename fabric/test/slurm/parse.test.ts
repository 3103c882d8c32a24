/**
 * The Slurm observer's parsing, without daemons: real `squeue --json` / `sinfo --json` output of
 * Slurm 22.05 (fixtures/), the newer releases' shapes, the comment convention and the config.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  commentForMove,
  gpuRequest,
  inventoryRows,
  parseComment,
  parseSlurmConfig,
  parseSlurmJson,
  sinfoSchema,
  squeueSchema,
  toSlurmJob,
  workloadRow,
} from '@meridian/fabric';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('squeue --json (22.05)', () => {
  const jobs = parseSlurmJson(squeueSchema, fixture('squeue-22.05.json'), 'squeue').jobs.map((j) =>
    toSlurmJob(j, 'east', 'eu-east'),
  );
  const by = new Map(jobs.map((j) => [j.jobId, j]));

  it('reads a running job: GPUs from the GRES detail, state, partition, requeue, comment fields', () => {
    const j = by.get(1000)!;
    expect(j).toMatchObject({
      workloadId: 'east:1000',
      region: 'eu-east',
      state: 'running',
      slurmState: 'RUNNING',
      gpus: 2,
      gpusPerNode: 2,
      gpuModel: 'h100',
      partition: 'gpu',
      requeue: true,
      timeLimitMin: 60,
      held: false,
      name: 'train-a',
    });
    expect(j.meta).toMatchObject({ commClass: 'pipeline', checkpointBytes: 1000 });
    expect(workloadRow(j, 5)).toMatchObject({
      ts: 5,
      source: 'slurm',
      workload_id: 'east:1000',
      state: 'running',
      gpus: 2,
      comm_class: 'pipeline',
      checkpoint_bytes: 1000,
      gpu_model: 'h100',
      pinned: 0,
      partition: 'gpu',
      qos: j.qos,
      orchestrator_priority: j.slurmPriority,
      requeueable: 1,
    });
    expect(j.slurmPriority).toBeGreaterThan(0);
  });

  it('reads pending jobs: GPUs per node × nodes, per job; a held job is held', () => {
    expect(by.get(1001)).toMatchObject({ state: 'queued', gpus: 16, gpusPerNode: 8, nodeCount: 2, held: false });
    expect(by.get(1002)).toMatchObject({ state: 'queued', gpus: 3, gpusPerNode: 0, held: true });
    expect(by.get(1001)!.meta.commClass).toBe('independent');
  });

  it('names the field that has the wrong type', () => {
    const bad = JSON.parse(fixture('squeue-22.05.json')) as { jobs: Record<string, unknown>[] };
    bad.jobs[1]!.job_id = 'x';
    expect(() => parseSlurmJson(squeueSchema, JSON.stringify(bad), 'squeue on east')).toThrow(
      /squeue on east: jobs\.1\.job_id: /,
    );
    expect(() => parseSlurmJson(squeueSchema, '{"jobs": 3}', 'squeue')).toThrow(/squeue: jobs: /);
    expect(() => parseSlurmJson(squeueSchema, 'not json', 'squeue')).toThrow(/squeue: not JSON/);
    expect(() => parseSlurmJson(squeueSchema, '{"jobs": [], "errors": [{"error": "boom"}]}', 'squeue')).toThrow(
      /Slurm reported an error \(is slurmctld up\?\): boom/,
    );
  });

  it('accepts the 23.02+ shapes (number objects, state arrays)', () => {
    const raw = JSON.stringify({
      jobs: [
        {
          job_id: 7,
          job_state: ['PENDING', 'REQUEUED'],
          priority: { set: true, infinite: false, number: 12 },
          time_limit: { set: false, infinite: true, number: 0 },
          node_count: { set: true, infinite: false, number: 2 },
          tres_per_node: 'gres/gpu:a100=4',
        },
      ],
    });
    const j = toSlurmJob(parseSlurmJson(squeueSchema, raw, 'squeue').jobs[0]!, 'c', 'r');
    expect(j).toMatchObject({ state: 'queued', slurmPriority: 12, timeLimitMin: null, gpus: 8, gpuModel: 'a100' });
  });

  it('a running job Slurm may not requeue is pinned', () => {
    const base = JSON.parse(fixture('squeue-22.05.json')) as { jobs: Record<string, unknown>[] };
    base.jobs[0]!.requeue = false;
    const j = toSlurmJob(parseSlurmJson(squeueSchema, JSON.stringify(base), 'squeue').jobs[0]!, 'east', 'r');
    expect(workloadRow(j, 0).pinned).toBe(1);
  });
});

describe('sinfo --json (22.05)', () => {
  it('gives every node GPU an inventory row', () => {
    const nodes = parseSlurmJson(sinfoSchema, fixture('sinfo-22.05.json'), 'sinfo').nodes;
    expect(nodes.map((n) => n.name)).toEqual(['e001', 'e002']);
    const rows = nodes.flatMap((n) => inventoryRows(n, 'east', 'eu-east', 9));
    expect(rows).toHaveLength(16);
    expect(rows[3]).toEqual({
      ts: 9,
      source: 'slurm',
      region: 'eu-east',
      host: 'e001',
      gpu_uuid: 'slurm:east:e001:3',
      gpu_index: 3,
      model: 'h100',
    });
  });

  it('names a bad node field', () => {
    expect(() => parseSlurmJson(sinfoSchema, '{"nodes": [{"name": "", "state": "idle"}]}', 'sinfo')).toThrow(
      /sinfo: nodes\.0\.name: /,
    );
  });
});

describe('GRES strings', () => {
  it.each([
    ['gres:gpu:h100:2', { count: 2, model: 'h100' }],
    ['gres:gpu:4', { count: 4, model: '' }],
    ['gres/gpu:a100=3', { count: 3, model: 'a100' }],
    ['gpu:h100:2(IDX:0-1)', { count: 2, model: 'h100' }],
    ['gres:shard:1,gres:gpu:1', { count: 1, model: '' }],
    ['', null],
    ['gres:shard:2', null],
  ])('%s', (spec, want) => expect(gpuRequest(spec)).toEqual(want));
});

describe('the --comment convention', () => {
  it('reads every key, with defaults for the rest', () => {
    const { fields, problems } = parseComment(
      'owner note meridian:kind=training,comm=low,ckpt=40G,pinned=1,coupled=east:1+east:2,prio=7 trailing',
    );
    expect(problems).toEqual([]);
    expect(fields).toEqual({
      kind: 'training',
      commClass: 'data_parallel',
      lowComm: true,
      checkpointBytes: 40 * 1024 ** 3,
      pinned: true,
      coupledWith: ['east:1', 'east:2'],
      priority: 7,
    });
    expect(parseComment('no token here').fields.commClass).toBe('independent');
  });

  it('falls back to the default and names the key when a value does not parse', () => {
    const { fields, problems } = parseComment('meridian:comm=fast,ckpt=lots,pinned=yes,prio=x,kind=?,bogus=1');
    expect(fields.commClass).toBe('independent');
    expect(fields.checkpointBytes).toBe(0);
    expect(problems).toEqual([
      expect.stringMatching(/^comment key comm: /),
      expect.stringMatching(/^comment key ckpt: /),
      expect.stringMatching(/^comment key pinned: /),
      expect.stringMatching(/^comment key prio: /),
      expect.stringMatching(/^comment key kind: /),
      expect.stringMatching(/^comment key bogus: unknown/),
    ]);
  });

  it('a moved job keeps the owner text and gets origin and move', () => {
    expect(commentForMove('note meridian:comm=pipeline,origin=old,move=m0', 'east:5', 'p:1')).toBe(
      'note meridian:comm=pipeline,origin=east:5,move=p:1',
    );
    const moved = parseComment(commentForMove('', 'east:5', 'pass-1:east:5:west')).fields;
    expect(moved).toMatchObject({ origin: 'east:5', move: 'pass-1:east:5:west' });
  });
});

describe('config', () => {
  it('accepts a conf or a rest cluster per region', () => {
    const c = parseSlurmConfig({
      clusters: [
        { region: 'east', conf: '/etc/slurm-east/slurm.conf' },
        { region: 'west', rest: { url: 'http://w:6820', tokenFile: '/t', user: 'meridian' } },
      ],
    });
    expect(c.intervalSeconds).toBe(15);
    expect(c.clusters[1]!.rest!.apiVersion).toBe('v0.0.38');
  });

  it('names the bad key', () => {
    expect(() => parseSlurmConfig({ clusters: [{ region: 'east' }] })).toThrow(/^slurm\.clusters\.0: give conf/);
    expect(() =>
      parseSlurmConfig({
        clusters: [
          { region: 'e', conf: 'a' },
          { region: 'e', conf: 'b' },
        ],
      }),
    ).toThrow(/^slurm\.clusters: one cluster per region/);
    expect(() => parseSlurmConfig({ clusters: [{ region: 'e', conf: 'a', extra: 1 }] })).toThrow(
      /^slurm\.clusters\.0: /,
    );
    expect(() => parseSlurmConfig({ clusters: [{ region: 'e', conf: 'a' }], timeoutSeconds: 0 })).toThrow(
      /^slurm\.timeoutSeconds: /,
    );
  });
});
