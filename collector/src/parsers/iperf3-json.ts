/**
 * `iperf3 -J` → one link record (method "iperf3") for the far end.
 *
 * throughput is what the receiver measured (sum_received, bits/s → bytes/s), which is the rate
 * that actually crossed the link. retransmits and the TCP RTTs come from the sender side; iperf3
 * reports RTTs in microseconds, converted here to ms. Omitted (warm-up) intervals are already
 * excluded from iperf3's end sums.
 */
import { catalogMetric, RecordBuilder, type ParseResult } from './record.js';

const THROUGHPUT = catalogMetric('throughput').name;
const RETRANSMITS = catalogMetric('retransmits').name;
const RTT_MIN = catalogMetric('rtt_min').name;
const RTT_AVG = catalogMetric('rtt_avg').name;
const RTT_MAX = catalogMetric('rtt_max').name;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function get(obj: Json | undefined, path: string): Json | undefined {
  return path.split('.').reduce<Json | undefined>((o, k) => {
    if (o === null || o === undefined || typeof o !== 'object') return undefined;
    return Array.isArray(o) ? o[Number(k)] : o[k];
  }, obj);
}

function num(v: Json | undefined): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function parseIperf3Json(text: string): ParseResult {
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch (err) {
    return {
      records: [],
      errors: [
        {
          field: 'document',
          reason: 'malformed',
          message: `not JSON: ${err instanceof Error ? err.message : String(err)}`,
        },
      ],
    };
  }
  const failure = get(doc, 'error');
  if (typeof failure === 'string') {
    return {
      records: [],
      errors: [{ field: 'document', reason: 'malformed', message: `iperf3 reported: ${failure}` }],
    };
  }
  const remote = get(doc, 'start.connecting_to.host') ?? get(doc, 'start.connected.0.remote_host');
  const b = new RecordBuilder('link', 'iperf3');
  b.label('link_id', typeof remote === 'string' ? remote : undefined)
    .label('lane', 0)
    .label('method', 'iperf3');

  const bps = num(get(doc, 'end.sum_received.bits_per_second')) ?? num(get(doc, 'end.sum.bits_per_second'));
  if (bps !== undefined) b.setNumber(THROUGHPUT, bps / 8);
  const retr = num(get(doc, 'end.sum_sent.retransmits'));
  if (retr !== undefined) b.setNumber(RETRANSMITS, retr);

  const streams = get(doc, 'end.streams');
  const senders = Array.isArray(streams) ? streams.map((s) => get(s, 'sender')) : [];
  const rtts = (key: string): number[] => senders.flatMap((s) => num(get(s, key)) ?? []);
  const mins = rtts('min_rtt');
  const means = rtts('mean_rtt');
  const maxs = rtts('max_rtt');
  if (mins.length) b.setNumber(RTT_MIN, Math.min(...mins) / 1000);
  if (means.length) b.setNumber(RTT_AVG, means.reduce((a, c) => a + c, 0) / means.length / 1000);
  if (maxs.length) b.setNumber(RTT_MAX, Math.max(...maxs) / 1000);
  return { records: [b.build()], errors: [] };
}
