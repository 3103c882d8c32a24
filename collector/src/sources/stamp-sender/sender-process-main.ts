/**
 * The STAMP Session-Sender's own process (why it has one: sender-process.ts). The agent forks it
 * with an IPC channel, tells it once what to probe, and gets back every report and, every few
 * seconds, the sender's counters. It holds no state the agent needs: when the channel closes (the
 * agent stopped it, or the agent is gone) it stops probing and exits.
 */
import { UNSYNCED_CLOCK, type ClockStatus } from '../../stamp/clock.js';
import { StampSender } from '../../stamp/sender.js';
import { readToSender, type FromSender, type ToSender } from './sender-process-protocol.js';

/** How often the counters go to the agent (its /metrics reads the last ones it got). */
const STATS_EVERY_MS = 5_000;

let clock: ClockStatus = UNSYNCED_CLOCK;
let sender: StampSender | undefined;
let statsTimer: NodeJS.Timeout | undefined;

function send(message: FromSender): void {
  // After a disconnect there is nobody to tell; process.send would throw.
  if (process.connected) process.send?.(message);
}

async function start(config: Extract<ToSender, { kind: 'start' }>['config']): Promise<void> {
  if (sender) {
    send({ kind: 'failed', message: 'this sender process has already started' });
    return;
  }
  const s = new StampSender(config, {
    clock: () => clock,
    onReport: (report) => send({ kind: 'report', report }),
  });
  sender = s;
  try {
    await s.start();
  } catch (err) {
    sender = undefined;
    send({ kind: 'failed', message: err instanceof Error ? err.message : String(err) });
    return;
  }
  statsTimer = setInterval(() => send({ kind: 'stats', stats: s.stats() }), STATS_EVERY_MS);
  send({ kind: 'started' });
}

async function stop(drain: boolean): Promise<void> {
  clearInterval(statsTimer);
  const s = sender;
  if (s) {
    await s.stop({ drain });
    send({ kind: 'stats', stats: s.stats() });
  }
  send({ kind: 'stopped' });
}

process.on('message', (raw) => {
  const m = readToSender(raw);
  if (typeof m === 'string') {
    console.error(`meridian collector: stamp-sender process: ignored a message from the agent: ${m}`);
    return;
  }
  if (m.kind === 'stop') {
    void stop(m.drain);
    return;
  }
  clock = m.clock;
  if (m.kind === 'start') void start(m.config);
});

// A SIGTERM or SIGINT meant for the whole service (systemd signals every process of the unit's
// control group; a terminal's Ctrl-C, the whole process group) is the agent's to act on: it stops
// this process through the channel after the last interval has been drained and reported. Dying
// here would lose that interval. The agent gone, the channel closes and this process ends.
process.on('SIGTERM', () => undefined);
process.on('SIGINT', () => undefined);

// The channel closed: the agent has what it asked for, or it is gone and nobody reads what this
// process measures. Either way the probing ends here, and with it the process (nothing is left to
// send; the kernel closes the sockets).
process.on('disconnect', () => process.exit(0));
