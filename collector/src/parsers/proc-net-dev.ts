/**
 * `/proc/net/dev` → one host record per interface (label `interface`), raw cumulative counters.
 *
 * Traps from real files: no space after the colon once a number is wide (`eth0:68210035552`), and
 * interface names that contain a colon (`ibr10:30:`). So the name is everything before the last colon
 * that is followed by exactly the 16 counters.
 */
import { catalogMetric, RecordBuilder, type DocumentError, type ParsedRecord, type ParseResult } from './record.js';

/** Column positions in the kernel's fixed layout (8 receive columns, then 8 transmit columns). */
const COLUMNS: readonly (readonly [metric: string, column: number])[] = [
  [catalogMetric('net_rx_bytes').name, 0],
  [catalogMetric('net_rx_packets').name, 1],
  [catalogMetric('net_rx_errors').name, 2],
  [catalogMetric('net_rx_drops').name, 3],
  [catalogMetric('net_tx_bytes').name, 8],
  [catalogMetric('net_tx_packets').name, 9],
  [catalogMetric('net_tx_errors').name, 10],
  [catalogMetric('net_tx_drops').name, 11],
];

const LINE = /^\s*(.*):\s*((?:\S+\s+){15}\S+)\s*$/;

export function parseProcNetDev(text: string): ParseResult {
  const records: ParsedRecord[] = [];
  const errors: DocumentError[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.includes('|') || line.trim() === '') return; // the two header lines
    const m = LINE.exec(line);
    if (!m?.[1] || !m[2]) {
      errors.push({ line: i + 1, field: 'line', reason: 'column_count', message: 'expected "name: " and 16 counters' });
      return;
    }
    const cells = m[2].trim().split(/\s+/);
    const b = new RecordBuilder('host', 'host');
    b.label('interface', m[1].trim());
    for (const [metric, col] of COLUMNS) {
      const raw = cells[col] ?? '';
      if (!/^\d+$/.test(raw)) {
        b.error({ field: metric, reason: 'unparseable', message: `${metric}: "${raw}" is not a counter` });
        continue;
      }
      b.setNumber(metric, Number(raw));
    }
    records.push(b.build());
  });
  return { records, errors };
}
