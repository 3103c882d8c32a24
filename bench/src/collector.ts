/**
 * bench:collector — the collector as a whole process, at 1 Hz, for at least a minute:
 * 8 GPUs through the SIMULATED nvidia-smi (test/fake-nvidia-smi, one long-lived -lms stream),
 * 8 STAMP link peers (reflectors on loopback, 10 probes/s each as perfSONAR's default), and host
 * metrics every second, writing to a SIMULATED ClickHouse HTTP endpoint (no server here).
 *
 * Yardstick, in the same run: a "simple exporter" that spawns nvidia-smi once per sample with the
 * same query, the way many exporters do. Both run side by side for the same wall time.
 *
 * Floors, in the same window: an idle Node process and a bare node:dgram sender at the same probe
 * rate. Same-window comparisons: --sweep RATES (collectors and bare senders at other STAMP rates,
 * with a fitted CPU = base + k per probe), --variant FLAGS (other node flags), --against DIR
 * (another build's collector/dist).
 *
 * Prints CPU time per hour (and % of one core) and peak RSS. Targets: <= 0.5 % of one core,
 * <= 80 MB RSS. A prober's STAMP sender runs in a process of its own: its CPU is the agent's.
 * Usage: npm run bench:collector [-- --seconds 60 --warmup 60 --floors --sweep 0,1,5 --stamp-interval 60000]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGAINST_HOOK, parseCollectorArgs } from './collector-args.js';
import { attributionConfig, attributionFixture, type AttributionFixture } from './collector-attribution.js';
import { startClickHouseStandIn, type StandIn } from './collector-clickhouse-standin.js';
import { printReport, type Measured, type Usage } from './collector-report.js';
import { waitForLine } from './collector-child.js';
import {
  descendants,
  helperPeakRss,
  isAgentHelper,
  peakRss,
  readAgentProc,
  readProc,
  rssSplit,
} from './collector-proc.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const fakeSmi = join(repo, 'test/fake-nvidia-smi/nvidia-smi');
const GPUS = 8;
/** Reflectors (and peers of a collector that probes). */
const PEERS = 8;
/** The command line, read once (collector-args.ts). */
const cli = parseCollectorArgs(process.argv);
const { off } = cli;

