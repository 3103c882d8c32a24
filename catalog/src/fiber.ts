/**
 * Light in standard single-mode fiber (G.652, group index ≈ 1.468 at 1550 nm): 4.897 µs per km one
 * way. No equipment can beat it, so it is the floor an RTT is judged against: the twin models links
 * with it, the scheduler compares measured RTT to it, the dashboards draw it.
 */
export const FIBER_MS_PER_KM = 0.004897;

/**
 * The round-trip floor of a route: there and back, each way the propagation delay plus the
 * equipment's delay. `equipmentDelayMs` is one way, as the topology table's `equipment_delay_ms`
 * is (amplifiers, transponders and switches on the path in one direction).
 */
export function fiberRttFloorMs(routeKm: number, equipmentDelayMs = 0): number {
  return 2 * (routeKm * FIBER_MS_PER_KM + equipmentDelayMs);
}

const EARTH_RADIUS_KM = 6371.0088;

/**
 * Great-circle distance (haversine) in km between two points given in degrees: the shortest a route
 * can be, for a link whose route length is not known (the twin's fabrics, a topology file's link
 * with no route_km, each times its route factor).
 */
export function greatCircleKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}
