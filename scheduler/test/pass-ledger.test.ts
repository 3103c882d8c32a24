/**
 * The pass ledger: the counts the plan's moves and the room-making moves share. A copy is what room
 * is tried on (all or nothing, region after region), so it must not leak into the pass's counts.
 */
import { describe, expect, it } from 'vitest';
import { PassLedger } from '../src/plan/pass-ledger.js';

describe('PassLedger', () => {
  const start = () =>
    new PassLedger({
      headroom: new Map([
        ['eu-west', 64],
        ['us-east', 16],
      ]),
      movesLastHour: 3,
      gpusInFlight: 8,
      budget: 100,
    });

  it('books a move against the destination, both regions, the pass, the hour and the budget', () => {
    const l = start();
    l.take('us-east', 'eu-west', 24);
    l.take('eu-west', 'us-east', 8);
    expect(l.moves).toBe(2);
    expect(l.hourly).toBe(5);
    expect(l.disrupted).toBe(40);
    expect(l.budget).toBe(100);
    expect(Object.fromEntries(l.headroom)).toEqual({ 'eu-west': 40, 'us-east': 8 });
    expect(Object.fromEntries(l.perRegion)).toEqual({ 'eu-west': 2, 'us-east': 2 });
  });

  it('a copy starts from every count and changes none of the original', () => {
    const l = start();
    l.take('us-east', 'eu-west', 24);
    const copy = l.clone();
    expect(copy).toEqual(l);
    copy.take('eu-west', 'ap-south', 16);
    expect(copy.moves).toBe(2);
    expect(copy.headroom.get('ap-south')).toBe(-16);
    expect(l.moves).toBe(1);
    expect(l.hourly).toBe(4);
    expect(l.disrupted).toBe(32);
    expect(l.headroom.has('ap-south')).toBe(false);
    expect(Object.fromEntries(l.perRegion)).toEqual({ 'us-east': 1, 'eu-west': 1 });
  });
});
