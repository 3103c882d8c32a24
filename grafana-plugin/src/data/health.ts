import { fiberRttFloorMs } from '@meridian/catalog';
/** Health grades used to colour regions and links. Thresholds are SRE rules of thumb, named here once. */
export type Health = 'ok' | 'warn' | 'critical' | 'unknown';

export interface RegionFigures {
  util: number | null;
  temp_max: number | null;
  throttled: number | null;
  xid_errors: number | null;
  ecc_dbe: number | null;
}

export function regionHealth(r: RegionFigures): Health {
  if (r.util === null) return 'unknown';
  if ((r.ecc_dbe ?? 0) > 0 || (r.temp_max ?? 0) >= 90 || (r.throttled ?? 0) >= 0.25) return 'critical';
  if ((r.xid_errors ?? 0) > 0 || (r.temp_max ?? 0) >= 83 || (r.throttled ?? 0) >= 0.05 || r.util >= 95) return 'warn';
  return 'ok';
}

/** The route's round-trip floor (the catalog's rule; equipment delay is one way), or null without a route. */
export function fiberFloorMs(routeKm: number | null | undefined, equipmentDelayMs = 0): number | null {
  if (!routeKm || routeKm <= 0) return null;
  return fiberRttFloorMs(routeKm, equipmentDelayMs);
}

export interface LinkFigures {
  rtt: number | null;
  loss: number | null;
  jitter: number | null;
  floor: number | null;
}

export function linkHealth(l: LinkFigures): Health {
  if (l.rtt === null) return 'unknown';
  const excess = l.floor ? l.rtt / l.floor : 1;
  if ((l.loss ?? 0) >= 1 || excess >= 1.5) return 'critical';
  if ((l.loss ?? 0) >= 0.1 || excess >= 1.2 || (l.jitter ?? 0) >= 2) return 'warn';
  return 'ok';
}
