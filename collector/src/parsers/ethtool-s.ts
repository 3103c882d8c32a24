/**
 * `ethtool -S <if>` → one link record for the port: CRC/FCS, symbol, FEC and link-down counters.
 *
 * Counter names differ by driver and driver version, so each catalog metric has an ordered list of
 * driver spellings and the first one present wins. Counters stay raw and cumulative (rates are
 * derived in queries). Every counter the NIC printed is also returned in `counters` for callers that
 * want one (the passive link source uses it for wrap/reset detection); they are not catalog fields.
 *
 * Deliberately not mapped: mlx5 `rx_corrected_bits_phy` counts corrected *bits*, while the catalog's
 * fec_corrected counts codewords/blocks; mixing the two in one column would make rates meaningless.
 */
import { catalogMetric, RecordBuilder, type ParseResult, type ParsedRecord } from './record.js';

/** Driver spellings per catalog metric, most specific first. */
export const ETHTOOL_COUNTER_NAMES: readonly (readonly [metric: string, names: readonly string[]])[] = [
  [
    catalogMetric('crc_errors').name,
    [
      'rx_crc_errors_phy', // mlx5 (PHY layer)
      'port.rx_crc_errors', // i40e
      'rx_crc_errors.nic', // ice
      'rx_fcs_err_frames', // bnxt
      'rx_crc_errors', // ixgbe, igb, generic
      'rx_fcs_errors',
    ],
  ],
  [
    catalogMetric('symbol_errors').name,
    ['rx_pcs_symbol_err_phy', 'rx_pcs_symbol_err', 'rx_symbol_err_phy', 'rx_symbol_errors', 'symbol_err'],
  ],
  [catalogMetric('fec_corrected').name, ['rx_fec_corrected_blocks', 'fec_corrected_blocks', 'rx_fec_corrected']],
  [
    catalogMetric('fec_uncorrected').name,
    ['rx_fec_uncorrectable_blocks', 'fec_uncorrectable_blocks', 'rx_fec_uncorrectable'],
  ],
  [catalogMetric('link_down_events').name, ['link_down_events_phy', 'link_down_events', 'port.link_down_events']],
];

export interface EthtoolSResult extends ParseResult {
  /** Every counter printed, by name (raw strings avoided: exact numbers only, BigInt-safe). */
  readonly counters: ReadonlyMap<string, number>;
}

/**
 * Reads "name: value" lines. Tolerates a missing "NIC statistics:" header, missing indentation, and
 * driver prefixes such as bnx2x's "[0]: rx_bytes" and be2net's "rxq0: rx_bytes" (kept in the name).
 */
export function readEthtoolCounters(text: string): { counters: Map<string, number>; bad: Map<string, string> } {
  const counters = new Map<string, number>();
  const bad = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const m = /^\s*(.+?):\s*(\S+)\s*$/.exec(raw);
    if (!m?.[1] || m[2] === undefined) continue;
    const name = m[1].replace(/:\s+/g, ':').trim();
    if (name === 'NIC statistics') continue;
    const value = m[2];
    if (!/^\d+$/.test(value)) {
      bad.set(name, value);
      continue;
    }
    const n = Number(value);
    // A u64 counter beyond 2^53 cannot be kept exactly as a number: report it rather than round it.
    if (!Number.isSafeInteger(n)) bad.set(name, value);
    else counters.set(name, n);
  }
  return { counters, bad };
}

export function parseEthtoolS(text: string, opts: { iface?: string } = {}): EthtoolSResult {
  const { counters, bad } = readEthtoolCounters(text);
  if (counters.size === 0 && bad.size === 0) return { records: [], errors: [], counters };
  const b = new RecordBuilder('link', 'ethtool');
  const iface = opts.iface ?? /ethtool\s+(?:-S|--statistics)\s+(\S+)/.exec(text)?.[1];
  b.label('link_id', iface).label('lane', 0).label('method', 'ethtool');
  for (const [metric, names] of ETHTOOL_COUNTER_NAMES) {
    const name = names.find((n) => counters.has(n) || bad.has(n));
    if (!name) continue;
    const v = counters.get(name);
    if (v !== undefined) b.setNumber(metric, v);
    else
      b.error({ field: metric, reason: 'unparseable', message: `${metric}: ${name} reads "${bad.get(name) ?? ''}"` });
  }
  const records: ParsedRecord[] = [b.build()];
  return { records, errors: [], counters };
}
