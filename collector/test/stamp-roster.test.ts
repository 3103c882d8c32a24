/**
 * The prober election (stamp/roster.ts): a pure function of the reporting hosts and the topology,
 * so every collector computes the same roster without talking to the others.
 */
import { describe, expect, it } from 'vitest';
import { electProbers, probesOf, type ReportingHost } from '../src/stamp/roster.js';

function fleet(regions: readonly string[], hostsPerRegion: number): ReportingHost[] {
  return regions.flatMap((region) =>
    Array.from({ length: hostsPerRegion }, (_, i) => ({ region, host: `${region}-gpu-${String(i).padStart(3, '0')}` })),
  );
}

const REGIONS = ['eu-west', 'eu-south', 'us-east', 'ap-north'];

describe('electProbers', () => {
  it('gives every directed pair two probers of its own region, each probing a different far host', () => {
    const roster = electProbers({ hosts: fleet(REGIONS, 10) });
    expect(roster).toHaveLength(REGIONS.length * (REGIONS.length - 1));
    for (const pair of roster) {
      expect(pair.assignments).toHaveLength(2);
      for (const a of pair.assignments) {
        expect(a.prober.startsWith(`${pair.from}-`)).toBe(true);
        expect(a.reflector.startsWith(`${pair.to}-`)).toBe(true);
      }
      expect(new Set(pair.assignments.map((a) => a.prober)).size).toBe(2);
      expect(new Set(pair.assignments.map((a) => a.reflector)).size).toBe(2);
    }
  });

  it('is the same whatever order the hosts and links are read in', () => {
    const hosts = fleet(REGIONS, 7);
    const links = [
      { region: 'eu-west', regionTo: 'us-east' },
      { region: 'eu-south', regionTo: 'eu-west' },
    ];
    const a = electProbers({ hosts, links });
    const b = electProbers({ hosts: [...hosts].reverse(), links: [...links].reverse() });
    expect(b).toEqual(a);
  });

  it('probes only the declared links, from both ends, when the topology declares any', () => {
    const roster = electProbers({
      hosts: fleet(REGIONS, 3),
      links: [
        { region: 'eu-west', regionTo: 'us-east' },
        { region: 'us-east', regionTo: 'eu-west' },
      ],
    });
    expect(roster.map((p) => `${p.from}->${p.to}`)).toEqual(['eu-west->us-east', 'us-east->eu-west']);
  });

  it('spreads the pairs over the hosts of a region instead of loading the same two', () => {
    const regions = Array.from({ length: 8 }, (_, i) => `r${i}`);
    const roster = electProbers({ hosts: fleet(regions, 20) });
    const perHost = new Map<string, number>();
    for (const p of roster) for (const a of p.assignments) perHost.set(a.prober, (perHost.get(a.prober) ?? 0) + 1);
    const r0 = [...perHost].filter(([h]) => h.startsWith('r0-'));
    // 7 peer regions × 2 probers = 14 assignments in r0; rendezvous hashing spreads them over hosts.
    expect(r0.reduce((n, [, c]) => n + c, 0)).toBe(14);
    expect(r0.length).toBeGreaterThan(5);
  });

  it('replaces a stale prober in the pairs it served and moves nothing else', () => {
    const hosts = fleet(REGIONS, 10);
    const before = electProbers({ hosts });
    const gone = before.find((p) => p.from === 'eu-west')!.assignments[0]!.prober;
    const after = electProbers({ hosts: hosts.filter((h) => h.host !== gone) });
    let replaced = 0;
    before.forEach((pair, i) => {
      const now = after[i]!;
      expect([now.from, now.to]).toEqual([pair.from, pair.to]);
      const probers = pair.assignments.map((a) => a.prober);
      if (!probers.includes(gone)) {
        // Its probers stay; only a far host that was the stale one could change, and it is not here.
        expect(now.assignments.map((a) => a.prober)).toEqual(probers);
        return;
      }
      replaced++;
      const kept = probers.filter((p) => p !== gone);
      expect(now.assignments.map((a) => a.prober)).toEqual(expect.arrayContaining(kept));
      expect(now.assignments.map((a) => a.prober)).not.toContain(gone);
      expect(now.assignments).toHaveLength(2);
    });
    expect(replaced).toBeGreaterThan(0);
  });

  it('stops probing a stale far host: its pairs get another reflector of that region', () => {
    const hosts = fleet(REGIONS, 4);
    const before = electProbers({ hosts });
    const far = before[0]!.assignments[0]!.reflector;
    const after = electProbers({ hosts: hosts.filter((h) => h.host !== far) });
    for (const p of after) for (const a of p.assignments) expect(a.reflector).not.toBe(far);
  });

  it('makes do with small regions: one host probes alone, and two probers share a lone far host', () => {
    const roster = electProbers({
      hosts: [
        { region: 'a', host: 'a-1' },
        { region: 'b', host: 'b-1' },
        { region: 'b', host: 'b-2' },
      ],
    });
    const ab = roster.find((p) => p.from === 'a')!;
    expect(ab.assignments).toHaveLength(1);
    expect(ab.assignments[0]!.prober).toBe('a-1');
    const ba = roster.find((p) => p.from === 'b')!;
    expect(ba.assignments.map((a) => a.prober).sort()).toEqual(['b-1', 'b-2']);
    expect(ba.assignments.map((a) => a.reflector)).toEqual(['a-1', 'a-1']);
  });

  it('leaves out a region with no reporting host, and hosts the topology puts in no region of theirs', () => {
    const roster = electProbers({
      hosts: [
        { region: 'a', host: 'a-1' },
        { region: 'a', host: 'stray' },
        { region: 'b', host: 'b-1' },
      ],
      links: [
        { region: 'a', regionTo: 'b' },
        { region: 'a', regionTo: 'c' },
      ],
      declaredHosts: new Map([['a', new Set(['a-1'])]]),
    });
    expect(roster.map((p) => `${p.from}->${p.to}`)).toEqual(['a->b', 'b->a']);
    expect(roster[0]!.assignments.map((a) => a.prober)).toEqual(['a-1']);
  });

  it('refuses a prober count that is not a whole number of at least one, naming the key', () => {
    expect(() => electProbers({ hosts: [] }, 0)).toThrow(/probersPerPeer/);
    expect(() => electProbers({ hosts: [] }, 1.5)).toThrow(/probersPerPeer/);
  });
});

describe('probesOf', () => {
  it('gives a host the far regions it was elected for, and nothing to a host that was not', () => {
    const hosts = fleet(REGIONS, 10);
    const roster = electProbers({ hosts });
    const probers = new Set(
      roster.filter((p) => p.from === 'us-east').flatMap((p) => p.assignments.map((a) => a.prober)),
    );
    for (const h of hosts.filter((x) => x.region === 'us-east')) {
      const probes = probesOf(roster, h);
      if (!probers.has(h.host)) expect(probes).toEqual([]);
      for (const p of probes) {
        expect(p.region).not.toBe('us-east');
        const pair = roster.find((r) => r.from === 'us-east' && r.to === p.region)!;
        expect(pair.assignments).toContainEqual({ prober: h.host, reflector: p.reflector });
      }
    }
    // Every us-east pair's probers are covered by the hosts' own views.
    const total = hosts.filter((x) => x.region === 'us-east').reduce((n, h) => n + probesOf(roster, h).length, 0);
    expect(total).toBe((REGIONS.length - 1) * 2);
  });
});
