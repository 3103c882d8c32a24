/**
 * A small, line-tolerant reader of the Prometheus text exposition format (0.0.4).
 *
 * Why not a library: `parse-prometheus-text-format` (the one npm parser of this format) has had two
 * releases, ships no types, and throws away the whole document on the first bad line
 * (InvalidLineError). dcgm-exporter is known to print a sample value such as
 * `ERROR - FAILED TO CONVERT TO STRING`; one such line must cost one series, not the scrape.
 * So each line is read on its own and a bad one is reported with its line number.
 */

export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** As written; the caller decides what a non-finite or sentinel value means. */
  readonly value: number;
  readonly line: number;
}

export interface PromLineError {
  readonly line: number;
  readonly name?: string;
  readonly message: string;
}

export interface PromDocument {
  readonly samples: PromSample[];
  readonly types: ReadonlyMap<string, string>;
  readonly errors: PromLineError[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

/** Reads `{a="x",b="y\"z"}` starting at `s[i] === '{'`; returns the labels and the index after `}`. */
function readLabels(s: string, start: number): { labels: Record<string, string>; end: number } | string {
  const labels: Record<string, string> = {};
  let i = start + 1;
  for (;;) {
    while (s[i] === ' ' || s[i] === ',') i++;
    if (s[i] === '}') return { labels, end: i + 1 };
    const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(s.slice(i));
    if (!m) return `bad label name at column ${i + 1}`;
    const key = m[0];
    i += key.length;
    while (s[i] === ' ') i++;
    if (s[i] !== '=') return `expected "=" after label ${key}`;
    i++;
    while (s[i] === ' ') i++;
    if (s[i] !== '"') return `expected a quoted value for label ${key}`;
    i++;
    let v = '';
    for (;;) {
      const c = s[i];
      if (c === undefined) return `unterminated value for label ${key}`;
      if (c === '\\') {
        const n = s[i + 1];
        v += n === 'n' ? '\n' : (n ?? '');
        i += 2;
        continue;
      }
      if (c === '"') {
        i++;
        break;
      }
      v += c;
      i++;
    }
    labels[key] = v;
  }
}

function readValue(token: string): number | undefined {
  switch (token) {
    case 'NaN':
      return Number.NaN;
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
  }
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(token)) return undefined;
  return Number(token);
}

export function parsePromText(text: string): PromDocument {
  const samples: PromSample[] = [];
  const types = new Map<string, string>();
  const errors: PromLineError[] = [];
  text.split(/\r?\n/).forEach((raw, idx) => {
    const line = idx + 1;
    const s = raw.trim();
    if (s === '') return;
    if (s.startsWith('#')) {
      const t = /^#\s*TYPE\s+(\S+)\s+(\S+)/.exec(s);
      if (t?.[1] && t[2]) types.set(t[1], t[2]);
      return; // HELP (even with empty text), NOTE and other comments carry no samples.
    }
    const nm = NAME.exec(s);
    if (!nm) {
      errors.push({ line, message: `line does not start with a metric name: "${s.slice(0, 40)}"` });
      return;
    }
    const name = nm[0];
    let i = name.length;
    let labels: Record<string, string> = {};
    if (s[i] === '{') {
      const r = readLabels(s, i);
      if (typeof r === 'string') {
        errors.push({ line, name, message: `${name}: ${r}` });
        return;
      }
      labels = r.labels;
      i = r.end;
    }
    const rest = s.slice(i).trim().split(/\s+/);
    const value = readValue(rest[0] ?? '');
    if (value === undefined) {
      errors.push({ line, name, message: `${name}: value "${s.slice(i).trim().slice(0, 40)}" is not a number` });
      return;
    }
    samples.push({ name, labels, value, line });
  });
  return { samples, types, errors };
}
