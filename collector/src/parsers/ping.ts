/**
 * iputils `ping` output → one link record (method "ping") for the destination.
 *
 * min/avg/max come from the summary line as ping computed them (duplicates included, as iputils
 * does); p50/p99 are computed from the same population of reply lines. Jitter (mean absolute
 * difference of consecutive RTTs, the catalog's definition) and reordering use only first replies,
 * in arrival order, because a (DUP!) reply says nothing about path delay variation.
 */
import { catalogMetric, RecordBuilder, type ParseResult } from './record.js';

const M = {
  min: catalogMetric('rtt_min').name,
  avg: catalogMetric('rtt_avg').name,
  p50: catalogMetric('rtt_p50').name,
  p99: catalogMetric('rtt_p99').name,
  max: catalogMetric('rtt_max').name,
  jitter: catalogMetric('jitter').name,
  loss: catalogMetric('loss_pct').name,
  reordered: catalogMetric('reordered').name,
  duplicates: catalogMetric('duplicates').name,
  sent: catalogMetric('probes_sent').name,
  received: catalogMetric('probes_received').name,
};

/** Nearest-rank percentile of an ascending list. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

export function parsePing(text: string): ParseResult {
  const dest = /^PING\s+(\S+)/m.exec(text)?.[1];
  // The count is bounded and must start a number: an unanchored (\d+) would be tried from every
  // digit of a long run of digits, quadratic on a hostile 2 MB line.
  const summary =
    /(?<!\d)(\d{1,15}) packets transmitted, (\d+) (?:packets )?received(?:, \+(\d+) duplicates)?(?:, \+(\d+) errors)?, ([\d.]+)% packet loss/.exec(
      text,
    );
  if (!summary && !dest) return { records: [], errors: [] };
  const b = new RecordBuilder('link', 'ping');
  b.label('link_id', dest).label('lane', 0).label('method', 'ping');

  const all: number[] = [];
  const firsts: number[] = [];
  const seen = new Set<number>();
  let maxSeq = -1;
  let reordered = 0;
  for (const m of text.matchAll(/icmp_seq=(\d+)\s.*?time[=<]([\d.]+) ms(.*)$/gm)) {
    const seq = Number(m[1]);
    const rtt = Number(m[2]);
    if (!Number.isFinite(rtt)) continue;
    all.push(rtt);
    const dup = /\(DUP!\)/.test(m[3] ?? '') || seen.has(seq);
    if (dup) continue;
    seen.add(seq);
    firsts.push(rtt);
    if (seq < maxSeq) reordered++;
    maxSeq = Math.max(maxSeq, seq);
  }

  if (summary) {
    b.setNumber(M.sent, Number(summary[1]));
    b.setNumber(M.received, Number(summary[2]));
    b.setNumber(M.duplicates, Number(summary[3] ?? 0));
    b.setRaw(M.loss, summary[5]);
  }
  const rtt = /(?:rtt|round-trip) min\/avg\/max(?:\/(?:mdev|stddev))? = ([\d.]+)\/([\d.]+)\/([\d.]+)/.exec(text);
  if (rtt) {
    b.setRaw(M.min, rtt[1]);
    b.setRaw(M.avg, rtt[2]);
    b.setRaw(M.max, rtt[3]);
  }
  const sorted = [...all].sort((x, y) => x - y);
  const p50 = percentile(sorted, 50);
  const p99 = percentile(sorted, 99);
  if (p50 !== undefined) b.setNumber(M.p50, p50);
  if (p99 !== undefined) b.setNumber(M.p99, p99);
  if (firsts.length >= 2) {
    let sum = 0;
    for (let i = 1; i < firsts.length; i++) sum += Math.abs((firsts[i] ?? 0) - (firsts[i - 1] ?? 0));
    b.setNumber(M.jitter, sum / (firsts.length - 1));
  }
  if (firsts.length > 0) b.setNumber(M.reordered, reordered);
  return { records: [b.build()], errors: [] };
}
