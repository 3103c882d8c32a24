/**
 * The twin's samples travel as columns (TickOutput.samples) and become rows only when read: both
 * forms must say the same thing to the store, and the runner must hand the pipeline columns.
 */
import { describe, expect, it } from 'vitest';
import type { Pipeline } from '@meridian/collector';
import { Twin, TwinRunner, TWIN_BATCH_S, twinBatchRows, type TickOutput } from '@meridian/sim';
import {
  rowsToColumns,
  validateColumns,
  validateSampleRows,
  type NumberColumn,
  type SampleColumns,
  type StringColumn,
} from '@meridian/store';

const START = Date.UTC(2026, 0, 5, 12);

/** A column's values as plain JS values, null where absent. */
function values(c: SampleColumns, name: string): unknown[] {
  const col = c.columns[name];
  if (!col) return [];
  if ('codes' in col) return Array.from((col as StringColumn).codes, (k) => (col as StringColumn).dict[k]);
  const { values: v, nulls } = col as NumberColumn;
  return Array.from(v, (x, i) => (nulls?.[i] === 1 ? null : x));
}

describe('the twin’s samples as columns', () => {
  it('carry the same values the store reads from the same samples as rows', () => {
    const twin = new Twin('default', { seed: 7, startMs: START });
    let o: TickOutput | undefined;
    for (let i = 0; i < 40; i++) o = twin.step();
    for (const entity of ['gpu', 'host', 'link'] as const) {
      const cols = o!.samples[entity];
      const rows = o![entity];
      expect(rows).toHaveLength(cols.rows);
      const checked = validateSampleRows(entity, rows);
      expect(checked.errors).toEqual([]);
      expect(validateColumns(entity, cols).errors).toEqual([]);
      const fromRows = rowsToColumns(entity, checked.valid, checked.present);
      expect(Array.from(cols.ts)).toEqual(Array.from(fromRows.ts));
      const names = new Set([...Object.keys(cols.columns), ...Object.keys(fromRows.columns)]);
      for (const name of names) {
        // A label column the twin leaves out is the engine's default, which is what the rows get.
        const expected = values(fromRows, name);
        const got = name in cols.columns ? values(cols, name) : expected.map(() => '');
        expect([name, got]).toEqual([name, expected]);
      }
    }
    // The rows are the ones the twin always built: source, labels, then metrics by catalog name.
    expect(Object.keys(o!.gpu[0]!).slice(0, 7)).toEqual([
      'ts',
      'source',
      'region',
      'host',
      'gpu_uuid',
      'gpu_index',
      'model',
    ]);
  });

  it('reach the pipeline as columns, TWIN_BATCH_S of gpu samples a batch', async () => {
    const twin = new Twin('default', { seed: 7, startMs: START });
    const pushed: [string, number][] = [];
    const out = {
      push: () => undefined,
      pushColumns: (entity: string, c: SampleColumns) => pushed.push([entity, c.rows]),
    } as unknown as Pipeline;
    const runner = new TwinRunner(twin, out);
    await runner.tick();
    const gpus = twin.fabric.gpuCount;
    expect(pushed.map(([e]) => e)).toEqual(['gpu', 'host', 'link']);
    expect(pushed[0]).toEqual(['gpu', gpus]);
    expect(runner.rows.gpu).toBe(gpus);
    expect(twinBatchRows(twin)).toBe(gpus * Math.round(TWIN_BATCH_S / twin.tickS));
  });
});
