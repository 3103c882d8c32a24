import { describe, expect, it } from 'vitest';
import { builtinScenarios, greatCircleKm, loadScenario, parseScenario, ScenarioError, Twin } from '@meridian/sim';

const minimal = `
name: t
regions:
  - { name: a, lat: 59.33, lon: 18.07, hosts: [{ count: 1, gpus_per_host: 8, gpu: { model: H100, memory_gb: 80, tdp_w: 700 } }] }
  - { name: b, lat: 45.46, lon: 9.19, hosts: [{ count: 2, gpus_per_host: 4, gpu: { model: A100, memory_gb: 40, tdp_w: 400 } }] }
links:
  - { from: a, to: b, capacity_gbps: 100 }
`;

function problems(text: string): string[] {
  try {
    parseScenario(text, 'bad.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return [...(err as ScenarioError).problems];
  }
  throw new Error('expected a ScenarioError');
}

describe('scenario files', () => {
  it('ships every scenario, and each loads', () => {
    for (const name of builtinScenarios()) {
      const s = loadScenario(name);
      expect(s.name).toBe(name);
    }
  });

  it('default has 4 regions at most 2,000 km apart and 512 GPUs; large has 8 regions and at least 10,000 GPUs', () => {
    const d = new Twin('default', { startMs: Date.UTC(2026, 10, 1) });
    expect(d.fabric.regions).toHaveLength(4);
    expect(d.fabric.gpuCount).toBe(512);
    for (const a of d.fabric.regions) {
      for (const b of d.fabric.regions) expect(greatCircleKm(a.lat, a.lon, b.lat, b.lon)).toBeLessThanOrEqual(2000);
    }
    const large = loadScenario('large');
    expect(large.regions).toHaveLength(8);
    const gpus = large.regions.reduce((n, r) => n + r.hosts.reduce((m, h) => m + h.count * h.gpus_per_host, 0), 0);
    expect(gpus).toBeGreaterThanOrEqual(10_000);
  });

  it('derives route length from great-circle distance × route factor when route_km is absent', () => {
    const s = parseScenario(minimal);
    const twin = new Twin(s, { startMs: Date.UTC(2026, 10, 1) });
    const gc = greatCircleKm(59.33, 18.07, 45.46, 9.19);
    expect(gc).toBeGreaterThan(1640); // Stockholm–Milan is about 1,650 km
    expect(gc).toBeLessThan(1665);
    expect(twin.fabric.links[0]?.routeKm).toBe(Math.round(gc * 1.3));
    // One-way = route × 4.897 µs/km (the catalog's fiber constant) + equipment delay (default 0.2 ms).
    expect(twin.fabric.links[0]?.oneWayMs).toBeCloseTo(Math.round(gc * 1.3) * 0.004897 + 0.2, 9);
    expect(twin.fabric.gpuCount).toBe(16);
  });

  it('a given route_km wins over the derived one', () => {
    const s = parseScenario(minimal.replace('capacity_gbps: 100', 'capacity_gbps: 100, route_km: 2000'));
    expect(new Twin(s, { startMs: Date.UTC(2026, 10, 1) }).fabric.links[0]?.routeKm).toBe(2000);
  });

  it('extends reuses another scenario and overrides its keys', () => {
    const s = loadScenario('cooling-loss');
    expect(s.regions.map((r) => r.name)).toEqual(loadScenario('default').regions.map((r) => r.name));
    expect(s.events).toEqual([{ type: 'cooling_loss', at: 60, duration: 1200, region: 'eu-south', severity: 0.8 }]);
  });

  it('names the key of each bad value', () => {
    expect(problems(minimal.replace('capacity_gbps: 100', 'capacity_gbps: -5'))).toEqual([
      expect.stringMatching(/^links\[0\]\.capacity_gbps: /),
    ]);
    expect(problems(minimal.replace('to: b', 'to: nowhere'))).toEqual(['links[0].to: no region named "nowhere"']);
    expect(problems(minimal.replace('lat: 59.33', 'lat: 123'))).toEqual([
      expect.stringMatching(/^regions\[0\]\.lat: /),
    ]);
    expect(problems(minimal.replace('tdp_w: 700', 'tdp_w: "lots"'))).toEqual([
      expect.stringMatching(/^regions\[0\]\.hosts\[0\]\.gpu\.tdp_w: /),
    ]);
    expect(problems(`${minimal}events:\n  - { type: link_cut, at: 10s, link: a->c }\n`)).toEqual([
      'events[0].link: no link "a->c" (write it as "from->to")',
    ]);
    expect(problems(`${minimal}events:\n  - { type: cooling_loss, at: soon, region: a }\n`)).toEqual([
      expect.stringMatching(/^events\[0\]\.at: .*cannot read "soon" as a duration/),
    ]);
    expect(problems(`${minimal}colour: blue\n`)).toEqual([expect.stringMatching(/colour/)]);
    expect(problems('name: [unclosed')).toEqual([expect.stringMatching(/^not valid YAML/)]);
  });

  it('refuses an unknown scenario name and says which ones ship', () => {
    expect(() => loadScenario('nope')).toThrow(/not a shipped scenario \(shipped: default, large/);
  });
});
