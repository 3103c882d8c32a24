/** `meridian up`'s flags: commander registration and the parsers that name a bad value's flag. */
import { InvalidArgumentError, type Command } from 'commander';
import { parseDurationS } from '@meridian/sim';
import { runUpReal } from './up-real.js';
import { runUpSlurm } from './up-slurm.js';
import type { UpOptions } from './up-types.js';
import { httpFlags, tlsFrom, type HttpFlags } from './serve.js';
import { runUp } from './up.js';

export function registerUpCommand(program: Command): void {
  const cmd = program
    .command('up')
    .description(
      'Run the all-in-one: the fabric twin, the collector pipeline, the scheduler and its API, on the embedded store',
    )
    .option(
      '--scenario <name|file>',
      'shipped scenario (default, large, cooling-loss, link-degradation, link-cut, host-failure, arrival-surge, trace) or a YAML file',
      'default',
    )
    .option('--speed <n>', 'simulated seconds per wall second', parseSpeed, 1)
    .option('--duration <d>', 'stop by itself after this much wall time (e.g. 30s, 5m)', parseDurationOpt)
    .option('--data <dir>', 'embedded store directory (default $MERIDIAN_DATA or ./data)')
    .option('--clickhouse <url>', 'write to a ClickHouse server instead of the embedded store')
    .option('--seed <n>', "override the scenario's seed", parseSeed)
    .option('--port <n>', "the scheduler's HTTP API port on 127.0.0.1 (0: any free port)", parsePort, 8787)
    .option('--status-port <n>', 'the read-only status API port, with /healthz (default: --port + 1)', parsePort)
    .option('--real', 'run the real collector for this host instead of the twin', false)
    .option(
      '--slurm <config>',
      "drive real Slurm clusters (a YAML file: slurm.clusters, one per region) instead of the twin's workloads",
    );
  httpFlags(cmd).action(
    async (
      o: {
        scenario: string;
        speed: number;
        duration?: number;
        data?: string;
        clickhouse?: string;
        seed?: number;
        port: number;
        statusPort?: number;
        real: boolean;
        slurm?: string;
      } & HttpFlags,
    ) => {
      const tls = tlsFrom(o);
      const chosen: UpOptions = {
        scenario: o.scenario,
        speed: o.speed,
        ...(o.duration !== undefined ? { durationS: o.duration } : {}),
        ...(o.data ? { data: o.data } : {}),
        ...(o.clickhouse ? { clickhouse: o.clickhouse } : {}),
        ...(o.seed !== undefined ? { seed: o.seed } : {}),
        port: o.port,
        ...(o.statusPort !== undefined ? { statusPort: o.statusPort } : {}),
        real: o.real,
        ...(o.httpPort !== undefined ? { httpPort: o.httpPort } : {}),
        ...(tls ? { tls } : {}),
      };
      const io = { stdout: process.stdout, stderr: process.stderr };
      if (o.slurm && o.real) throw new InvalidArgumentError('--slurm and --real: choose one');
      if (o.slurm) await runUpSlurm(chosen, o.slurm, io);
      else if (o.real) await runUpReal(chosen, io);
      else await runUp(chosen, io);
    },
  );
}

function parseSpeed(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > 10000)
    throw new InvalidArgumentError('--speed must be a number above 0 and at most 10000');
  return n;
}
function parseDurationOpt(v: string): number {
  try {
    const s = parseDurationS(v, '--duration');
    if (s <= 0) throw new Error('--duration must be above 0');
    return s;
  } catch (err) {
    throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
  }
}
function parseSeed(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 2 ** 32 - 1)
    throw new InvalidArgumentError('--seed must be an integer 0..4294967295');
  return n;
}
function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('--port must be an integer 0..65535');
  return n;
}
