/**
 * The topology file: one schema with the twin's scenarios, errors that name the key and the line,
 * rows like the twin's, and `apply` that writes nothing twice and replaces a changed topology.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyTopology, parseTopology, regionOfHost, TopologyError, topologyRows } from '@meridian/fabric';
import { openStore, type Store } from '@meridian/store';
import { parseScenario } from '@meridian/sim';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../cli/bin/meridian.js', import.meta.url));
const scenarios = fileURLToPath(new URL('../../sim/scenarios/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'meridian-topology-'));
let store: Store;

const FILE = `# A real fabric: two regions 2,000 km apart.
regions:
  - name: a
    lat: 52.52
    lon: 13.40
  - name: b
    lat: 40.42
    lon: -3.70
    inlet_c: 22
links:
  - from: a
    to: b
    route_km: 2000
    capacity_gbps: 400
    equipment_delay_ms: 0.3
hosts:
  - { region: a, name: "gpu-a-*" }
  - { region: b, label: { topology.kubernetes.io/region: b } }
  - { region: a, name: probe-a }
`;

function problems(text: string): string[] {
  try {
    parseTopology(text, 'fabric.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(TopologyError);
    return [...(err as TopologyError).problems];
  }
  throw new Error('expected a TopologyError');
}

beforeAll(async () => {
  store = await openStore({ data: join(dir, 'store') });
  await store.migrate();
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('topology file', () => {
  it('names the key and the line of each problem', () => {
    const bad = FILE.replace('route_km: 2000', 'route_km: -5')
      .replace('lat: 40.42', 'lat: 140')
      .replace('to: b', 'to: c');
    expect(problems(bad).sort()).toEqual(
      [
        'links[0].route_km (line 13): Too small: expected number to be >0',
        'links[0].to (line 12): no region named "c"',
        'regions[1].lat (line 7): Too big: expected number to be <=90',
      ].sort(),
    );
  });

  it('names an unknown key at its own line, a missing one at its object, and YAML errors by line', () => {
    expect(problems(FILE.replace('    capacity_gbps: 400\n', '    capacity_gbps: 400\n    capacity: 9\n'))).toEqual([
      'links[0].capacity (line 15): Unrecognized key: "capacity"',
    ]);
    expect(problems(FILE.replace('    capacity_gbps: 400\n', ''))).toEqual([
      'links[0].capacity_gbps (line 11): Invalid input: expected number, received undefined',
    ]);
    expect(problems(FILE.replace('  - { region: a, name: probe-a }', '  - { region: a }'))).toEqual([
      'hosts[2] (line 19): give exactly one of name (a host name or glob) or label (node labels)',
    ]);
    expect(problems('regions: [\n  - a\n')[0]).toMatch(/^line \d: not valid YAML/);
  });

  it("is the twin's scenario schema: every shipped scenario without extends is a topology file, and a topology file with host groups is a scenario", () => {
    for (const name of ['default', 'large']) {
      const t = parseTopology(readFileSync(join(scenarios, `${name}.yaml`), 'utf8'), name);
      expect(t.regions.length).toBeGreaterThan(1);
    }
    const withGroups = FILE.replaceAll(
      '    lat: ',
      '    hosts: [{ count: 2, gpus_per_host: 8, gpu: { model: H100, memory_gb: 80, tdp_w: 700 } }]\n    lat: ',
    );
    const s = parseScenario(`name: twin\n${withGroups}`);
    expect(s.hosts).toHaveLength(3);
    expect(s.regions[0]!.inlet_c).toBe(24);
    expect(
      topologyRows(parseTopology(withGroups), 1)
        .filter((r) => r.kind === 'region')
        .map((r) => r.gpus),
    ).toEqual([16, 16]);
  });

  it('maps hosts to regions by name glob and node label; plain names become host rows', () => {
    const t = parseTopology(FILE);
    const of = regionOfHost(t.hosts);
    expect(of('gpu-a-17')).toBe('a');
    expect(of('gpu-b-1', { 'topology.kubernetes.io/region': 'b' })).toBe('b');
    expect(of('elsewhere')).toBeUndefined();
    const rows = topologyRows(t, 5);
    expect(rows.filter((r) => r.kind === 'host')).toEqual([
      { updated: 5, source: 'topology', kind: 'host', id: 'probe-a', region: 'a' },
    ]);
    expect(rows.find((r) => r.kind === 'link')).toMatchObject({
      id: 'a->b',
      route_km: 2000,
      capacity_gbps: 400,
      equipment_delay_ms: 0.3,
    });
  });

  it('apply writes once; the same file again writes nothing; a changed file replaces the topology as of then, history kept', async () => {
    const t0 = Date.UTC(2026, 11, 1);
    const first = await applyTopology(store, parseTopology(FILE), t0);
    expect(first).toMatchObject({ changed: true, written: 4 });
    expect(await applyTopology(store, parseTopology(FILE), t0 + 60_000)).toMatchObject({ changed: false, written: 0 });
    const [n] = await store.query<{ n: string }>("SELECT count() AS n FROM topology WHERE source = 'topology'");
    expect(Number(n!.n)).toBe(4);

    const changed = FILE.replace('route_km: 2000', 'route_km: 2100').replace('  - { region: a, name: probe-a }\n', '');
    const second = await applyTopology(store, parseTopology(changed), t0 + 120_000);
    expect(second).toMatchObject({ changed: true, written: 3, removed: ['host/probe-a'] });
    const now = await store.query<{ kind: string; id: string; route_km: number; updated: string }>(
      "SELECT kind, id, route_km, toString(updated) AS updated FROM topology FINAL WHERE source = 'topology' ORDER BY kind, id",
    );
    expect(now.map((r) => [r.kind, r.id, Number(r.route_km)])).toEqual([
      ['region', 'a', 0],
      ['region', 'b', 0],
      ['link', 'a->b', 2100],
    ]);
    expect(new Set(now.map((r) => r.updated))).toEqual(new Set(['2026-12-01 00:02:00.000']));

    // History kept: each version at its instant, and the removal; "the fabric as of T" reads it back.
    const history = await store.query<{ kind: string; id: string; route_km: number; removed: number; at: string }>(
      `SELECT kind, id, route_km, removed, toString(updated) AS at FROM topology_history
       WHERE source = 'topology' ORDER BY updated, kind, id`,
    );
    expect(history.map((r) => [r.at.slice(11, 16), r.kind, r.id, Number(r.route_km), r.removed])).toEqual([
      ['00:00', 'region', 'a', 0, 0],
      ['00:00', 'region', 'b', 0, 0],
      ['00:00', 'host', 'probe-a', 0, 0],
      ['00:00', 'link', 'a->b', 2000, 0],
      ['00:02', 'region', 'a', 0, 0],
      ['00:02', 'region', 'b', 0, 0],
      ['00:02', 'host', 'probe-a', 0, 1],
      ['00:02', 'link', 'a->b', 2100, 0],
    ]);
    const asOf = (ms: number) =>
      store.query<{ kind: string; id: string; km: number }>(
        `SELECT kind, id, argMax(route_km, updated) AS km FROM topology_history
         WHERE source = 'topology' AND updated <= fromUnixTimestamp64Milli({at:Int64})
         GROUP BY kind, id HAVING argMax(removed, updated) = 0 ORDER BY kind, id`,
        { at: ms },
      );
    expect((await asOf(t0 + 90_000)).map((r) => [r.kind, r.id, Number(r.km)])).toEqual([
      ['region', 'a', 0],
      ['region', 'b', 0],
      ['host', 'probe-a', 0],
      ['link', 'a->b', 2000],
    ]);
    expect((await asOf(t0 + 150_000)).map((r) => [r.id, Number(r.km)])).toEqual([
      ['a', 0],
      ['b', 0],
      ['a->b', 2100],
    ]);
  });

  it('meridian topology apply: a bad file exits 2 naming file, key and line; a good one is written', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, FILE.replace('capacity_gbps: 400', 'capacity_gbps: lots'));
    const err = await run(process.execPath, [cli, 'topology', 'apply', bad, '--data', join(dir, 'cli-store')]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(err).toMatchObject({ code: 2 });
    expect((err as { stderr: string }).stderr).toContain(
      `${bad}: links[0].capacity_gbps (line 14): Invalid input: expected number`,
    );
    const good = join(dir, 'good.yaml');
    writeFileSync(good, FILE);
    const args = [cli, 'topology', 'apply', good, '--data', join(dir, 'cli-store')];
    expect((await run(process.execPath, args)).stdout).toMatch(
      /^topology: 2 region\(s\), 1 link\(s\), 3 host rule\(s\) written/,
    );
  });
});
