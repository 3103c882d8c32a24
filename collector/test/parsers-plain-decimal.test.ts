/**
 * The nvidia-smi stream's shortcuts, against the readings they stand in for: readPlainDecimalAt
 * (a plain decimal cell read in place) against readPlainNumber (slice, trim, regular expression,
 * Number): the same double wherever it reads a number, and NaN (the cell left to the general
 * reader) elsewhere; the kept readings of the other cells (CellReadings) against reading each anew.
 */
import { describe, expect, it } from 'vitest';
import { compileColumns, parseCsvLine } from '../src/parsers/nvidia-smi-csv.js';
import { COLLECTOR_QUERY_FIELDS } from '../src/parsers/nvidia-smi-fields.js';
import { readPlainDecimalAt, readPlainNumber } from '../src/parsers/values.js';

/** Reads `cell` as it sits inside a line, between other cells. */
const inLine = (cell: string): number => {
  const text = `7, ${cell}, 9`;
  return readPlainDecimalAt(text, 2, 3 + cell.length);
};

/** A small deterministic generator (mulberry32), so a failure names a reproducible cell. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('readPlainDecimalAt', () => {
  it('reads every plain decimal of up to 15 digits as Number does, to the last bit', () => {
    const next = random(19);
    for (let n = 0; n < 50_000; n++) {
      const digits = 1 + Math.floor(next() * 15);
      let s = '';
      for (let d = 0; d < digits; d++) s += String(Math.floor(next() * 10));
      const point = Math.floor(next() * digits); // 0: an integer
      const cell = `${next() < 0.2 ? '-' : ''}${point > 0 ? `${s.slice(0, point)}.${s.slice(point)}` : s}`;
      const v = inLine(cell);
      if (!Object.is(v, readPlainNumber(cell))) throw new Error(`"${cell}": ${v} against ${readPlainNumber(cell)}`);
    }
  });

  it('leaves everything else to the general reader (NaN), and agrees where it reads', () => {
    const read = ['0', '-0', '007', '  42  ', '123456789012345', '0.00000000000001', '-12.5'];
    const leftAlone = ['', ' ', '-', '1.', '.5', '+1', '1e5', '0x1F', '1.2.3', '\t1', 'N/A', '[N/A]', '12 W'];
    const long = ['1234567890123456', '9007199254740993', '0.000000000000001'];
    for (const cell of read) expect(Object.is(inLine(cell), readPlainNumber(cell)), cell).toBe(true);
    for (const cell of [...leftAlone, ...long]) expect(inLine(cell), cell).toBeNaN();
    expect(Object.is(inLine('-0'), -0)).toBe(true);
  });

  it('gives parseCsvLine the records it gave before: plain cells, long integers, labels', () => {
    const c = compileColumns(['index', 'uuid', 'power.draw', 'memory.used', 'temperature.gpu']);
    const ok = parseCsvLine('3, GPU-a, 110.23, 44225, -0', c);
    expect(ok.ok && ok.record.labels).toEqual({ gpu_index: 3, gpu_uuid: 'GPU-a' });
    expect(ok.ok && ok.record.values).toEqual({ power_draw: 110.23, memory_used: 44225 * 1024 * 1024, temp_gpu: 0 });
    expect(ok.ok && Object.is(ok.record.values.temp_gpu, 0)).toBe(true); // "-0" is stored as 0
    // Past 15 digits the general reader decides, as before: beyond 2^53 is refused, not rounded.
    const long = parseCsvLine('3, GPU-a, 1, 12345678901234567, 40', c);
    expect(long.ok && long.record.errors.map((e) => [e.field, e.reason])).toEqual([['memory_used', 'inexact']]);
    // An index that is not a whole number is still an error that names the label.
    const bad = parseCsvLine('1.5, GPU-a, 1, 2, 40', c);
    expect(bad.ok && bad.record.errors.map((e) => [e.field, e.reason])).toEqual([['gpu_index', 'unparseable']]);
    const negative = parseCsvLine('-1, GPU-a, 1, 2, 40', c);
    expect(negative.ok && negative.record.errors[0]?.message).toMatch(/gpu_index: cannot read "-1"/);
  });
});

describe('CellReadings', () => {
  it('gives the records that reading every cell anew gives, the first time and from what it kept', () => {
    const kept = compileColumns(COLLECTOR_QUERY_FIELDS);
    const { readings: _readings, ...anew } = kept;
    const cells = (i: number, pstate: string, mask: string, name: string): string =>
      `${i}, GPU-${i}, ${name}, 9, 2, 60, 0, 1235, 44225, 46068, 110.23, 350.00, 54, N/A, [N/A], 2520, 9001, ${mask}, ${pstate}, 0, 0, 0, 0, [N/A], [N/A], 4, 16`;
    const lines = [
      cells(0, 'P0', '0x0000000000000000', 'NVIDIA L40S'),
      cells(1, 'P8', '0x0000000000000004', 'NVIDIA  L40S'), // whitespace normalised in the label
      cells(2, 'P99', 'zz', '[N/A]'), // unreadable P-state and mask: errors; an absent label
      cells(3, 'Q1', '0x10000000000000000', '[Not Supported]'), // a mask past 2^53: inexact
    ];
    expect(lines[0]!.split(',')).toHaveLength(COLLECTOR_QUERY_FIELDS.length);
    for (let round = 0; round < 3; round++) {
      for (const line of lines) {
        const a = parseCsvLine(line, kept);
        const b = parseCsvLine(line, anew);
        expect(a).toEqual(b);
        if (!a.ok || !b.ok) throw new Error('both should parse');
        expect(Object.keys(a.record.values)).toEqual(Object.keys(b.record.values));
      }
    }
    const errors = parseCsvLine(lines[2]!, kept);
    expect(errors.ok && errors.record.errors.map((e) => e.field)).toEqual(['throttle_reasons', 'pstate']);
    expect(errors.ok && errors.record.labels.model).toBeUndefined();
    const named = parseCsvLine(lines[1]!, kept);
    expect(named.ok && named.record.labels.model).toBe('NVIDIA L40S');
  });
});
