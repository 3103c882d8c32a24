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

const LABEL_NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const QUOTE = 34;
const BACKSLASH = 92;

/**
 * Reads `{a="x",b="y\"z"}` starting at `s[i] === '{'`; returns the labels and the index after `}`.
 * Scans in place (a sticky regex for names, slices for values): a scrape of 8 GPUs has ~250 lines of
 * ~10 labels each, and copying the rest of the line per label made this the parse's main cost.
 */
function readLabels(s: string, start: number): { labels: Record<string, string>; end: number } | string {
  const labels: Record<string, string> = {};
  let i = start + 1;
  for (;;) {
    while (s[i] === ' ' || s[i] === ',') i++;
    if (s[i] === '}') return { labels, end: i + 1 };
    LABEL_NAME.lastIndex = i;
    const m = LABEL_NAME.exec(s);
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
    let from = i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (Number.isNaN(c)) return `unterminated value for label ${key}`;
      if (c === BACKSLASH) {
        const n = s[i + 1];
        v += s.slice(from, i) + (n === 'n' ? '\n' : (n ?? ''));
        i += 2;
        from = i;
        continue;
      }
      if (c === QUOTE) {
        v += s.slice(from, i);
        i++;
        break;
      }
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
  // An exporter repeats each series' label set on every metric line (8 GPUs: ~10 distinct sets over
  // ~250 lines), so a label text already read is not read again. Consumers never mutate labels.
  const seen = new Map<string, Record<string, string>>();
  const lines = text.split('\n');
  for (let idx = 0; idx < lines.length; idx++) {
    const line = idx + 1;
    const s = (lines[idx] ?? '').trim();
    if (s === '') continue;
    if (s.startsWith('#')) {
      const t = /^#\s*TYPE\s+(\S+)\s+(\S+)/.exec(s);
      if (t?.[1] && t[2]) types.set(t[1], t[2]);
      continue; // HELP (even with empty text), NOTE and other comments carry no samples.
    }
    const nm = NAME.exec(s);
    if (!nm) {
      errors.push({ line, message: `line does not start with a metric name: "${s.slice(0, 40)}"` });
      continue;
    }
    const name = nm[0];
    let i = name.length;
    let labels: Record<string, string> = {};
    if (s[i] === '{') {
      const close = s.lastIndexOf('}');
      const key = close > i ? s.slice(i, close + 1) : '';
      const cached = key ? seen.get(key) : undefined;
      if (cached) {
        labels = cached;
        i = close + 1;
      } else {
        const r = readLabels(s, i);
        if (typeof r === 'string') {
          errors.push({ line, name, message: `${name}: ${r}` });
          continue;
        }
        labels = r.labels;
        i = r.end;
        // Only a label text that ends where the reader ended is a key (a "}" inside a value is not).
        if (r.end === close + 1) seen.set(key, labels);
      }
    }
    const rest = s.slice(i).trim();
    const space = rest.search(/\s/);
    const value = readValue(space === -1 ? rest : rest.slice(0, space));
    if (value === undefined) {
      errors.push({ line, name, message: `${name}: value "${rest.slice(0, 40)}" is not a number` });
      continue;
    }
    samples.push({ name, labels, value, line });
  }
  return { samples, types, errors };
}
