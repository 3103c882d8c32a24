/**
 * `meridian up --slurm CONFIG` against real clusters: the observer's passes land in the store and
 * the status line shows each cluster; a config without its slurm section is named.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runUpSlurm } from '@meridian/app';
import type { LocalSlurm } from '@meridian/fabric';
import { openStore } from '@meridian/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sbatch, twoClusters } from '../../fabric/test/slurm/clusters.js';

let slurm: LocalSlurm;
const dir = mkdtempSync(join(tmpdir(), 'meridian-up-slurm-'));

beforeAll(async () => {
  slurm = await twoClusters(4);
}, 120_000);
afterAll(async () => {
  await slurm?.stop();
});

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
}

// Real daemons on a shared machine: more room than the 60 s default.
describe('meridian up --slurm', { timeout: 180_000 }, () => {
  it('observes the real clusters into the store and runs the scheduler beside them', async () => {
    const id = await sbatch(slurm.cluster('east'), ['--wrap=sleep 300', '--gres=gpu:h100:2', '--hold']);
    const cfg = join(dir, 'slurm.yaml');
    writeFileSync(
      cfg,
      [
        'slurm:',
        '  intervalSeconds: 1',
        '  clusters:',
        `    - { region: east, conf: ${slurm.cluster('east').conf} }`,
        `    - { region: west, conf: ${slurm.cluster('west').conf} }`,
        '',
      ].join('\n'),
    );
    const data = join(dir, 'data');
    const out = sink();
    const err = sink();
    const s = await runUpSlurm({ durationS: 3, data, port: 0 }, cfg, {
      stdout: out.stream,
      stderr: err.stream,
      handleSignals: false,
    });
    expect(s.observerPasses).toBeGreaterThanOrEqual(1);
    expect(out.text()).toMatch(/meridian up --slurm: east \(region east\), west \(region west\)/);
    expect(out.text()).toMatch(/east: 0 running, 1 pending, 16 GPUs · west: 0 running, 0 pending, 16 GPUs/);
    expect(out.text()).toMatch(/summary: .* observer passes/);
    const store = await openStore({ data });
    try {
      const rows = await store.query<{ region: string; state: string }>(
        `SELECT region, state FROM workloads FINAL WHERE workload_id = {id:String}`,
        { id: `east:${id}` },
      );
      expect(rows).toEqual([{ region: 'east', state: 'queued' }]);
    } finally {
      await store.close();
    }
  });

  it('names what is wrong with the config', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'scheduler: {}\n');
    const io = { stdout: sink().stream, stderr: sink().stream, handleSignals: false };
    await expect(runUpSlurm({ durationS: 1, data: join(dir, 'd2'), port: 0 }, bad, io)).rejects.toThrow(
      /--slurm .*bad\.yaml: no slurm section/,
    );
    writeFileSync(bad, 'slurm:\n  clusters:\n    - { region: east }\n');
    await expect(runUpSlurm({ durationS: 1, data: join(dir, 'd2'), port: 0 }, bad, io)).rejects.toThrow(
      /--slurm .*bad\.yaml: slurm\.clusters\.0: give conf/,
    );
  });
});
