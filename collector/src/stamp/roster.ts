/**
 * Who probes which link. Link metrics are per pair of regions, so a fabric needs only a few probing
 * hosts per pair, not every GPU host probing every peer region (that cost was most of a collector's
 * CPU, and every extra prober measures the same fiber again).
 *
 * Per directed pair (from → to), the `perPeer` hosts of region `from` with the highest rendezvous
 * score (highest-random-weight hashing of host and pair) are its probers; prober i probes the
 * reflector of region `to` ranked i by the same rule, so two probers of a pair reach two different
 * far hosts and one bad reflector cannot blind the pair. Every collector computes the same roster
 * from the same inputs with no coordination, and when a host goes stale only the pairs it served
 * move to the next host in rank: the others keep their probers (and their time series).
 */
import { createHash } from 'node:crypto';
import { defaultLinkId } from './config.js';

/** A host seen reporting recently, in its region. */
export interface ReportingHost {
  readonly host: string;
  readonly region: string;
}

export interface RosterInput {
  /** Hosts that reported within the staleness window. Only they may probe or be probed. */
  readonly hosts: readonly ReportingHost[];
  /**
   * The declared links (topology, either direction). Each is probed from both ends. Absent or empty:
   * every pair of regions that have reporting hosts (a full mesh).
   */
  readonly links?: readonly { readonly region: string; readonly regionTo: string }[];
  /**
   * Hosts the topology assigns to each region. When a region lists any, only those of its reporting
   * hosts may probe: a host that reports under a region the topology does not give it stays out.
   */
  readonly declaredHosts?: ReadonlyMap<string, ReadonlySet<string>>;
}

/** One directed pair's probers and, for each, the far host it probes. */
export interface PairRoster {
  readonly from: string;
  readonly to: string;
  readonly assignments: readonly { readonly prober: string; readonly reflector: string }[];
}

/** Rendezvous score: the first 48 bits of SHA-1 over the pair and the host (stable across Node versions). */
function score(pair: string, role: string, host: string): number {
  return createHash('sha1').update(`${role}\0${pair}\0${host}`).digest().readUIntBE(0, 6);
}

function ranked(hosts: readonly string[], pair: string, role: string): string[] {
  return hosts
    .map((h) => ({ h, s: score(pair, role, h) }))
    .sort((a, b) => b.s - a.s || (a.h < b.h ? -1 : a.h > b.h ? 1 : 0))
    .map((x) => x.h);
}

function directedPairs(input: RosterInput, regions: ReadonlySet<string>): [string, string][] {
  const seen = new Set<string>();
  const out: [string, string][] = [];
  const add = (a: string, b: string): void => {
    if (a === b || !regions.has(a) || !regions.has(b) || seen.has(`${a}\0${b}`)) return;
    seen.add(`${a}\0${b}`);
    out.push([a, b]);
  };
  if (input.links && input.links.length > 0) {
    for (const l of input.links) {
      add(l.region, l.regionTo);
      add(l.regionTo, l.region);
    }
  } else {
    const all = [...regions].sort();
    for (const a of all) for (const b of all) add(a, b);
  }
  return out.sort((x, y) => (x[0] + '\0' + x[1] < y[0] + '\0' + y[1] ? -1 : 1));
}

/** The whole fabric's roster: every directed pair whose two ends have reporting hosts. */
export function electProbers(input: RosterInput, perPeer = 2): PairRoster[] {
  if (!Number.isInteger(perPeer) || perPeer < 1)
    throw new RangeError(`probersPerPeer: ${perPeer} is not a whole number ≥ 1`);
  const byRegion = new Map<string, string[]>();
  for (const { host, region } of input.hosts) {
    const declared = input.declaredHosts?.get(region);
    if (declared && declared.size > 0 && !declared.has(host)) continue;
    const list = byRegion.get(region) ?? [];
    if (!list.includes(host)) list.push(host);
    byRegion.set(region, list);
  }
  return directedPairs(input, new Set(byRegion.keys())).map(([from, to]) => {
    const pair = defaultLinkId(from, { region: to });
    const probers = ranked(byRegion.get(from) ?? [], pair, 'prober').slice(0, perPeer);
    const reflectors = ranked(byRegion.get(to) ?? [], pair, 'reflector');
    return {
      from,
      to,
      // With fewer far hosts than probers, probers share them (i modulo the count).
      assignments: probers.map((prober, i) => ({ prober, reflector: reflectors[i % reflectors.length]! })),
    };
  });
}

/** The far hosts one host must probe: one entry per pair it was elected for (none: reflector only). */
export function probesOf(
  roster: readonly PairRoster[],
  self: ReportingHost,
): { readonly region: string; readonly reflector: string }[] {
  return roster
    .filter((p) => p.from === self.region)
    .flatMap((p) =>
      p.assignments.filter((a) => a.prober === self.host).map((a) => ({ region: p.to, reflector: a.reflector })),
    );
}
