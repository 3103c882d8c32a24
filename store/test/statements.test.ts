import { describe, expect, it } from 'vitest';
import { returnsRows, splitStatements } from '../src/statements.js';

describe('splitting SQL into statements', () => {
  it('splits at top-level semicolons only', () => {
    expect(splitStatements('SELECT 1; DROP TABLE gpu_samples')).toEqual(['SELECT 1', 'DROP TABLE gpu_samples']);
    expect(splitStatements('SELECT \'a;b\', "c;d", `e;f` -- x;y\n /* p;q */ ;')).toEqual([
      'SELECT \'a;b\', "c;d", `e;f` -- x;y\n /* p;q */',
    ]);
    expect(splitStatements("SELECT 'it\\'s; fine', 'x''; y'")).toEqual(["SELECT 'it\\'s; fine', 'x''; y'"]);
  });

  it('ignores trailing semicolons, blank and comment-only pieces', () => {
    expect(splitStatements('SELECT 1;;  ; -- done\n')).toEqual(['SELECT 1']);
    expect(splitStatements('  ')).toEqual([]);
  });

  it('tells a query from a command', () => {
    expect(returnsRows('SELECT 1')).toBe(true);
    expect(returnsRows('  -- c\nWITH x AS (SELECT 1) SELECT * FROM x')).toBe(true);
    expect(returnsRows('(SELECT 1) UNION ALL (SELECT 2)')).toBe(true);
    expect(returnsRows('SHOW TABLES')).toBe(true);
    expect(returnsRows("INSERT INTO t VALUES (1, 'a')")).toBe(false);
    expect(returnsRows('CREATE TABLE t (x UInt8) ENGINE = Memory')).toBe(false);
  });
});
