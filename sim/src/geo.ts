/** Fiber geometry: how far apart two regions are and how long light takes between them. */

import { FIBER_MS_PER_KM } from '@meridian/catalog';

const EARTH_RADIUS_KM = 6371.0088;

/** Great-circle distance (haversine) in km. */
export function greatCircleKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** One-way delay in ms: propagation over the route plus the equipment on it. */
export function oneWayMs(routeKm: number, equipmentDelayMs: number): number {
  return routeKm * FIBER_MS_PER_KM + equipmentDelayMs;
}

/** The floor a probe can measure: there and back. */
export function baseRttMs(routeKm: number, equipmentDelayMs: number): number {
  return 2 * oneWayMs(routeKm, equipmentDelayMs);
}
