/**
 * The Prometheus text reader reads each distinct label text once and reuses it: the reuse must give
 * the same labels as a fresh read, including values holding "}", "," or escapes, and a line whose
 * label text is broken is still an error naming its line even after good lines with the same name.
 */
import { describe, expect, it } from 'vitest';
import { parsePromText } from '../src/parsers/prom-text.js';

describe('prom text label reuse', () => {
  it('gives every line its own labels, values with braces and escapes included', () => {
    const doc = parsePromText(
      [
        'a{gpu="0",note="x}y, \\"q\\""} 1',
        'b{gpu="0",note="x}y, \\"q\\""} 2',
        'c{gpu="1",note="x}y, \\"q\\""} 3',
        'd{gpu="0",note="x}y, \\"q\\""} 4 1700000000000',
        'e{gpu="0",note="unterminated} 5',
      ].join('\n'),
    );
    expect(doc.samples.map((s) => [s.name, s.labels.gpu, s.labels.note, s.value])).toEqual([
      ['a', '0', 'x}y, "q"', 1],
      ['b', '0', 'x}y, "q"', 2],
      ['c', '1', 'x}y, "q"', 3],
      ['d', '0', 'x}y, "q"', 4],
    ]);
    expect(doc.errors.map((e) => [e.line, e.name])).toEqual([[5, 'e']]);
  });
});
