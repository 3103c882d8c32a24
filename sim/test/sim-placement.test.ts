/**
 * The twin honours placement weights (its executor's `place`, as Karmada's static weights place new
 * replicas): work that arrives afterwards asks for the weighted regions only, and the same work
 * arrives at the same instants as without weights (one draw from the arrivals stream each), so a
 * policy that steers is compared on the same arrivals as one that does not.
 */
import { describe, expect, it } from 'vitest';
import { Twin } from '@meridian/sim';

const START = Date.UTC(2026, 11, 5, 12);

function arrivals(weights: ReadonlyMap<string, number> | null): { id: string; at: number; region: string }[] {
  const twin = new Twin('default', { startMs: START });
  const before = new Set(twin.workloads.map((w) => w.id));
  if (weights) twin.setAdmissionWeights(weights);
  for (let i = 0; i < 1800; i++) twin.step();
  return twin.workloads
    .filter((w) => !before.has(w.id))
    .map((w) => ({ id: w.id, at: w.arrivalS, region: twin.regionName(w.region) }));
}

describe('twin placement weights', () => {
  it('sends new work to the weighted regions, with the same arrivals as without weights', () => {
    const plain = arrivals(null);
    const steered = arrivals(new Map([['eu-west', 1]]));
    // Half an hour of the default mix: a few dozen arrivals, over every region without weights.
    expect(plain.length).toBeGreaterThan(10);
    expect(new Set(plain.map((a) => a.region)).size).toBe(4);
    expect(steered.every((a) => a.region === 'eu-west')).toBe(true);
    expect(steered.map(({ id, at }) => ({ id, at }))).toEqual(plain.map(({ id, at }) => ({ id, at })));
    // Weights name regions of the scenario.
    expect(() => new Twin('default', { startMs: START }).setAdmissionWeights(new Map([['mars', 1]]))).toThrow(
      /no region "mars"/,
    );
  });
});
