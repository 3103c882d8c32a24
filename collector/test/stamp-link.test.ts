/**
 * A STAMP sender and reflector on 127.0.0.1, through the long-haul link SIMULATION (a user-space
 * relay: this kernel has no tc netem) injecting a 2,000 km fibre's delay, plus jitter, loss,
 * reordering and duplicates, ~1,200 probes at 200/s. Every figure is checked against the relay's
 * own per-datagram record (test/relay/truth.ts), not against the configured rates:
 *  - counts (sent, received, loss %, duplicates, reordered) must match that record exactly;
 *  - no measured RTT may be below the delay the link really added;
 *  - rtt_p50 and the one-way delays must be within 0.2 ms of the "wire" truth, which leaves out
 *    only the receiving host's own user-space latency (see truth.ts for why). That latency
 *    depends on the machine's load, so a run that misses is repeated, at most twice.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createWallClock,
  StampReflector,
  StampSender,
  type ReplyObservation,
  type StampReport,
} from '../src/stamp/index.js';
import { holdMs, LongHaulLinkSim, type Impairment, type PacketRecord } from '../../test/relay/long-haul-link-sim.js';
import { probeTruths, reorderedSeqs, stampKeyOf, type ProbeTruth } from '../../test/relay/truth.js';
import { mean, percentile } from '../src/stamp/stats.js';
import { until } from './until.js';

// 2,000 km of fibre at 4.9 µs/km is 9.8 ms each way, ~19.6 ms round trip.
const longHaul: Impairment = {
  delayMs: 9.8,
  jitterMs: 1.5,
  lossPct: 2.5,
  duplicatePct: 1.5,
  reorderPct: 2,
  reorderExtraMs: 12,
};
const RATE = 200; // probes/s: 5 ms apart, so a packet held back 12 ms is overtaken by two others
const RUN_MS = 6_000;
// The production default: one report a minute, like perfSONAR latencybg. The run then falls in one
// or two intervals, and each report rests on hundreds of probes.
const INTERVAL_MS = 60_000;

const wallClock = createWallClock();
const synced = { synced: true, errorMs: 0.01 };

interface Run {
  reports: StampReport[];
  observations: ReplyObservation[];
  truths: Map<number, ProbeTruth>;
  reordered: Set<number>;
  /** Planned round trip (forward + reverse delay the relay chose) of every probe answered. */
  plannedRttMs: number[];
  records: readonly PacketRecord[];
  /** How long the sender really ran. */
  elapsedMs: number;
}

/** JIT-compiles the probe path (a fresh process interprets its first thousand packets slowly). */
async function warmUp(): Promise<void> {
  const reflector = new StampReflector(
    { address: '127.0.0.1', port: 0, ratePerSource: 10_000, burstPerSource: 10_000 },
    { clock: synced, wallClock },
  );
  const target = await reflector.start();
  const relay = new LongHaulLinkSim({
    target,
    forward: longHaul,
    reverse: longHaul,
    seed: 1,
    keyOf: stampKeyOf,
    clock: wallClock,
  });
  const front = await relay.start();
  const sender = new StampSender(
    {
      host: 'warm-up',
      region: 'eu-west',
      peers: [{ address: front.address, port: front.port, region: 'us-east' }],
      rate: 1000,
      intervalMs: 1000,
      lossTimeoutMs: 100,
    },
    { clock: synced, wallClock, onReport: () => undefined },
  );
  await sender.start();
  await until(() => (sender.stats().peers[0]?.probesSent ?? 0) >= 1_000, 'a second of warm-up probes', 30_000);
  await sender.stop({ drain: false });
  await relay.close();
  await reflector.close();
}

