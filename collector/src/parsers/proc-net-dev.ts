/**
 * `/proc/net/dev` → one host record per interface (label `interface`), raw cumulative counters.
 *
 * Traps from real files: no space after the colon once a number is wide (`eth0:68210035552`), and
 * interface names that contain a colon (`ibr10:30:`). So the name is everything before the last colon
 * that is followed by exactly the 16 counters.
 */
import type { MetricDef } from '@meridian/catalog';
import { catalogMetric, RecordBuilder, type DocumentError, type ParsedRecord, type ParseResult } from './record.js';

/** Column positions in the kernel's fixed layout (8 receive columns, then 8 transmit columns). */
const COLUMNS: readonly (readonly [metric: MetricDef, column: number])[] = [
  [catalogMetric('net_rx_bytes'), 0],
  [catalogMetric('net_rx_packets'), 1],
  [catalogMetric('net_rx_errors'), 2],
  [catalogMetric('net_rx_drops'), 3],
  [catalogMetric('net_tx_bytes'), 8],
  [catalogMetric('net_tx_packets'), 9],
  [catalogMetric('net_tx_errors'), 10],
  [catalogMetric('net_tx_drops'), 11],
];

const LINE = /^\s*(.*):\s*((?:\S+\s+){15}\S+)\s*$/;
const COUNTERS = 16;

/**
 * What LINE finds, without its backtracking in the common case: the name before the last colon
 * and the 16 counters after it. A line LINE would read differently (fewer or more than 16 fields
 * after the last colon, characters outside ASCII, a carriage return) is left to LINE.
 */
function splitLine(line: string): { name: string; cells: string[] } | undefined {
  const colon = line.lastIndexOf(':');
  if (colon < 0) return undefined;
  const cells: string[] = [];
  for (let i = colon + 1; i < line.length;) {
    const c = line.charCodeAt(i);
    if (c > 127 || c === 13) return undefined;
    if (c === 32 || (c >= 9 && c <= 12)) {
      i++;
      continue;
    }
    let end = i + 1;
    while (end < line.length) {
      const d = line.charCodeAt(end);
      if (d === 32 || (d >= 9 && d <= 13) || d > 127) break;
      end++;
    }
    if (cells.length === COUNTERS) return undefined;
    cells.push(line.slice(i, end));
    i = end;
  }
  if (cells.length !== COUNTERS) return undefined;
  for (let i = 0; i < colon; i++) {
    const c = line.charCodeAt(i);
    if (c > 127 || c === 13) return undefined;
  }
  return { name: line.slice(0, colon), cells };
}

export function parseProcNetDev(text: string): ParseResult {
  const records: ParsedRecord[] = [];
  const errors: DocumentError[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.includes('|') || line.trim() === '') return; // the two header lines
    let split = splitLine(line);
    if (!split) {
      const m = LINE.exec(line);
      if (m?.[1] && m[2]) split = { name: m[1], cells: m[2].trim().split(/\s+/) };
    }
    const name = split?.name.trim();
    if (!split || !name) {
      errors.push({ line: i + 1, field: 'line', reason: 'column_count', message: 'expected "name: " and 16 counters' });
      return;
    }
    const b = new RecordBuilder('host', 'host');
    b.label('interface', name);
    for (const [metric, col] of COLUMNS) {
      const raw = split.cells[col] ?? '';
      if (!/^\d+$/.test(raw)) {
        b.error({ field: metric.name, reason: 'unparseable', message: `${metric.name}: "${raw}" is not a counter` });
        continue;
      }
      b.setMetric(metric, Number(raw));
    }
    records.push(b.build());
  });
  return { records, errors };
}
