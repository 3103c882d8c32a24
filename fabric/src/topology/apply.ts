/**
 * `topology apply`: a topology file to `topology` rows. The rows are the ones the twin writes for its
 * own fabric (sim/src/telemetry.ts), so the scheduler, the dashboards and the map read a real fabric
 * and its twin alike; they are tagged `source = 'topology'`.
 *
 * Applying the same file again writes nothing (the rows it would write equal the stored ones). A
 * changed file is written whole at one `updated` instant, and the entities it no longer names are
 * deleted, so the table says what the fabric is as of that apply. Every version written, and a
 * `removed` row for each entity dropped, also goes to `topology_history` (migration 0010), so what
 * the fabric was at any earlier time can still be read.
 */
import { greatCircleKm } from '@meridian/catalog';
import type { Store, TopologyRow } from '@meridian/store';
import type { TopologyFile } from './schema.js';

export const TOPOLOGY_SOURCE = 'topology';

/** A host rule with a plain name (no glob) names one host: it gets a `host` row. */
const isPlainName = (n: string): boolean => !/[*?[\]]/.test(n);

/** The rows a topology file stands for, at `updated`. */
export function topologyRows(t: TopologyFile, updated: number, source = TOPOLOGY_SOURCE): TopologyRow[] {
  const rows: TopologyRow[] = [];
  const where = new Map(t.regions.map((r) => [r.name, r]));
  for (const r of t.regions) {
    const gpus = (r.hosts ?? []).reduce((n, g) => n + g.count * g.gpus_per_host, 0);
    rows.push({ updated, source, kind: 'region', id: r.name, region: r.name, lat: r.lat, lon: r.lon, gpus });
  }
  for (const h of t.hosts) {
    if (h.name !== undefined && isPlainName(h.name))
      rows.push({ updated, source, kind: 'host', id: h.name, region: h.region });
  }
  for (const l of t.links) {
    const a = where.get(l.from);
    const b = where.get(l.to);
    const km = l.route_km ?? (a && b ? greatCircleKm(a.lat, a.lon, b.lat, b.lon) * t.route_factor : 0);
    rows.push({
      updated,
      source,
      kind: 'link',
      id: `${l.from}->${l.to}`,
      region: l.from,
      region_to: l.to,
      route_km: km,
      capacity_gbps: l.capacity_gbps,
      equipment_delay_ms: l.equipment_delay_ms,
    });
  }
  return rows;
}

/** What is compared between a stored row and a new one: every column but `updated`. */
function fingerprint(r: Readonly<Record<string, unknown>> | TopologyRow): string {
  const v = r as Readonly<Record<string, unknown>>;
  const n = (v: unknown, f32 = false) => {
    const x = Number(v ?? 0);
    // equipment_delay_ms is a Float32 column: compare at that precision.
    return f32 ? Math.fround(x) : x;
  };
  return JSON.stringify([
    String(v.kind),
    String(v.id),
    String(v.region ?? ''),
    String(v.region_to ?? ''),
    n(v.lat),
    n(v.lon),
    Math.round(n(v.route_km) * 1e6) / 1e6,
    n(v.capacity_gbps),
    n(v.equipment_delay_ms, true),
    n(v.gpus),
  ]);
}

export interface ApplyResult {
  /** false: the store already held this topology, nothing was written. */
  readonly changed: boolean;
  readonly written: number;
  /** Entities (kind/id) the new file no longer names, deleted from the current topology. */
  readonly removed: readonly string[];
  readonly updated: number;
}

/** Writes a topology into the store as of `now`, unless the store already holds exactly it. */
export async function applyTopology(store: Store, t: TopologyFile, now = Date.now()): Promise<ApplyResult> {
  const rows = topologyRows(t, now);
  const stored = await store.query<Record<string, unknown>>(
    `SELECT kind, id, region, region_to, lat, lon, route_km, capacity_gbps, equipment_delay_ms, gpus
     FROM topology FINAL WHERE source = {source:String}`,
    { source: TOPOLOGY_SOURCE },
  );
  const have = new Set(stored.map(fingerprint));
  const want = new Set(rows.map(fingerprint));
  const keyOf = (r: { kind: unknown; id: unknown }) => `${String(r.kind)}/${String(r.id)}`;
  const wantKeys = new Set(rows.map(keyOf));
  const removed = stored.map((r) => keyOf({ kind: r.kind, id: r.id })).filter((k) => !wantKeys.has(k));
  const same = have.size === want.size && [...want].every((f) => have.has(f));
  if (same) return { changed: false, written: 0, removed: [], updated: now };
  // The token makes a retried apply of the same version land once, in both tables.
  await store.insert('topology', rows, { token: `topology-${now}-${rows.length}` });
  const tombstones = stored
    .filter((r) => !wantKeys.has(keyOf({ kind: r.kind, id: r.id })))
    .map((r) => ({ ...(r as unknown as TopologyRow), updated: now, source: TOPOLOGY_SOURCE, removed: 1 }));
  await store.insert('topology_history', [...rows, ...tombstones], { token: `topology-history-${now}-${rows.length}` });
  for (const k of removed) {
    const [kind, ...id] = k.split('/');
    await store.command(
      'DELETE FROM topology WHERE source = {source:String} AND kind = {kind:String} AND id = {id:String}',
      { source: TOPOLOGY_SOURCE, kind: kind ?? '', id: id.join('/') },
    );
  }
  return { changed: true, written: rows.length, removed, updated: now };
}
