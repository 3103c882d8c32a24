/**
 * Splits SQL text into statements at top-level semicolons: not inside quotes ('…', "…", `…`, with
 * backslash and doubled-quote escapes) or comments (--, #, /* … *\/). `meridian sql` runs one
 * statement per call unless told otherwise, because the embedded engine, unlike ClickHouse's HTTP
 * interface, would run "SELECT 1; DROP TABLE gpu_samples" whole.
 */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === '`') {
      i++;
      while (i < n && sql[i] !== c) i += sql[i] === '\\' ? 2 : 1;
      i++; // the closing quote; a doubled quote reopens the loop on the next pass
    } else if ((c === '-' && sql[i + 1] === '-') || c === '#') {
      while (i < n && sql[i] !== '\n') i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === ';') {
      out.push(sql.slice(start, i));
      start = ++i;
    } else i++;
  }
  out.push(sql.slice(start));
  return out.filter((s) => hasCode(s)).map((s) => s.trim());
}

/** True when the text holds something other than whitespace and comments. */
function hasCode(s: string): boolean {
  return s.replace(/--[^\n]*|#[^\n]*|\/\*[\s\S]*?(\*\/|$)/g, '').trim().length > 0;
}

const ROW_RETURNING = /^(\(\s*)*(SELECT|WITH|SHOW|DESCRIBE|DESC|EXPLAIN|EXISTS|CHECK)\b/i;

/** Whether a statement returns rows (run as a query) or not (INSERT, CREATE, … run as a command). */
export function returnsRows(statement: string): boolean {
  return ROW_RETURNING.test(statement.replace(/^(\s|--[^\n]*\n|#[^\n]*\n|\/\*[\s\S]*?\*\/)*/, ''));
}
