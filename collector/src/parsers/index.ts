/**
 * Parser registry: `meridian parse <kind>` and the sources look parsers up here by kind.
 */
import { parseDcgm } from './dcgm.js';
import { parseEthtoolM } from './ethtool-m.js';
import { parseEthtoolS } from './ethtool-s.js';
import { parseIperf3Json } from './iperf3-json.js';
import { parseNvidiaSmiCsv } from './nvidia-smi-csv.js';
import { parseNvidiaSmiNvlink } from './nvidia-smi-nvlink.js';
import { parseNvidiaSmiXml } from './nvidia-smi-xml.js';
import { parsePing } from './ping.js';
import { parseProcNetDev } from './proc-net-dev.js';
import type { ParseResult } from './record.js';

export interface ParseOptions {
  /** Interface / link name for outputs that do not carry one (ethtool). */
  readonly iface?: string;
}

export const PARSERS = {
  'nvidia-smi-xml': (t: string) => parseNvidiaSmiXml(t),
  'nvidia-smi-csv': (t: string) => parseNvidiaSmiCsv(t),
  'nvidia-smi-nvlink': (t: string) => parseNvidiaSmiNvlink(t),
  dcgm: (t: string) => parseDcgm(t),
  'ethtool-m': (t: string, o: ParseOptions) => parseEthtoolM(t, o),
  'ethtool-s': (t: string, o: ParseOptions) => parseEthtoolS(t, o),
  'proc-net-dev': (t: string) => parseProcNetDev(t),
  ping: (t: string) => parsePing(t),
  'iperf3-json': (t: string) => parseIperf3Json(t),
} as const satisfies Record<string, (text: string, opts: ParseOptions) => ParseResult>;

export type ParseKind = keyof typeof PARSERS;
export const PARSE_KINDS = Object.keys(PARSERS) as ParseKind[];

export function isParseKind(k: string): k is ParseKind {
  return Object.hasOwn(PARSERS, k);
}

export function parseOutput(kind: ParseKind, text: string, opts: ParseOptions = {}): ParseResult {
  return PARSERS[kind](text, opts);
}

export {
  parseDcgm,
  parseEthtoolM,
  parseEthtoolS,
  parseIperf3Json,
  parseNvidiaSmiCsv,
  parseNvidiaSmiNvlink,
  parseNvidiaSmiXml,
  parsePing,
  parseProcNetDev,
};
export type { ParsedRecord, ParseResult, FieldError, DocumentError, ExtraMetric } from './record.js';
export { toJsonRecord } from './record.js';
export { parseXidLine, pciKey } from './xid.js';
export type { XidEvent } from './xid.js';
export type { GpuInventory, GpuAddress, NvidiaSmiXmlResult } from './nvidia-smi-xml.js';
