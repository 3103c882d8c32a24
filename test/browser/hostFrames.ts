/**
 * Rows to Grafana's wire frames the way grafana-clickhouse-datasource's backend (through sqlds and
 * the plugin SDK) sends them, by the query's `format`:
 *  - 1 table (and 2 logs, 3 traces): one frame, even with no rows;
 *  - 0 time series: no frame at all when there are no rows; a long frame (a time column, string
 *    columns naming series) is converted to wide, one numeric field per series with the string
 *    columns as its labels, as data.LongToWide does.
 * DateTime text becomes epoch ms (type time), quoted 64-bit integers numbers.
 */
const DATETIME = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?Z?$/;
const NUMERIC = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i;

interface Field {
  name: string;
  type: 'time' | 'number' | 'string';
  labels?: Record<string, string>;
}
export interface Frame {
  schema: { fields: Field[] };
  data: { values: unknown[][] };
}

const toMs = (v: unknown) => Date.parse(String(v).includes('T') ? String(v) : `${String(v).replace(' ', 'T')}Z`);

export function rowsToFrame(rows: Record<string, unknown>[]): Frame {
  const names = rows.length ? Object.keys(rows[0]!) : [];
  const fields: Field[] = names.map((name) => {
    const sample = rows.find((r) => r[name] !== null && r[name] !== undefined)?.[name];
    const isTime = typeof sample === 'string' && DATETIME.test(sample);
    const isNum = typeof sample === 'number' || (typeof sample === 'string' && NUMERIC.test(sample) && !isTime);
    return { name, type: isTime ? 'time' : isNum ? 'number' : 'string' };
  });
  const values = fields.map((f) =>
    rows.map((r) => {
      const v = r[f.name];
      if (v === null || v === undefined) return null;
      if (f.type === 'time') return toMs(v);
      if (f.type === 'number') return Number(v);
      return v;
    }),
  );
  return { schema: { fields }, data: { values } };
}

/** data.LongToWide: one row per time, one numeric field per (column, label set). */
export function longToWide(long: Frame): Frame {
  const fields = long.schema.fields;
  const t = fields.findIndex((f) => f.type === 'time');
  const factors = fields.map((f, i) => (f.type === 'string' ? i : -1)).filter((i) => i >= 0);
  if (t < 0 || factors.length === 0) return long;
  const nums = fields.map((f, i) => (f.type === 'number' ? i : -1)).filter((i) => i >= 0);
  const col = (i: number) => long.data.values[i] ?? [];
  const times = [...new Set(col(t) as number[])].sort((a, b) => a - b);
  const at = new Map(times.map((x, i) => [x, i]));
  const series = new Map<string, { field: Field; values: unknown[] }>();
  col(t).forEach((time, row) => {
    const labels = Object.fromEntries(factors.map((i) => [fields[i]!.name, String(col(i)[row] ?? '')]));
    for (const n of nums) {
      const key = `${fields[n]!.name}|${JSON.stringify(labels)}`;
      let s = series.get(key);
      if (!s) {
        s = { field: { name: fields[n]!.name, type: 'number', labels }, values: times.map(() => null) };
        series.set(key, s);
      }
      s.values[at.get(time as number)!] = col(n)[row];
    }
  });
  const out = [...series.values()];
  return {
    schema: { fields: [fields[t]!, ...out.map((s) => s.field)] },
    data: { values: [times, ...out.map((s) => s.values)] },
  };
}

export function framesFor(rows: Record<string, unknown>[], format: number): Frame[] {
  if (format !== 0) return [rowsToFrame(rows)];
  if (rows.length === 0) return [];
  return [longToWide(rowsToFrame(rows))];
}
