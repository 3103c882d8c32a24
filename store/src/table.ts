/** Renders rows as an aligned text table: numbers right-aligned, everything else left-aligned. */
export function formatTable(rows: readonly Record<string, unknown>[]): string {
  if (rows.length === 0) return '(0 rows)\n';
  const cols = Object.keys(rows[0] ?? {});
  const cell = (v: unknown) =>
    v === null || v === undefined ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  const cells = rows.map((r) => cols.map((c) => cell(r[c])));
  const numeric = cols.map((_, i) => rows.every((r) => typeof r[cols[i]!] === 'number'));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const pad = (s: string, i: number) => (numeric[i] ? s.padStart(widths[i]!) : s.padEnd(widths[i]!));
  const lines = [
    cols.map((c, i) => pad(c, i)).join('  '),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.map((row) => row.map((s, i) => pad(s, i)).join('  ')),
    `(${rows.length} row${rows.length === 1 ? '' : 's'})`,
  ];
  return lines.map((l) => l.trimEnd()).join('\n') + '\n';
}