/** Every process the bench starts, stopped if the bench itself fails half-way. */
const started: ChildProcess[] = [];
function spawnTracked(...args: Parameters<typeof spawn>): ChildProcess {
  const proc = spawn(...args);
  started.push(proc);
  return proc;
}
process.on('exit', () => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** 8 STAMP reflectors in a process of their own, so their work is not counted as the collector's. */
async function startReflectors(): Promise<{ proc: ChildProcess; ports: number[] }> {
  const script = `
    import { StampReflector } from '@meridian/collector';
    const ports = [];
    for (let i = 0; i < ${PEERS}; i++) {
      const r = new StampReflector({ address: '127.0.0.1', port: 0, ratePerSource: 1000, burstPerSource: 1000 });
      ports.push((await r.start()).port);
    }
    console.log('PORTS ' + JSON.stringify(ports));`;
  const proc = spawnTracked(process.execPath, ['--input-type=module', '-e', script], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await waitForLine(proc, 'stdout', /PORTS (\[.*\])/);
  return { proc, ports: JSON.parse(line.slice('PORTS '.length)) as number[] };
}

/** The machine's floor: a Node process that only wakes once a second (shared machines are noisy). */
function startIdleNode(): ChildProcess {
  return spawnTracked(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
    stdio: 'ignore',
    env: { ...process.env, NODE_OPTIONS: cli.deployedNodeOptions },
  });
}

/** How a bare sender sends; the default is how the collector's Session-Sender sends. */
interface BareUdpShape {
  /** connect() once per peer, then send(buf); otherwise send(buf, port, address) on one socket. */
  connected: boolean;
  /** One timer for all peers per tick; otherwise one timer per peer. */
  oneTimer: boolean;
  /** A completion callback on every send (it costs a process.nextTick per send). */
  callback: boolean;
}
const COLLECTOR_SHAPE: BareUdpShape = { connected: true, oneTimer: true, callback: false };

/**
 * The floor STAMP cannot go below in Node: a bare node:dgram sender that sends the same number of
 * well-formed 44-octet probes to the same reflectors (one reused buffer, no timestamps, no
 * bookkeeping) and only counts the replies. On loopback each send also pays the reflector's
 * receive path in the kernel, as the collector's sends do. `--floors` adds the other shapes, to
 * show what connecting and batching are worth.
 */
function startBareUdp(
  ports: readonly number[],
  shape: BareUdpShape = COLLECTOR_SHAPE,
  rate = cli.stampRate,
): ChildProcess {
  const script = `
    import { createSocket } from 'node:dgram';
    const shape = ${JSON.stringify(shape)};
    const ports = ${JSON.stringify(ports)};
    let replies = 0;
    let seq = 0;
    const packet = Buffer.alloc(44);
    packet.writeUInt16BE(0x0001, 12); // Error Estimate: multiplier 1 (0 marks a corrupt packet)
    const afterSend = () => {};
    const sends = [];
    const shared = shape.connected ? undefined : createSocket('udp4');
    if (shared) {
      shared.on('message', () => replies++);
      shared.on('error', () => {});
      await new Promise((r) => shared.bind(0, '127.0.0.1', r));
    }
    for (const port of ports) {
      if (shared) {
        sends.push(shape.callback ? () => shared.send(packet, port, '127.0.0.1', afterSend) : () => shared.send(packet, port, '127.0.0.1'));
        continue;
      }
      const s = createSocket('udp4');
      s.on('message', () => replies++);
      s.on('error', () => {});
      await new Promise((r) => s.connect(port, '127.0.0.1', r));
      sends.push(shape.callback ? () => s.send(packet, afterSend) : () => s.send(packet));
    }
    const sendOne = (send) => {
      packet.writeUInt32BE(seq++ >>> 0, 0);
      send();
    };
    if (shape.oneTimer) setInterval(() => { for (const send of sends) sendOne(send); }, ${1000 / rate});
    else for (const send of sends) setInterval(() => sendOne(send), ${1000 / rate});
    process.on('SIGTERM', () => { console.log('REPLIES ' + replies); process.exit(0); });`;
  return spawnTracked(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, NODE_OPTIONS: cli.deployedNodeOptions },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** The other shapes `--floors` measures beside the collector's, with their labels. */
const FLOOR_VARIANTS: readonly { label: string; shape: BareUdpShape }[] = [
  { label: 'unconnected, one timer', shape: { connected: false, oneTimer: true, callback: false } },
  { label: 'connected, one timer per peer', shape: { connected: true, oneTimer: false, callback: false } },
  { label: 'connected, one timer, callback per send', shape: { connected: true, oneTimer: true, callback: true } },
  { label: 'unconnected, timer per peer, callback', shape: { connected: false, oneTimer: false, callback: true } },
];

/** The yardstick: spawn nvidia-smi once per second with the collector's own query, parse, repeat. */
function startBaseline(queryArgs: string[]): ChildProcess {
  const script = `
    import { execFile } from 'node:child_process';
    const args = ${JSON.stringify(queryArgs)};
    let rows = 0;
    setInterval(() => execFile(${JSON.stringify(fakeSmi)}, args, (err, out) => {
      if (err) return;
      for (const line of out.trim().split('\\n')) rows += line.split(', ').map(Number).length > 0 ? 1 : 0;
    }), 1000);
    process.on('SIGTERM', () => { console.log('ROWS ' + rows); process.exit(0); });`;
  return spawnTracked(process.execPath, ['--input-type=module', '-e', script], {
    cwd: repo,
    env: { ...process.env, FAKE_NVIDIA_SMI_GPUS: String(GPUS) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

function usageBetween(
  pid: number,
  start: { self: number; reaped: number },
  includeReaped: boolean,
  read: typeof readProc = readProc,
): Usage {
  const end = read(pid)!;
  const cpuS = end.self - start.self + (includeReaped ? end.reapedChildren - start.reaped : 0);
  return { cpuS, peakRssMb: (peakRss(pid) ?? 0) / 1048576 };
}

/** collector.yaml for one bench collector: its own spool, the shared stand-in and reflectors. */
function writeConfig(
  dir: string,
  clickhouse: string,
  ports: readonly number[],
  rate = cli.stampRate,
  attribution: { mode: 'off' | 'processes' | 'kubernetes'; fixture?: AttributionFixture } = { mode: 'off' },
): string {
  const config = join(dir, 'collector.yaml');
  writeFileSync(
    config,
    [
      'collector: { region: eu-west, host: bench-node, id: bench-node }',
      `store: { clickhouse: "${clickhouse}" }`,
      'pipeline: { flushIntervalMs: 10000 }',
      `spool: { dir: ${join(dir, 'spool')}, fsync: always }`,
      'sources:',
      `  nvidiaSmi: { enabled: ${!off('gpu')}, command: ${fakeSmi}, intervalMs: 1000 }`,
      `  host: { enabled: ${!off('host')}, intervalMs: 1000 }`,
      '  nic: { enabled: false }',
      'stamp:',
      '  sender:',
      `    rate: ${rate || 1}`,
      `    intervalMs: ${cli.stampIntervalMs}`,
      // Peers are given here; a collector without them is one the roster did not elect (it reads no
      // roster from the stand-in store, which answers no SELECT).
      '    roster: { enabled: false }',
      `    peers: ${rate > 0 ? '' : '[]'}`,
      ...(rate > 0 ? ports : []).map((p, i) => `      - { address: 127.0.0.1, port: ${p}, region: peer-${i} }`),
      // Every collector runs the reflector (a prober's far end); idle here, as on most hosts.
      '  reflector: { address: 127.0.0.1, port: 0 }',
      ...attributionConfig(attribution.mode, attribution.fixture),
      'telemetry: { listen: "127.0.0.1:0" }',
    ].join('\n'),
  );
  return config;
}

/** How a same-window collector is named in the report: its environment words, then its node flags. */
function variantLabel(flags: readonly string[], env: Record<string, string>): string {
  const words = [
    ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
    'node',
    flags.join(' ').replace(`--import ${AGAINST_HOOK}?dir=`, 'against '),
  ].filter((w) => w !== '');
  return words.length > 1 ? words.join(' ') : 'node (the deployed flags again)';
}

function startCollector(
  nodeFlags: readonly string[],
  config: string,
  smiLog: string,
  env: Record<string, string> = {},
): ChildProcess {
  return spawnTracked(process.execPath, [...nodeFlags, join(repo, 'cli/dist/main.js'), 'collect', '--config', config], {
    cwd: repo,
    env: {
      ...process.env,
      FAKE_NVIDIA_SMI_GPUS: String(GPUS),
      FAKE_NVIDIA_SMI_LOG: smiLog,
      OTEL_SDK_DISABLED: 'true',
      NODE_OPTIONS: cli.deployedNodeOptions,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** A same-window collector: a --variant, an --against build, or a --sweep rate. */
interface VariantCollector {
  label: string;
  attribution?: { mode: 'processes' | 'kubernetes'; fixture: AttributionFixture };
  flags: string[];
  env: Record<string, string>;
  rate: number;
  fromSweep: boolean;
  /** An --against build probing beside a measured collector that does not (see startContenders). */
  againstProber?: boolean;
  proc: ChildProcess;
}

/** A bare sender beside the collector: another --floors shape or a --sweep rate. */
interface FloorSender {
  label: string;
  rate: number | undefined;
  proc: ChildProcess;
}

/** Every process of one run, started before the warm-up so that all of them share the same load. */
interface Contenders {
  dir: string;
  ch: StandIn;
  reflectors: { proc: ChildProcess; ports: number[] };
  collector: ChildProcess;
  /** What the measured collector wrote to stderr so far (printed when it reports a failure). */
  collectorLog: () => string;
  variantCollectors: VariantCollector[];
  baseline: ChildProcess;
  idle: ChildProcess;
  bare: ChildProcess | undefined;
  variants: FloorSender[];
}

/** Starts the collector, its same-window variants, the yardstick and the floors; waits for each to run. */
async function startContenders(): Promise<Contenders> {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-bench-collector-'));
  const ch = await startClickHouseStandIn();
  const reflectors = await startReflectors();
  const smiLog = join(dir, 'nvidia-smi.log');
  const config = writeConfig(dir, ch.url, reflectors.ports);
  const attrib = cli.attribution
    ? attributionFixture(dir, GPUS, [reflectors.proc.pid!, process.pid], (script) =>
        spawnTracked(process.execPath, ['--input-type=module', '-e', script], {
          cwd: repo,
          stdio: ['ignore', 'pipe', 'inherit'],
        }),
      )
    : undefined;
  if (attrib) await waitForLine(attrib.kubelet, 'stdout', /KUBELET ready/);
  const collector = startCollector(cli.profileArgs, config, smiLog);
  let collectorLog = '';
  collector.stderr!.on('data', (d: Buffer) => (collectorLog += d.toString()));
  await waitForLine(collector, 'stderr', /meridian collector bench-node/);
  // Same-run comparisons: each --variant is another whole collector with its own spool and
  // simulated nvidia-smi, probing the same reflectors, so that it sees the same load.
  const specs: Omit<VariantCollector, 'proc'>[] = [
    ...cli.variants.map(({ flags, env }) => ({
      label: variantLabel(flags, env),
      flags,
      env,
      rate: cli.stampRate,
      fromSweep: false,
    })),
    // An --against build probes as the measured collector does; beside a measured non-prober
    // (--no-stamp) it probes at the highest --sweep rate, so that one window gives both builds'
    // prober cost over the same non-prober and bare sender.
    ...cli.againstFlags.map((flags) => {
      const rate = cli.stampRate > 0 ? cli.stampRate : Math.max(0, ...cli.sweepRates);
      return {
        label: `${variantLabel(flags, {})}${rate !== cli.stampRate ? ` (STAMP at ${rate}/s per peer)` : ''}`,
        flags,
        env: {},
        rate,
        fromSweep: false,
        againstProber: rate !== cli.stampRate,
      };
    }),
    ...cli.sweepRates.map((rate) => ({
      label: rate > 0 ? `STAMP at ${rate}/s per peer (${PEERS * rate} probes/s)` : 'without STAMP',
      flags: [],
      env: {},
      rate,
      fromSweep: true,
    })),
    // --attribution: the same collector with attribution on, through each path (the measured one has it off).
    ...(attrib
      ? (['processes', 'kubernetes'] as const).map((mode) => ({
          label: `with attribution (${mode === 'processes' ? 'GPU processes: one nvidia-smi --query-compute-apps -lms 30000 stream + /proc' : 'kubelet PodResources List every 10 s'})`,
          flags: [],
          env: mode === 'processes' ? { FAKE_NVIDIA_SMI_APPS: attrib.fixture.appsFile } : {},
          rate: cli.stampRate,
          fromSweep: false,
          attribution: { mode, fixture: attrib.fixture },
        }))
      : []),
  ];
  const variantCollectors: VariantCollector[] = await Promise.all(
    specs.map(async (spec, i) => {
      const vdir = join(dir, `variant-${i}`);
      mkdirSync(vdir);
      const config = writeConfig(vdir, ch.url, reflectors.ports, spec.rate, spec.attribution);
      const proc = startCollector(spec.flags, config, join(vdir, 'nvidia-smi.log'), spec.env);
      await waitForLine(proc, 'stderr', /meridian collector bench-node/);
      return { ...spec, proc };
    }),
  );
  await sleep(2000);
  const streamArgs = (off('gpu') ? '' : readFileSync(smiLog, 'utf8'))
    .split('\n')
    .find((l) => l.includes('-lms'))
    ?.split(' ')
    .slice(2);
  if (!streamArgs && !off('gpu')) throw new Error(`the collector did not start nvidia-smi -lms:\n${collectorLog}`);
  const lms = streamArgs?.indexOf('-lms') ?? -1;
  const oneShotArgs = (streamArgs ?? ['--query-gpu=index,uuid,power.draw', '--format=csv,noheader,nounits']).filter(
    (_, i) => i !== lms && i !== lms + 1,
  );
  const baseline = startBaseline(oneShotArgs);
  const idle = startIdleNode();
  const bare = cli.stampRate > 0 ? startBareUdp(reflectors.ports) : undefined;
  const variants: FloorSender[] = [
    ...(cli.stampRate > 0 && cli.floors ? FLOOR_VARIANTS : []).map((v) => ({
      label: `  the same, ${v.label}`,
      rate: undefined,
      proc: startBareUdp(reflectors.ports, v.shape),
    })),
    ...cli.sweepRates
      .filter((r) => r > 0)
      .map((rate) => ({
        label: `floor: bare node:dgram at ${rate}/s per peer (${PEERS * rate} probes/s)`,
        rate,
        proc: startBareUdp(reflectors.ports, COLLECTOR_SHAPE, rate),
      })),
  ];

  return {
    dir,
    ch,
    reflectors,
    collector,
    collectorLog: () => collectorLog,
    variantCollectors,
    baseline,
    idle,
    bare,
    variants,
  };
}

/**
 * Warms up, then reads every process's CPU and memory at the start and the end of the same
 * window; stops them all (each is read before it is stopped) and the stand-ins after them.
 */
async function measure(contenders: Contenders): Promise<Measured> {
  const { ch, reflectors, collector, variantCollectors, baseline, idle, bare, variants } = contenders;
  console.log(
    `bench:collector: warming up ${cli.warmupS} s, then measuring ${cli.seconds} s ` +
      `(${off('gpu') ? 0 : GPUS} GPUs at 1 Hz, ${cli.stampRate > 0 ? PEERS : 0} STAMP peers at ${cli.stampRate}/s, ` +
      `a link row per peer every ${cli.stampIntervalMs / 1000} s where probing, host ${off('host') ? 'off' : 'at 1 Hz'}; ` +
      `collector NODE_OPTIONS="${cli.deployedNodeOptions}")`,
  );
  await sleep(cli.warmupS * 1000);
  const cpid = collector.pid!;
  const bpid = baseline.pid!;
  // The collector's simulated nvidia-smi is counted on its own line; its STAMP sender process is
  // the collector's own work and is counted with it (readAgentProc).
  const smiPids = descendants(cpid).filter((p) => !isAgentHelper(p));
  const c0 = readAgentProc(cpid)!;
  const vc0 = variantCollectors.map((v) => readAgentProc(v.proc.pid!)!);
  const b0 = readProc(bpid)!;
  const i0 = readProc(idle.pid!)!;
  const u0 = bare ? readProc(bare.pid!) : undefined;
  const v0 = variants.map((v) => readProc(v.proc.pid!)?.self ?? 0);
  const s0 = smiPids.map((p) => readProc(p)?.self ?? 0);
  const t0 = process.hrtime.bigint();
  const rows0 = new Map(ch.rows);
  await sleep(cli.seconds * 1000);
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;

  const c = usageBetween(cpid, { self: c0.self, reaped: c0.reapedChildren }, false, readAgentProc);
  const cHelperRssMb = helperPeakRss(cpid) / 1048576;
  const variantResults = variantCollectors.map((v, i) => {
    const end = readAgentProc(v.proc.pid!)!;
    return {
      label: v.label,
      rate: v.fromSweep ? v.rate : undefined,
      proberRate: v.againstProber ? v.rate : undefined,
      cpuS: end.self - vc0[i]!.self,
      sysS: end.sys - vc0[i]!.sys,
      childS: end.reapedChildren - vc0[i]!.reapedChildren,
      rssMb: (peakRss(v.proc.pid!) ?? 0) / 1048576,
      helperRssMb: helperPeakRss(v.proc.pid!) / 1048576,
      split: rssSplit(v.proc.pid!),
    };
  });
  const cSys = readAgentProc(cpid)!.sys - c0.sys;
  const cSplit = rssSplit(cpid);
  const startupS = c0.self; // everything the collector spent from spawn to the measured window
  const smiCpu = smiPids.reduce((sum, p, i) => sum + ((readProc(p)?.self ?? s0[i]!) - s0[i]!), 0);
  const smiRss = smiPids.map((p) => (peakRss(p) ?? 0) / 1048576).reduce((a, b) => Math.max(a, b), 0);
  const b = usageBetween(bpid, { self: b0.self, reaped: b0.reapedChildren }, true);
  const bSelf = readProc(bpid)!.self - b0.self;
  const idleCpu = readProc(idle.pid!)!.self - i0.self;
  const idleRss = (peakRss(idle.pid!) ?? 0) / 1048576;
  idle.kill('SIGTERM');
  const bareCpu = bare && u0 ? readProc(bare.pid!)!.self - u0.self : undefined;
  const bareRss = bare ? (peakRss(bare.pid!) ?? 0) / 1048576 : undefined;
  bare?.kill('SIGTERM');
  const variantUsage = variants.map((v, i) => ({
    label: v.label,
    rate: v.rate,
    cpuS: (readProc(v.proc.pid!)?.self ?? v0[i]!) - v0[i]!,
    rssMb: (peakRss(v.proc.pid!) ?? 0) / 1048576,
  }));
  for (const v of variants) v.proc.kill('SIGTERM');
  const bareReplies = bare ? await waitForLine(bare, 'stdout', /REPLIES \d+/).catch(() => 'REPLIES ?') : undefined;

  collector.kill('SIGTERM');
  for (const v of variantCollectors) v.proc.kill('SIGTERM');
  baseline.kill('SIGTERM');
  const baselineRows = await waitForLine(baseline, 'stdout', /ROWS \d+/).catch(() => 'ROWS ?');
  await Promise.all(
    [collector, ...variantCollectors.map((v) => v.proc)].map((p) => new Promise((r) => p.once('exit', r))),
  );
  reflectors.proc.kill('SIGTERM');
  await ch.close();

  const gained = (t: string) => (ch.rows.get(t) ?? 0) - (rows0.get(t) ?? 0);
  return {
    wallS,
    c,
    cHelperRssMb,
    cSys,
    cSplit,
    startupS,
    variantResults,
    smiCpu,
    smiRss,
    b,
    bSelf,
    idleCpu,
    idleRss,
    bareCpu,
    bareRss,
    variantUsage,
    bareReplies,
    baselineRows,
    gained,
    collectorLog: contenders.collectorLog(),
  };
}

async function main(): Promise<void> {
  const contenders = await startContenders();
  printReport(await measure(contenders), { peers: PEERS, stampRate: cli.stampRate });
  rmSync(contenders.dir, { recursive: true, force: true });
}

await main();