async function runThroughLink(): Promise<Run> {
  await warmUp();
  const reflector = new StampReflector(
    { address: '127.0.0.1', port: 0, ratePerSource: 10_000, burstPerSource: 10_000 },
    { clock: synced, wallClock },
  );
  const target = await reflector.start();
  const relay = new LongHaulLinkSim({
    target,
    forward: longHaul,
    reverse: longHaul,
    seed: 20261125,
    keyOf: stampKeyOf,
    clock: wallClock,
  });
  const front = await relay.start();
  const reports: StampReport[] = [];
  const observations: ReplyObservation[] = [];
  const sender = new StampSender(
    {
      host: 'gpu-eu-01',
      region: 'eu-west',
      peers: [{ address: front.address, port: front.port, region: 'us-east' }],
      rate: RATE,
      intervalMs: INTERVAL_MS,
      lossTimeoutMs: 500,
    },
    { clock: synced, wallClock, onReport: (r) => reports.push(r), onReply: (_id, o) => observations.push(o) },
  );
  await sender.start();
  const started = performance.now();
  // RUN_MS worth of probes, counted rather than timed (a loaded machine sends them later, not fewer).
  await until(
    () => (sender.stats().peers[0]?.probesSent ?? 0) >= (RATE * RUN_MS) / 1000,
    `${(RATE * RUN_MS) / 1000} probes`,
    RUN_MS * 5,
  );
  const elapsedMs = performance.now() - started;
  await sender.stop();
  await relay.close();
  await reflector.close();
  const truths = probeTruths(relay.records);
  const plannedForward = new Map(
    relay.records
      .filter((r) => r.direction === 'forward' && r.copies.length > 0)
      .map((r) => [r.key, r.copies[0]?.plannedMs as number]),
  );
  const plannedRttMs = relay.records.flatMap((r) => {
    const fwd = plannedForward.get(r.key);
    return r.direction === 'reverse' && r.copies.length > 0 && fwd !== undefined
      ? [fwd + (r.copies[0]?.plannedMs as number)]
      : [];
  });
  return {
    reports,
    observations,
    truths,
    reordered: reorderedSeqs(truths),
    plannedRttMs,
    records: relay.records,
    elapsedMs,
  };
}

function truthsOf(run: Run, report: StampReport): ProbeTruth[] {
  const out: ProbeTruth[] = [];
  for (let seq = report.firstSeq; seq <= report.lastSeq; seq++) {
    const t = run.truths.get(seq);
    if (!t) throw new Error(`probe ${seq} never reached the relay`);
    out.push(t);
  }
  return out;
}

const sortedOf = (values: number[]): number[] => [...values].sort((a, b) => a - b);

/**
 * Everything timing-sensitive about one run, as a list of misses (empty when all hold):
 *  - rtt_p50 within 0.2 ms of the wire truth's median; rtt_avg within 0.5 ms of its mean (the mean
 *    also carries the tail of the receive latency, 1-2 ms at p99 when other builds keep both
 *    cores busy);
 *  - owd_forward / owd_reverse within 0.2 ms of the one-way wire truths' medians;
 *  - each host-stack hop the relay can time (sender→relay, relay→reflector, reflector→relay)
 *    under 0.5 ms at the median: both ends timestamp next to their socket calls.
 * Only reports resting on at least 150 probes are judged; a sliver at the run's edge says little.
 */
