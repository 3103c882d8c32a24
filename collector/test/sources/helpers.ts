/** A recording SourceContext for the source tests: rows by target, unavailable reports, errors. */
import type { SampleRow, TableRows } from '@meridian/store';
import { SourceErrorCounters } from '../../src/sources/errors.js';
import type { Emit, SourceContext, SourceTarget } from '../../src/sources/source.js';

export interface Recorder {
  readonly ctx: SourceContext;
  readonly rows: { [T in SourceTarget]: unknown[] };
  readonly unavailable: string[];
  readonly logs: string[];
  gpu(): SampleRow[];
  host(): SampleRow[];
  link(): SampleRow[];
  inventory(): TableRows['inventory'][];
  extra(): TableRows['extra_metrics'][];
}

export function recorder(): Recorder {
  const rows: { [T in SourceTarget]: unknown[] } = {
    gpu: [],
    host: [],
    link: [],
    inventory: [],
    extra_metrics: [],
    gpu_assignments: [],
  };
  const unavailable: string[] = [];
  const logs: string[] = [];
  const emit: Emit = (target, rs) => {
    rows[target].push(...rs);
  };
  const ctx: SourceContext = {
    region: 'eu-west',
    host: 'gpu-host-1',
    emit,
    errors: new SourceErrorCounters(),
    unavailable: (s, r) => unavailable.push(`${s}: ${r}`),
    log: (m) => logs.push(m),
  };
  return {
    ctx,
    rows,
    unavailable,
    logs,
    gpu: () => rows.gpu as SampleRow[],
    host: () => rows.host as SampleRow[],
    link: () => rows.link as SampleRow[],
    inventory: () => rows.inventory as TableRows['inventory'][],
    extra: () => rows.extra_metrics as TableRows['extra_metrics'][],
  };
}

/** A /dev/kmsg record ("prio,seq,usec since boot,flags;message") of XID `xid` on PCI bus `bus`. */
export const kmsgXid = (seq: number, usec: number, bus: string, xid: number): string =>
  `4,${seq},${usec},-;NVRM: Xid (PCI:0000:${bus}:00): ${xid}, pid=7, name=train, Graphics Exception\n`;

export { until } from '../until.js';
