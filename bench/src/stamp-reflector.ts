/**
 * bench: the STAMP Session-Reflector's CPU cost per answered probe, beside a yardstick measured in
 * the same run: a plain node:dgram echo server (no parsing, no checks, no rate limit) that answers
 * the same datagrams at the same rate. Each server runs in a process of its own, so its CPU time
 * is read from /proc without the load generator's.
 *
 * Prints CPU µs per reply for both, the reflector's overhead over the echo, and what a reflector
 * answering 8 peers at 10 probes/s (perfSONAR's default) would cost per hour.
 *
 * Usage: npx tsc -b bench && node bench/dist/stamp-reflector.js [--rate 4000] [--seconds 10]
 * (needs collector/dist, which `tsc -b` builds).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { readProc } from './collector-proc.js';
import { positiveArg } from './positive-arg.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const RATE = positiveArg('rate', 4000);
const SECONDS = positiveArg('seconds', 10);
const WARMUP_S = 2;

const servers = {
  echo: `
    import { createSocket } from 'node:dgram';
    const s = createSocket('udp4');
    s.on('message', (m, r) => s.send(m, r.port, r.address));
    s.bind(0, '127.0.0.1', () => console.log('PORT ' + s.address().port));`,
  reflector: `
    import { StampReflector } from '@meridian/collector';
    const r = new StampReflector({ address: '127.0.0.1', port: 0, ratePerSource: 1e5, burstPerSource: 1e5, globalRate: 1e6 },
      { clock: { synced: true, errorMs: 0.05 } });
    const { port } = await r.start();
    console.log('PORT ' + port);`,
} as const;

function start(kind: keyof typeof servers): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, ['--input-type=module', '-e', servers[kind]], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${kind} server did not start: ${out}`)), 30_000);
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, port: Number(m[1]) });
      }
    });
    proc.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
}

/** A well-formed 44-octet Session-Sender packet (seq, NTP timestamp, S=1 error estimate). */
function probe(seq: number): Buffer {
  const b = Buffer.alloc(44);
  b.writeUInt32BE(seq >>> 0, 0);
  const ms = Date.now();
  b.writeUInt32BE(Math.floor(ms / 1000) + 2_208_988_800, 4);
  b.writeUInt32BE(Math.floor(((ms % 1000) / 1000) * 2 ** 32), 8);
  b.writeUInt16BE(0x8001, 12);
  return b;
}

/** Sends at RATE for `seconds`, in 10 ms batches; returns replies counted in that window. */
async function drive(port: number, seconds: number): Promise<{ sent: number; replies: number }> {
  const socket = createSocket('udp4');
  let replies = 0;
  socket.on('message', () => replies++);
  await new Promise<void>((resolve) => socket.connect(port, '127.0.0.1', resolve));
  const perTick = RATE / 100;
  let sent = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const elapsed = (performance.now() - t0) / 1000;
      if (elapsed >= seconds) return resolve();
      const due = Math.floor(elapsed * 100 + 1) * perTick;
      while (sent < due) socket.send(probe(sent++));
      setTimeout(tick, 10);
    };
    tick();
  });
  await new Promise((resolve) => setTimeout(resolve, 200));
  socket.close();
  return { sent, replies };
}

async function measure(kind: keyof typeof servers): Promise<{ usPerReply: number; replies: number; sent: number }> {
  const { proc, port } = await start(kind);
  try {
    await drive(port, WARMUP_S);
    const pid = proc.pid as number;
    const before = readProc(pid);
    const { sent, replies } = await drive(port, SECONDS);
    const after = readProc(pid);
    if (!before || !after) throw new Error(`cannot read /proc/${pid}/stat`);
    return { usPerReply: ((after.self - before.self) * 1e6) / Math.max(1, replies), replies, sent };
  } finally {
    proc.kill('SIGTERM');
  }
}

const echo = await measure('echo');
const reflector = await measure('reflector');
const fmt = (x: number): string => x.toFixed(1);
console.log(`STAMP reflector CPU per reply, ${RATE} probes/s for ${SECONDS} s on loopback (Node ${process.version})`);
console.log(
  `  yardstick, plain dgram echo:  ${fmt(echo.usPerReply)} µs/reply   (${echo.replies}/${echo.sent} answered)`,
);
console.log(
  `  StampReflector:               ${fmt(reflector.usPerReply)} µs/reply   (${reflector.replies}/${reflector.sent} answered)`,
);
console.log(
  `  overhead of STAMP over echo:  ${fmt(reflector.usPerReply - echo.usPerReply)} µs/reply (${fmt(reflector.usPerReply / echo.usPerReply)}x)`,
);
const perHourS = (reflector.usPerReply * 8 * 10 * 3600) / 1e6;
console.log(
  `  8 peers × 10 probes/s: ${perHourS.toFixed(2)} CPU s/hour = ${((perHourS / 3600) * 100).toFixed(3)} % of one core (reflector side)`,
);
