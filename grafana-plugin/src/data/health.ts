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

/** Light in fiber: about 4.9 µs per km each way, so the round trip costs 0.0098 ms per route km. */
export const FIBER_RTT_MS_PER_KM = 0.0098;

export function fiberFloorMs(routeKm: number | null | undefined, equipmentDelayMs = 0): number | null {
  if (!routeKm || routeKm <= 0) return null;
  return routeKm * FIBER_RTT_MS_PER_KM + equipmentDelayMs;
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
