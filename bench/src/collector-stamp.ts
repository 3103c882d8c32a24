/**
 * bench:collector's STAMP part on its own: the Session-Sender in a process of its own, probing 8
 * reflectors at 10/s, beside a bare node:dgram sender (connected sockets, one timer, no callback:
 * the cheapest shape bench:collector --floors found) probing 8 other reflectors at the same rate,
 * both measured over the same window. The difference is what the Session-Sender adds to the
 * floor: timestamps, matching, statistics and the garbage they make. Side by side, the two see
 * the same load, which the whole-collector bench's separate runs do not.
 *
 * --semi N runs the sender a second time with --max-semi-space-size=N (the deploy files set 1),
 * to show what the garbage costs. --against DIR adds a sender built elsewhere (a directory holding
 * another build's collector/dist/stamp), for a before/after in the same run.
 *
 * Usage: npx tsc -b && node bench/dist/collector-stamp.js [--seconds 90] [--warmup 40] [--semi 8] [--against DIR]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitForLine } from './collector-child.js';
import { readProc } from './collector-proc.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const stampDist = `${repo}collector/dist/stamp/index.js`;
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const SECONDS = Number(arg('seconds') ?? 90);
const WARMUP_S = Number(arg('warmup') ?? 40);
const PEERS = 8;
const RATE = 10;
const DEPLOYED = '--max-semi-space-size=1';

interface Contender {
  readonly label: string;
  /** The StampSender module to load; none runs the bare node:dgram floor. */
  readonly module?: string;
  readonly nodeArgs: readonly string[];
}

const contenders: Contender[] = [
  { label: `StampSender (this build), ${DEPLOYED}`, module: stampDist, nodeArgs: [DEPLOYED] },
  { label: `floor: bare node:dgram, ${DEPLOYED}`, nodeArgs: [DEPLOYED] },
];
const semi = arg('semi');
if (semi)
  contenders.push({
    label: `StampSender (this build), --max-semi-space-size=${semi}`,
    module: stampDist,
    nodeArgs: [`--max-semi-space-size=${semi}`],
  });
const against = arg('against');
if (against)
  contenders.push({
    label: `StampSender (--against build), ${DEPLOYED}`,
    module: `${against}/index.js`,
    nodeArgs: [DEPLOYED],
  });

function run(script: string, nodeArgs: readonly string[] = []): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, '--input-type=module', '-e', script], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** What each contender runs: it prints `DONE <probes> <replies>` on SIGTERM. */
function script(c: Contender, ports: readonly number[]): string {
  const done = `process.on('SIGTERM', () => { console.log('DONE ' + sent() + ' ' + replies()); process.exit(0); });`;
  if (c.module)
    return `
      import { StampSender } from ${JSON.stringify(c.module)};
      const s = new StampSender({ host: 'bench', region: 'eu-west', rate: ${RATE}, intervalMs: 10000,
        peers: ${JSON.stringify(ports)}.map((port, i) => ({ address: '127.0.0.1', port, region: 'peer-' + i })) }, { onReport: () => {} });
      await s.start();
      const sum = (k) => s.stats().peers.reduce((n, p) => n + p[k], 0);
      const sent = () => sum('probesSent'), replies = () => sum('repliesReceived');
      ${done}`;
  return `
    import { createSocket } from 'node:dgram';
    const sockets = [];
    let probes = 0, answers = 0;
    for (const port of ${JSON.stringify(ports)}) {
      const s = createSocket('udp4');
      s.on('message', () => answers++);
      await new Promise((r) => s.connect(port, '127.0.0.1', r));
      sockets.push(s);
    }
    const packet = Buffer.alloc(44);
    packet.writeUInt16BE(0x0001, 12); // Error Estimate: multiplier 1 (0 marks a corrupt packet)
    setInterval(() => { for (const s of sockets) { packet.writeUInt32BE(probes++ >>> 0, 0); s.send(packet); } }, ${1000 / RATE});
    const sent = () => probes, replies = () => answers;
    ${done}`;
}

const reflectors = run(`
  import { StampReflector } from ${JSON.stringify(stampDist)};
  const ports = [];
  for (let i = 0; i < ${PEERS * contenders.length}; i++) {
    const r = new StampReflector({ address: '127.0.0.1', port: 0, ratePerSource: 1000, burstPerSource: 1000 });
    ports.push((await r.start()).port);
  }
  console.log('PORTS ' + JSON.stringify(ports));`);
const portsLine = await waitForLine(reflectors, 'stdout', /PORTS (\[.*\])/);
const ports = JSON.parse(portsLine.slice('PORTS '.length)) as number[];
const procs = contenders.map((c, k) => run(script(c, ports.slice(k * PEERS, (k + 1) * PEERS)), c.nodeArgs));
console.log(
  `bench:collector-stamp: ${contenders.length} senders side by side, ${PEERS} peers × ${RATE}/s each; warming up ${WARMUP_S} s, then measuring ${SECONDS} s`,
);
await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
const cpu = (p: ChildProcess): number => readProc(p.pid!)?.self ?? NaN;
const before = procs.map(cpu);
const t0 = process.hrtime.bigint();
await new Promise((r) => setTimeout(r, SECONDS * 1000));
const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
const used = procs.map((p, i) => cpu(p) - before[i]!);
const done = procs.map((p) => waitForLine(p, 'stdout', /DONE \d+ \d+/));
for (const p of procs) p.kill('SIGTERM');
const counts = await Promise.all(done);
reflectors.kill('SIGTERM');
console.log(
  `measured over ${wallS.toFixed(1)} s (CPU seconds per hour, share of one core; probes sent / replies over the whole run)`,
);
for (const [i, c] of contenders.entries()) {
  const [, sent, replies] = counts[i]!.split(' ');
  console.log(
    `${c.label.padEnd(62)} ${((used[i]! / wallS) * 3600).toFixed(1).padStart(7)} s/h ${((used[i]! / wallS) * 100).toFixed(3).padStart(7)} %  ${sent}/${replies}`,
  );
}