function accuracyProblems(run: Run): string[] {
  const problems: string[] = [];
  const diag: string[] = [];
  const within = (what: string, measured: number, truth: number, tolerance: number): void => {
    if (!(Math.abs(measured - truth) <= tolerance))
      problems.push(`${what}: measured ${measured.toFixed(3)}, truth ${truth.toFixed(3)}`);
  };
  let judged = 0;
  for (const report of run.reports) {
    const truths = truthsOf(run, report).filter((t) => t.wireRttMs !== undefined);
    if (truths.length < 150) continue;
    judged++;
    const wire = sortedOf(truths.map((t) => t.wireRttMs as number));
    const at = report.intervalStartMs;
    within(`${at} rtt_p50`, Number(report.row.rtt_p50), percentile(wire, 50) as number, 0.2);
    within(`${at} rtt_avg`, Number(report.row.rtt_avg), mean(wire) as number, 0.5);
    within(
      `${at} owd_forward`,
      Number(report.row.owd_forward),
      percentile(sortedOf(truths.map((t) => t.wireForwardMs as number)), 50) as number,
      0.2,
    );
    within(
      `${at} owd_reverse`,
      Number(report.row.owd_reverse),
      percentile(sortedOf(truths.map((t) => t.wireReverseMs as number)), 50) as number,
      0.2,
    );
    const link = sortedOf(truths.map((t) => t.linkMs as number));
    diag.push(
      `${at}: n=${wire.length} link p50 ${percentile(link, 50)?.toFixed(3)} wire p50 ${percentile(wire, 50)?.toFixed(3)} measured p50 ${Number(report.row.rtt_p50).toFixed(3)}`,
    );
  }
  if (judged === 0) problems.push('no report rests on 150 probes or more');
  const hops: number[][] = [[], [], []];
  for (const t of run.truths.values()) t.hopsMs?.forEach((h, i) => hops[i]?.push(h));
  for (const [i, values] of hops.entries()) {
    const median = percentile(sortedOf(values), 50);
    if (median === undefined || !(median >= 0 && median < 0.5)) problems.push(`hop ${i} median ${median}`);
  }
  const errors = sortedOf(
    run.observations.flatMap((o) => {
      const t = run.truths.get(o.seq);
      return o.outcome === 'received' && t?.wireRttMs !== undefined && o.rttMs !== undefined
        ? [o.rttMs - t.wireRttMs]
        : [];
    }),
  );
  diag.push(
    `per-probe RTT - wire truth, ms: p1 ${percentile(errors, 1)?.toFixed(3)} p50 ${percentile(errors, 50)?.toFixed(3)} p99 ${percentile(errors, 99)?.toFixed(3)}`,
  );
  console.log(diag.join('\n'));
  return problems;
}

