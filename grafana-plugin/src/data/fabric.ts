import { resolutionForRange, type Resolution } from '@meridian/catalog';
import { num, runQueries, str, type RangeMs, type Row } from './dsQuery';
import { fiberFloorMs, linkHealth, regionHealth, type Health } from './health';
import { linkSummarySql, regionSummarySql, topologySql } from './queries';
import { intervalMs } from './resolution';

export interface RegionView {
  name: string;
  lat: number | null;
  lon: number | null;
  hosts: number;
  gpus: number;
  util: number | null;
  power: number | null;
  temp_max: number | null;
  throttled: number | null;
  xid_errors: number | null;
  ecc_dbe: number | null;
  health: Health;
}

export interface LinkView {
  id: string;
  from: string;
  to: string;
  rtt: number | null;
  rtt_min: number | null;
  jitter: number | null;
  loss: number | null;
  throughput: number | null;
  capacity: number | null;
  /** Share of provisioned capacity carried, 0..1. */
  utilization: number | null;
  route_km: number | null;
  floor: number | null;
  /** The hosts whose probes the figures come from, comma-separated ('' when none is named). */
  probed_by: string;
  health: Health;
}

export interface FabricView {
  resolution: Resolution;
  regions: RegionView[];
  links: LinkView[];
}

/** Joins the telemetry summaries with the topology table: regions and links as the pages draw them. */
export function buildFabric(
  rows: { regions: Row[]; links: Row[]; topology: Row[] },
  resolution: Resolution,
): FabricView {
  const topoRegion = new Map<string, Row>();
  const topoLink = new Map<string, Row>();
  for (const t of rows.topology) (str(t.kind) === 'link' ? topoLink : topoRegion).set(str(t.id), t);

  const seen = new Set<string>();
  const regions: RegionView[] = rows.regions.map((r) => {
    const name = str(r.region);
    seen.add(name);
    const topo = topoRegion.get(name);
    const figures = {
      util: num(r.util),
      temp_max: num(r.temp_max),
      throttled: num(r.throttled),
      xid_errors: num(r.xid_errors),
      ecc_dbe: num(r.ecc_dbe),
    };
    return {
      name,
      lat: num(topo?.lat),
      lon: num(topo?.lon),
      hosts: num(r.hosts) ?? 0,
      gpus: num(r.gpus) ?? 0,
      power: num(r.power),
      ...figures,
      health: regionHealth(figures),
    };
  });
  // A region in the topology with no samples in range is shown, greyed, rather than silently missing.
  for (const [name, t] of topoRegion) {
    if (seen.has(name)) continue;
    regions.push({
      name,
      lat: num(t.lat),
      lon: num(t.lon),
      hosts: 0,
      gpus: num(t.gpus) ?? 0,
      util: null,
      power: null,
      temp_max: null,
      throttled: null,
      xid_errors: null,
      ecc_dbe: null,
      health: 'unknown',
    });
  }
  regions.sort((a, b) => a.name.localeCompare(b.name));

  const links: LinkView[] = rows.links.map((l) => {
    const id = str(l.link_id);
    const topo = topoLink.get(id);
    const routeKm = num(topo?.route_km);
    const floor = fiberFloorMs(routeKm, num(topo?.equipment_delay_ms) ?? 0);
    const capacityGbps = num(topo?.capacity_gbps);
    const capacity = capacityGbps ? (capacityGbps * 1e9) / 8 : null;
    const throughput = num(l.throughput);
    const rtt = num(l.rtt);
    const loss = num(l.loss);
    const jitter = num(l.jitter);
    return {
      id,
      from: str(l.link_from) || str(topo?.region),
      to: str(l.link_to) || str(topo?.region_to),
      rtt,
      rtt_min: num(l.rtt_min),
      jitter,
      loss,
      throughput,
      capacity,
      utilization: capacity && throughput !== null ? throughput / capacity : null,
      route_km: routeKm,
      floor,
      probed_by: str(l.probed_by),
      health: linkHealth({ rtt, loss, jitter, floor }),
    };
  });
  return { resolution, regions, links };
}

export async function loadFabric(dsUid: string | undefined, range: RangeMs): Promise<FabricView> {
  const res = resolutionForRange(range.from, range.to);
  const rows = await runQueries(
    dsUid,
    { regions: regionSummarySql(res), links: linkSummarySql(res), topology: topologySql() },
    range,
    intervalMs(range.from, range.to, res),
  );
  return buildFabric({ regions: rows.regions ?? [], links: rows.links ?? [], topology: rows.topology ?? [] }, res);
}
