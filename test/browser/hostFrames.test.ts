import { describe, expect, it } from 'vitest';
import { framesFor, longToWide, rowsToFrame } from './hostFrames.js';

describe('the host answers /api/ds/query frames as the ClickHouse data source backend does', () => {
  const long = [
    { t: '2026-12-01 00:00:00', region: 'a', v: 1 },
    { t: '2026-12-01 00:00:00', region: 'b', v: 2 },
    { t: '2026-12-01 00:00:01', region: 'a', v: 3 },
  ];

  it('sends one frame for a table, with or without rows', () => {
    expect(framesFor(long, 1)).toHaveLength(1);
    expect(framesFor([], 1)).toEqual([{ schema: { fields: [] }, data: { values: [] } }]);
  });

  it('sends no frame for an empty time series', () => {
    expect(framesFor([], 0)).toEqual([]);
  });

  it('turns a long time series wide: one field per series, labelled, null where it has no point', () => {
    const [wide] = framesFor(long, 0);
    expect(wide!.schema.fields).toEqual([
      { name: 't', type: 'time' },
      { name: 'v', type: 'number', labels: { region: 'a' } },
      { name: 'v', type: 'number', labels: { region: 'b' } },
    ]);
    const t0 = Date.parse('2026-12-01T00:00:00Z');
    expect(wide!.data.values).toEqual([
      [t0, t0 + 1000],
      [1, 3],
      [2, null],
    ]);
  });

  it('leaves a frame without labels as it is', () => {
    const f = rowsToFrame([{ t: '2026-12-01 00:00:00', v: '5' }]);
    expect(longToWide(f)).toBe(f);
    expect(f.data.values[1]).toEqual([5]);
  });
});