describe('STAMP through a simulated 2,000 km link', () => {
  let run: Run;
  beforeAll(async () => {
    run = await runThroughLink();
  }, 30_000);

  it('reports every interval, and the relay saw every probe sent', () => {
    // 6 s of probing, reported when the sender stops: one partial interval, or two where the run
    // crossed a minute boundary.
    expect(run.reports.length).toBeGreaterThanOrEqual(1);
    expect(run.reports.length).toBeLessThanOrEqual(2);
    const sent = run.reports.reduce((n, r) => n + Number(r.row.probes_sent), 0);
    expect(sent).toBe(run.truths.size);
    // Slots the event loop missed are skipped, not burst; even a starved machine sends most.
    expect(sent).toBeGreaterThan(RATE * (RUN_MS / 1000) * 0.5);
    // ...and never more than the rate allows.
    expect(sent).toBeLessThanOrEqual(Math.ceil((RATE * run.elapsedMs) / 1000) + 2);
    for (const r of run.reports) {
      expect(r.row).toMatchObject({
        source: 'stamp',
        link_id: 'eu-west->us-east',
        region_from: 'eu-west',
        region_to: 'us-east',
        host: 'gpu-eu-01',
        lane: 0,
        method: 'stamp',
      });
      expect(r.row.ts).toBe(r.intervalStartMs);
      expect(r.intervalStartMs % INTERVAL_MS).toBe(0);
    }
  });

  it('counts loss, duplicates and reordering exactly as the link injected them', () => {
    let lost = 0;
    let sent = 0;
    for (const report of run.reports) {
      const truths = truthsOf(run, report);
      const received = truths.filter((t) => t.linkMs !== undefined);
      const truthLossPct = ((truths.length - received.length) / truths.length) * 100;
      expect(report.row.probes_sent).toBe(truths.length);
      expect(report.row.probes_received).toBe(received.length);
      expect(Math.abs(Number(report.row.loss_pct) - truthLossPct)).toBeLessThanOrEqual(0.5);
      expect(report.row.duplicates).toBe(received.reduce((n, t) => n + t.repliesDelivered - 1, 0));
      expect(report.row.reordered).toBe(received.filter((t) => run.reordered.has(t.seq)).length);
      lost += truths.length - received.length;
      sent += truths.length;
    }
    // The simulation did what it was told: 2.5% each way is ~4.9% round-trip loss.
    expect((lost / sent) * 100).toBeGreaterThan(3);
    expect((lost / sent) * 100).toBeLessThan(7.5);
    const totalDup = run.reports.reduce((n, r) => n + Number(r.row.duplicates), 0);
    const totalReordered = run.reports.reduce((n, r) => n + Number(r.row.reordered), 0);
    expect(totalDup).toBeGreaterThan(10);
    expect(totalReordered).toBeGreaterThan(10);
  });

  it('never measures a round trip shorter than the delay the link added', () => {
    let checked = 0;
    for (const o of run.observations) {
      const t = run.truths.get(o.seq);
      if (o.outcome !== 'received' || t?.linkMs === undefined || o.rttMs === undefined) continue;
      expect(o.rttMs).toBeGreaterThanOrEqual(t.linkMs - 0.001);
      checked++;
    }
    expect(checked).toBeGreaterThan(RATE * (RUN_MS / 1000) * 0.5);
  });

  it('orders its RTT statistics, and its minimum is never below the truth', () => {
    for (const report of run.reports) {
      const wire = sortedOf(truthsOf(run, report).flatMap((t) => (t.wireRttMs === undefined ? [] : [t.wireRttMs])));
      if (wire.length === 0) continue;
      expect(Number(report.row.rtt_min)).toBeGreaterThanOrEqual((wire[0] as number) - 0.001);
      expect(Number(report.row.rtt_min)).toBeLessThanOrEqual(Number(report.row.rtt_p50));
      expect(Number(report.row.rtt_p50)).toBeLessThanOrEqual(Number(report.row.rtt_p99));
      expect(Number(report.row.rtt_p99)).toBeLessThanOrEqual(Number(report.row.rtt_max));
    }
  });

  it('measures RTT and one-way delays within 0.2 ms of the wire truth', async () => {
    // A run is repeated (at most twice) only if it misses: a defect in the code misses every
    // time, while a machine too busy to run the test on time rarely starves three runs in a row.
    const misses: string[][] = [];
    let current = run;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const problems = accuracyProblems(current);
      if (problems.length === 0) break;
      misses.push(problems);
      if (attempt < 3) current = await runThroughLink();
    }
    if (misses.length > 0)
      console.log(`accuracy misses before the last run:\n${misses.map((m) => m.join('; ')).join('\n')}`);
    expect(misses.length < 3 ? [] : misses[2]).toEqual([]);
  }, 60_000);

  it('injected the 2,000 km delay it was asked for', () => {
    const planned = sortedOf(run.plannedRttMs);
    expect(percentile(planned, 50)).toBeGreaterThan(18.6);
    expect(percentile(planned, 50)).toBeLessThan(20.6);
    // A copy may leave up to ~1.5 ms before its planned delay: libuv starts a timer from the loop's
    // cached clock, which can trail the datagram's arrival. Late is possible on a loaded machine.
    let copies = 0;
    for (const r of run.records) {
      for (const copy of r.copies) {
        expect(holdMs(r, copy)).toBeGreaterThan(copy.plannedMs - 2);
        copies++;
      }
    }
    expect(copies).toBeGreaterThan(RATE * (RUN_MS / 1000));
  });

  it('stores one-way delays only because both clocks said they were synchronised', () => {
    for (const { row } of run.reports) {
      if (row.probes_received === 0) continue;
      expect(row.clock_synced).toBe(1);
      expect(Number(row.clock_error)).toBeGreaterThanOrEqual(0.02);
      expect(Number(row.clock_error)).toBeLessThan(0.021);
      expect(typeof row.owd_forward).toBe('number');
      expect(typeof row.owd_reverse).toBe('number');
    }
  });
});
