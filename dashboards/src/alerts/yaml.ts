/**
 * A small YAML writer for the provisioning files: block mappings and sequences, scalars as JSON
 * (every JSON string is a valid YAML double-quoted scalar), so no YAML library is needed at build
 * time and the output is stable for the checked-in-file test.
 */
export type Yaml = string | number | boolean | null | readonly Yaml[] | { readonly [k: string]: Yaml | undefined };

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

const count = (s: string, c: string) => s.split(c).length - 1;
/** A backslash or a control character (a newline, a tab): text only a double-quoted scalar can hold. */
const needsEscape = (s: string) => [...s].some((c) => c === '\\' || c.charCodeAt(0) < 0x20);

function scalar(v: string | number | boolean | null): string {
  if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`yaml: cannot write ${v}`);
  // Single quotes unless the text holds more of them than double ones, as Prettier writes YAML here
  // (so the files stay formatted); single-quoted YAML cannot hold escapes: not for text that needs them.
  if (typeof v === 'string' && count(v, "'") <= count(v, '"') && !needsEscape(v)) return `'${v.replace(/'/g, "''")}'`;
  return JSON.stringify(v);
}

function isScalar(v: Yaml): v is string | number | boolean | null {
  return v === null || typeof v !== 'object';
}

function lines(v: Yaml, indent: string): string[] {
  if (isScalar(v)) return [`${indent}${scalar(v)}`];
  if (Array.isArray(v)) {
    if (v.length === 0) return [`${indent}[]`];
    const out: string[] = [];
    for (const item of v as readonly Yaml[]) {
      const inner = isScalar(item) ? [`${indent}  ${scalar(item)}`] : lines(item, `${indent}  `);
      // "- " takes the place of the first line's indentation.
      out.push(`${indent}- ${inner[0]!.slice(indent.length + 2)}`, ...inner.slice(1));
    }
    return out;
  }
  const entries = Object.entries(v as Record<string, Yaml | undefined>).filter(
    (e): e is [string, Yaml] => e[1] !== undefined,
  );
  if (entries.length === 0) return [`${indent}{}`];
  const out: string[] = [];
  for (const [k, val] of entries) {
    const key = PLAIN_KEY.test(k) ? k : JSON.stringify(k);
    if (isScalar(val)) out.push(`${indent}${key}: ${scalar(val)}`);
    else if (Array.isArray(val) && val.length === 0) out.push(`${indent}${key}: []`);
    else if (!Array.isArray(val) && Object.keys(val).length === 0) out.push(`${indent}${key}: {}`);
    else out.push(`${indent}${key}:`, ...lines(val, `${indent}  `));
  }
  return out;
}

/** The document, with a leading comment block (each line prefixed with `# `). */
export function toYaml(doc: Yaml, comment: readonly string[] = []): string {
  return [...comment.map((c) => (c ? `# ${c}` : '#')), ...lines(doc, '')].join('\n') + '\n';
}
