/**
 * Expands a panel's rawSql the way Grafana and grafana-clickhouse-datasource do before the SQL reaches
 * ClickHouse, in the same order:
 *  1. the data source's frontend applies `$__conditionalAll(cond, $var)`: the condition, or `1=1`
 *     when the variable is All or empty (CHDatasource.applyConditionalAll);
 *  2. Grafana's template service replaces `$var`, `${var}` and `[[var]]`, formatting multi-values the
 *     data source's way (`'a','b'`; a single string is inserted bare), plus the scoped
 *     `$__interval`/`$__interval_ms` and the global `$__from`/`$__to`;
 *  3. the backend (sqlds + pkg/macros/macros.go) expands `$__timeFilter`, `$__timeInterval`,
 *     `$__interval_s` and the other time macros, matching `\$__name\b` and parsing balanced brackets.
 * Used by the tests and the benchmark to run every panel query for real, and by the Grafana plugin's
 * browser test host. Anything left unexpanded is an error here, where ClickHouse would only say
 * "syntax error".
 */

/** The value Grafana stores for a variable set to All. */
export const ALL = '$__all';

/** A variable's current value: one value, several (multi-select), or ALL. */
export type VariableValue = string | readonly string[];

export interface ExpandOptions {
  /** Range start, epoch milliseconds (UTC). */
  readonly from: number;
  /** Range end, epoch milliseconds (UTC). */
  readonly to: number;
  /** The query interval Grafana computed for the panel (see calculateIntervalMs). */
  readonly intervalMs: number;
  /** Dashboard variables by name (without the `$`). */
  readonly vars?: Readonly<Record<string, VariableValue>>;
  /** Every option of a variable, used when it is All and referenced outside $__conditionalAll. */
  readonly allValues?: Readonly<Record<string, readonly string[]>>;
}

function isAll(v: VariableValue | undefined): boolean {
  if (v === undefined) return false;
  const s = Array.isArray(v) ? v.join(',') : (v as string);
  return s === '' || s === ALL;
}

/**
 * The data source's getMacroArgs: from the opening bracket at `open`, split on commas at depth 1,
 * untrimmed, up to the matching close bracket. Returns null when the bracket never closes.
 */
function frontendMacroArgs(sql: string, open: number): { args: string[]; end: number } | null {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < sql.length; i++) {
    const c = sql[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    if (c === ',' && depth === 1) {
      args.push(sql.slice(start, i));
      start = i + 1;
    }
    if (depth === 0) {
      args.push(sql.slice(start, i));
      return { args, end: i + 1 };
    }
  }
  return null;
}

export function applyConditionalAll(sql: string, vars: Readonly<Record<string, VariableValue>>): string {
  const macro = '$__conditionalAll(';
  let out = sql;
  let at = out.lastIndexOf(macro);
  while (at !== -1) {
    const parsed = frontendMacroArgs(out, at + macro.length - 1);
    if (!parsed || parsed.args.length !== 2) {
      throw new Error(`$__conditionalAll at offset ${at} needs exactly two arguments: (condition, $variable)`);
    }
    const [cond = '', ref = ''] = parsed.args;
    const name = ref
      .trim()
      .replace(/^\$\{?/, '')
      .replace(/\}$/, '');
    if (!(name in vars)) throw new Error(`$__conditionalAll refers to variable "${name}", which has no value`);
    const phrase = isAll(vars[name]) ? '1=1' : cond;
    out = out.slice(0, at) + phrase + out.slice(parsed.end);
    at = out.lastIndexOf(macro);
  }
  return out;
}

/** The ClickHouse data source's `format` callback for the template service. */
function formatValue(v: string | readonly string[]): string {
  return Array.isArray(v) ? `'${v.join("','")}'` : (v as string);
}

function secondsToHms(seconds: number): string {
  const units: [number, string][] = [
    [31536000, 'y'],
    [86400, 'd'],
    [3600, 'h'],
    [60, 'm'],
    [1, 's'],
  ];
  for (const [size, u] of units) if (seconds >= size && seconds % size === 0) return `${seconds / size}${u}`;
  return `${Math.round(seconds * 1000)}ms`;
}

const TEMPLATE_VAR = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

export function replaceVariables(sql: string, opts: ExpandOptions): string {
  const vars = opts.vars ?? {};
  const scoped: Record<string, string> = {
    __interval: secondsToHms(opts.intervalMs / 1000),
    __interval_ms: String(opts.intervalMs),
    __from: String(opts.from),
    __to: String(opts.to),
  };
  return sql.replace(TEMPLATE_VAR, (whole, a?: string, b?: string, _f1?: string, c?: string) => {
    const name = a ?? b ?? c ?? '';
    if (name in scoped) return scoped[name] ?? whole;
    const v = vars[name];
    if (v === undefined) return whole; // Grafana leaves unknown names alone ($__timeFilter and friends).
    if (isAll(v)) {
      const every = opts.allValues?.[name];
      if (!every)
        throw new Error(`variable "${name}" is All and used outside $__conditionalAll: pass allValues.${name}`);
      return formatValue(every);
    }
    return formatValue(v);
  });
}

