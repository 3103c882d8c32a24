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
