/**
 * Fiber geometry for the twin: how far apart two regions are and how long light takes between them.
 * The rules are the catalog's (catalog/src/fiber.ts), so the twin's links, a topology file's and the
 * scheduler's floor agree.
 */
import { FIBER_MS_PER_KM, fiberRttFloorMs, greatCircleKm } from '@meridian/catalog';

export { greatCircleKm };

/** One-way delay in ms: propagation over the route plus the equipment on it. */
export function oneWayMs(routeKm: number, equipmentDelayMs: number): number {
  return routeKm * FIBER_MS_PER_KM + equipmentDelayMs;
}

/** The floor a probe can measure: there and back (the catalog's fiberRttFloorMs). */
export const baseRttMs = fiberRttFloorMs;