/** sqlds parseArgs: a bracketed list right after the macro name, split at depth-1 commas, trimmed. */
function backendMacroArgs(rest: string): { args: string[]; length: number } {
  if (!rest.startsWith('(')) return { args: [], length: 0 };
  const args: string[] = [];
  let depth = 0;
  let cur = '';
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i] ?? '';
    if (c === '(') {
      depth++;
      if (depth === 1) continue;
    } else if (c === ')') {
      depth--;
      if (depth === 0) {
        args.push(cur.trim());
        return { args, length: i + 1 };
      }
    } else if (c === ',' && depth === 1) {
      args.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  throw new Error('failed to parse macro arguments (missing close bracket?)');
}

type MacroFn = (args: string[], o: ExpandOptions) => string;

const sec = (ms: number) => Math.floor(ms / 1000);
const toDateTime = (ms: number) => `toDateTime(${sec(ms)})`;
const toDateTime64 = (ms: number) => `fromUnixTimestamp64Milli(${Math.floor(ms)})`;
const toDate = (ms: number) => `toDate('${new Date(ms).toISOString().slice(0, 10)}')`;
const intervalSeconds = (o: ExpandOptions) => Math.trunc(Math.max(o.intervalMs / 1000, 1));

function arity(name: string, args: string[], n: number): void {
  if (args.length !== n) {
    throw new Error(`$__${name}: unexpected number of arguments: expected ${n}, received ${args.length}`);
  }
}

/** pkg/macros/macros.go, one entry per macro the data source registers. */
const BACKEND_MACROS: Record<string, MacroFn> = {
  fromTime: (_a, o) => toDateTime(o.from),
  toTime: (_a, o) => toDateTime(o.to),
  fromTime_ms: (_a, o) => toDateTime64(o.from),
  toTime_ms: (_a, o) => toDateTime64(o.to),
  timeFilter: (a, o) => {
    arity('timeFilter', a, 1);
    return `${a[0]} >= ${toDateTime(o.from)} AND ${a[0]} <= ${toDateTime(o.to)}`;
  },
  timeFilter_ms: (a, o) => {
    arity('timeFilter_ms', a, 1);
    return `${a[0]} >= ${toDateTime64(o.from)} AND ${a[0]} <= ${toDateTime64(o.to)}`;
  },
  dateFilter: (a, o) => {
    arity('dateFilter', a, 1);
    return `${a[0]} >= ${toDate(o.from)} AND ${a[0]} <= ${toDate(o.to)}`;
  },
  dateTimeFilter: (a, o) => {
    arity('dateTimeFilter', a, 2);
    const [d, t] = a;
    return `(${d} >= ${toDate(o.from)} AND ${d} <= ${toDate(o.to)}) AND (${t} >= ${toDateTime(o.from)} AND ${t} <= ${toDateTime(o.to)})`;
  },
  timeInterval: (a, o) => {
    arity('timeInterval', a, 1);
    return `toStartOfInterval(toDateTime(${a[0]}), INTERVAL ${intervalSeconds(o)} second)`;
  },
  timeInterval_ms: (a, o) => {
    arity('timeInterval_ms', a, 1);
    return `toStartOfInterval(toDateTime64(${a[0]}, 3), INTERVAL ${Math.trunc(Math.max(o.intervalMs, 1))} millisecond)`;
  },
  interval_s: (_a, o) => String(intervalSeconds(o)),
};
BACKEND_MACROS.dt = BACKEND_MACROS.dateTimeFilter as MacroFn;

export function applyBackendMacros(sql: string, opts: ExpandOptions): string {
  let out = sql;
  for (const [name, fn] of Object.entries(BACKEND_MACROS)) {
    const re = new RegExp(`\\$__${name}\\b`, 'g');
    let m: RegExpExecArray | null;
    // Re-scan after each replacement: expansions change offsets, and args may hold other macros.
    while ((m = re.exec(out)) !== null) {
      const { args, length } = backendMacroArgs(out.slice(m.index + m[0].length));
      const expansion = fn(args, opts);
      out = out.slice(0, m.index) + expansion + out.slice(m.index + m[0].length + length);
      re.lastIndex = m.index + expansion.length;
    }
  }
  return out;
}

/** Grafana + data source expansion of a panel's rawSql, for one time range and set of variables. */
export function expandMacros(sql: string, opts: ExpandOptions): string {
  if (!(opts.to > opts.from)) throw new Error(`expandMacros: "from" (${opts.from}) must be before "to" (${opts.to})`);
  if (!(opts.intervalMs > 0)) throw new Error(`expandMacros: "intervalMs" must be positive, got ${opts.intervalMs}`);
  const vars = opts.vars ?? {};
  const out = applyBackendMacros(replaceVariables(applyConditionalAll(sql, vars), opts), opts);
  const left = /\$\{?(\w+)/.exec(out);
  if (left) throw new Error(`unexpanded "$${left[1]}" in query: unknown macro or a variable without a value`);
  return out;
}
