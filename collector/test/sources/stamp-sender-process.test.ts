/**
 * The STAMP sender in a process of its own, as `meridian collect` runs it: the real, compiled
 * sender process probing real reflectors on loopback over a real IPC channel. What the agent
 * must get: every report exactly once (the drained last interval too), the counters, its clock
 * status as it changes, the inline sender's errors, a restart when the process is killed, and no
 * process left behind, whether the agent stops it, it will not stop, or the agent itself dies.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProcessSender } from '../../src/sources/stamp-sender/sender-process.js';
import { StampReflector, type ClockStatus, type StampReport } from '../../src/stamp/index.js';
import { alive, buildCollector } from '../processes.js';
import { until } from '../until.js';

const entry = fileURLToPath(new URL('../../dist/sources/stamp-sender/sender-process-main.js', import.meta.url));
const garbled = fileURLToPath(new URL('../fixtures/stamp-sender-garbled.mjs', import.meta.url));
const owner = fileURLToPath(new URL('../fixtures/stamp-sender-owner.mjs', import.meta.url));

const synced: ClockStatus = { synced: true, errorMs: 0.05 };
const base = { host: 'gpu-eu-01', region: 'eu-west', rate: 50, intervalMs: 500, lossTimeoutMs: 200 };

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

// The sender process runs the compiled collector, as production does.
beforeAll(buildCollector, 250_000);

async function reflector(): Promise<number> {
  const r = new StampReflector({ address: '127.0.0.1', port: 0 }, { clock: synced });
  cleanup.push(() => r.close());
  return (await r.start()).port;
}

function processSender(
  port: number,
  clock: ClockStatus | (() => ClockStatus) = synced,
  options: { entry?: string } = {},
): { sender: ProcessSender; reports: StampReport[]; logs: string[] } {
  const reports: StampReport[] = [];
  const logs: string[] = [];
  const sender = new ProcessSender(
    { ...base, peers: [{ address: '127.0.0.1', port, region: 'us-east' }] },
    { clock, onReport: (r) => reports.push(r), log: (m) => logs.push(m) },
    { entry: options.entry ?? entry, backoff: { initialMs: 50, maxMs: 200 }, clockPollMs: 50 },
  );
  cleanup.push(() => sender.stop({ drain: false }));
  return { sender, reports, logs };
}

const sum = (reports: StampReport[], column: string): number => reports.reduce((n, r) => n + Number(r.row[column]), 0);

describe('the STAMP sender in a process of its own', () => {
  it('probes from its own process and hands every report and its counters to the agent', async () => {
    const { sender, reports } = processSender(await reflector());
    await sender.start();
    const pid = sender.pid!;
    expect(pid).not.toBe(process.pid);
    expect(alive(pid)).toBe(true);
    await until(() => reports.length >= 2, 'two intervals reported');
    await until(() => (sender.stats().peers[0]?.probesSent ?? 0) >= 60, 'counters past 60 probes');
    await sender.stop();
    expect(alive(pid)).toBe(false);

    // Every probe the process sent is in exactly one report: the drained last interval included.
    const final = sender.stats().peers[0]!;
    expect(sum(reports, 'probes_sent')).toBe(final.probesSent);
    expect(sum(reports, 'probes_received')).toBe(final.repliesReceived);
    expect(final.repliesReceived).toBe(final.probesSent); // loopback loses nothing
    for (const r of reports) {
      expect(r.row).toMatchObject({ source: 'stamp', link_id: 'eu-west->us-east', region_to: 'us-east' });
      expect(r.row.rtt_avg).toBeGreaterThan(0);
      expect(r.row.rtt_avg).toBeLessThan(50);
      expect(typeof r.row.owd_forward).toBe('number'); // both clocks synchronised
    }
  });

  it('leaves a SIGTERM sent to the whole service to the agent, which still drains it', async () => {
    const { sender, reports } = processSender(await reflector());
    await sender.start();
    const pid = sender.pid!;
    await until(() => reports.length >= 1, 'a first interval');
    process.kill(pid, 'SIGTERM'); // systemd's control-group kill, or a terminal's process group
    process.kill(pid, 'SIGINT');
    const seen = reports.length;
    await until(() => reports.length >= seen + 2, 'two more intervals from the same process');
    expect(sender.pid).toBe(pid);
    await sender.stop();
    expect(alive(pid)).toBe(false);
    expect(sum(reports, 'probes_sent')).toBe(sender.stats().peers[0]!.probesSent);
  });

  it("sends this host's clock status on when it changes", async () => {
    let clock: ClockStatus = { synced: false, errorMs: 1000 };
    const { sender, reports } = processSender(await reflector(), () => clock);
    await sender.start();
    await until(() => reports.length >= 1, 'a first interval');
    // Unsynchronised: no one-way delay is claimed.
    expect(reports[0]!.row).not.toHaveProperty('owd_forward');
    expect(reports[0]!.row.clock_synced).toBe(0);
    clock = synced;
    await until(() => reports.some((r) => typeof r.row.owd_forward === 'number'), 'a one-way delay once synced');
    expect(reports.at(-1)!.row.clock_synced).toBe(1);
  });

  it('refuses to start with the inline sender’s words, naming the key, and leaves no process', async () => {
    const bad = new ProcessSender(
      { ...base, peers: [{ address: 'no-such-host.invalid', port: 862, region: 'us-east' }] },
      { onReport: () => {}, log: () => {} },
      { entry },
    );
    await expect(bad.start()).rejects.toThrow(
      /stamp\.sender\.peers\[0\]\.address: cannot resolve "no-such-host\.invalid"/,
    );
    expect(bad.pid).toBeUndefined();
    // A config the agent can tell is wrong never reaches a fork.
    expect(() => new ProcessSender({ ...base, rate: 0, peers: [] }, { onReport: () => {}, log: () => {} })).toThrow(
      /rate/,
    );
  });

  it('starts a killed sender process again, and the probing goes on', async () => {
    const { sender, reports, logs } = processSender(await reflector());
    await sender.start();
    const first = sender.pid!;
    await until(() => reports.length >= 1, 'a first interval');
    process.kill(first, 'SIGKILL');
    await until(() => sender.pid !== undefined && sender.pid !== first, 'a new sender process');
    expect(logs.join('\n')).toMatch(/the STAMP sender process ended \(SIGKILL\); its open intervals are lost/);
    // The new process's sessions start again from sequence 0.
    const before = reports.length;
    await until(() => reports.slice(before).some((r) => r.firstSeq === 0), 'a report from the new process');
    expect(alive(first)).toBe(false);
  });

  it('drops messages it cannot read, and kills a process that does not stop', async () => {
    const { sender, reports, logs } = processSender(await reflector(), synced, { entry: garbled });
    await sender.start();
    const pid = sender.pid!;
    const ignored = logs.filter((l) => l.startsWith('ignored a message from the STAMP sender process'));
    expect(ignored).toEqual([
      'ignored a message from the STAMP sender process: message is not an object: string',
      'ignored a message from the STAMP sender process: report: not a report with a row, a linkId and a ts',
      'ignored a message from the STAMP sender process: stats: not {peers, skippedSlots, droppedReports}',
      'ignored a message from the STAMP sender process: unknown message kind "reboot"',
    ]);
    expect(reports).toEqual([]);
    expect(sender.stats()).toEqual({ peers: [], skippedSlots: 0, droppedReports: 0 });
    await sender.stop();
    expect(alive(pid)).toBe(false);
    expect(logs.join('\n')).toContain(`the STAMP sender process (pid ${pid}) did not stop in time: killed`);
  });

  it('ends when the agent that started it is killed', async () => {
    const port = await reflector();
    const agent = spawn(process.execPath, [owner, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanup.push(() => void agent.kill('SIGKILL'));
    let out = '';
    agent.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await until(() => /SENDER \d+/.test(out), 'the sender process pid');
    const pid = Number(/SENDER (\d+)/.exec(out)![1]);
    expect(alive(pid)).toBe(true);
    agent.kill('SIGKILL');
    await until(() => !alive(pid), 'the orphaned sender process to exit');
  });
});
