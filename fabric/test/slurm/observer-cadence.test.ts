/**
 * The observer's cost per pass, without daemons (readers stand in for a cluster): squeue every
 * pass, sinfo every `nodesEveryPasses`; a failed read is stale, not empty, and does not lose nodes.
 */
import { readFileSync } from 'node:fs';
import { parseSlurmJson, sinfoSchema, squeueSchema, SlurmObserver, type ClusterReader } from '@meridian/fabric';
import { describe, expect, it } from 'vitest';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

function countingReader(): ClusterReader & { calls: { jobs: number; nodes: number }; fail: boolean } {
  const r = {
    cluster: 'east',
    region: 'eu-east',
    calls: { jobs: 0, nodes: 0 },
    fail: false,
    async readJobs() {
      r.calls.jobs++;
      if (r.fail) throw new Error('squeue --json on east: did not answer within 10 ms (killed)');
      return parseSlurmJson(squeueSchema, fixture('squeue-22.05.json'), 'squeue').jobs;
    },
    async readNodes() {
      r.calls.nodes++;
      return parseSlurmJson(sinfoSchema, fixture('sinfo-22.05.json'), 'sinfo').nodes;
    },
  };
  return r;
}

describe('SlurmObserver cadence', () => {
  it('reads jobs every pass and nodes every nodesEveryPasses passes', async () => {
    const reader = countingReader();
    const o = new SlurmObserver({
      config: { clusters: [{ region: 'eu-east', conf: '/unused' }], nodesEveryPasses: 3 },
      readers: [reader],
    });
    for (let i = 0; i < 6; i++) {
      const [c] = await o.read();
      expect(c).toMatchObject({ ok: true, gpus: 16 });
      expect(c?.jobs).toHaveLength(3);
    }
    expect(reader.calls).toEqual({ jobs: 6, nodes: 2 });
  });

  it('a cluster that fails is reported stale with the reason, not as an empty cluster', async () => {
    const reader = countingReader();
    const o = new SlurmObserver({ config: { clusters: [{ region: 'eu-east', conf: '/unused' }] }, readers: [reader] });
    await o.read();
    reader.fail = true;
    const pass = await o.pass();
    expect(pass.clusters).toEqual([
      expect.objectContaining({ ok: false, error: expect.stringMatching(/did not answer within 10 ms/), jobs: [] }),
    ]);
    reader.fail = false;
    expect((await o.read())[0]).toMatchObject({ ok: true, gpus: 16 });
  });
});
