/**
 * bench:collector's command line, read in one place so that the processes it starts and the report
 * it prints see the same settings (see collector.ts for what each comparison measures). The flags
 * take the word after them; a number that does not parse becomes NaN, as it always has.
 */

/** A same-window collector with other node flags and environment words (`--variant`). */
export interface CollectorVariant {
  flags: string[];
  env: Record<string, string>;
}

export interface CollectorBenchArgs {
  /** `--seconds N`: the measured window. */
  seconds: number;
  /**
   * `--warmup N`. A collector does little work per second, so V8 keeps optimising its functions
   * for minutes (about 100 TurboFan jobs in the first minute, still a few per 10 s after three).
   * The measured window starts after this warm-up; the CPU spent before it is reported on its own
   * line as a one-off start-up cost, so nothing is left out.
   */
  warmupS: number;
  /** `--no-gpu`, `--no-host`, `--no-stamp`, `--no-deployed-node-options`: a part switched off. */
  off: (part: string) => boolean;
  /** Probes per second per peer of the measured collector (`--stamp-rate`); 0 with --no-stamp. */
  stampRate: number;
  /**
   * `--stamp-interval MS`: a prober's report interval, one link row per peer each. Default 60 000,
   * as deploy/collector.yaml sets it; every interval's rows are one more batch through the spool
   * and the sink, so at 10 000 a prober also pays for six times the link batches.
   */
  stampIntervalMs: number;
  /**
   * `--sweep 0,1,5`: for each rate, another collector probing its 8 peers at that rate (0: no STAMP)
   * and a bare sender at that rate, all in the same window as the measured collector, so that the
   * CPU per probe can be read off as a slope without the load moving between runs.
   */
  sweepRates: readonly number[];
  /** As the systemd unit and the DaemonSet run it (see deploy/): a 1 MB young generation. */
  deployedNodeOptions: string;
  /**
   * `--variant "FLAGS"` (repeatable): another collector in the same window with these node
   * command-line flags added (NODE_OPTIONS as deployed), e.g.
   * `--variant "--single-threaded-gc"`. Words of the form NAME=VALUE are set in that collector's
   * environment instead (`--variant "MALLOC_ARENA_MAX=2"`). An empty string runs a second deployed
   * collector: the noise.
   */
  variants: readonly CollectorVariant[];
  /**
   * `--against DIR` (repeatable): another collector in the same window that loads
   * `@meridian/collector` from DIR, a copy of another build's collector/dist (see
   * collector-against.ts), for a before and after of a code change in one run. Copy the build
   * before changing the code: `cp -r collector/dist /tmp/before`. With `--no-stamp --sweep R` it
   * probes at the highest R, and the report sets its prober cost beside this build's.
   */
  againstFlags: readonly string[][];
  /** `--profile DIR`: the measured collector writes a V8 CPU profile there. */
  profileArgs: string[];
  /** `--floors`: the bare sender's other shapes beside the collector's. */
  floors: boolean;
  /**
   * `--attribution`: GPU → workload attribution, before and after in one window. The measured
   * collector runs without it (as always, so its figures stay comparable); two more collectors run
   * beside it with it on: one reading the GPU processes (`nvidia-smi --query-compute-apps` every
   * 30 s, then /proc/PID/cgroup), one asking a simulated kubelet's PodResources socket every 10 s.
   */
  attribution: boolean;
}

/** The hook `--against` loads into a collector (collector-against.ts, built beside this file). */
export const AGAINST_HOOK = new URL('./collector-against.js', import.meta.url).href;

/** Reads bench:collector's flags from argv (process.argv: the flags are looked for after index 0). */
export function parseCollectorArgs(argv: readonly string[]): CollectorBenchArgs {
  const secondsArg = argv.indexOf('--seconds');
  const warmupArg = argv.indexOf('--warmup');
  const off = (part: string): boolean => argv.includes(`--no-${part}`);
  const rateArg = argv.indexOf('--stamp-rate');
  const intervalArg = argv.indexOf('--stamp-interval');
  const sweepArg = argv.indexOf('--sweep');
  const profileArg = argv.indexOf('--profile');
  return {
    seconds: secondsArg > 0 ? Number(argv[secondsArg + 1]) : 60,
    warmupS: warmupArg > 0 ? Number(argv[warmupArg + 1]) : 60,
    off,
    stampRate: off('stamp') ? 0 : rateArg > 0 ? Number(argv[rateArg + 1]) : 10,
    stampIntervalMs: intervalArg > 0 ? Number(argv[intervalArg + 1]) : 60_000,
    sweepRates:
      sweepArg > 0
        ? (argv[sweepArg + 1] ?? '')
            .split(',')
            .map(Number)
            .filter((r) => r >= 0)
        : [],
    deployedNodeOptions: off('deployed-node-options') ? '' : '--max-semi-space-size=1',
    variants: argv.flatMap((a, i) => {
      if (a !== '--variant') return [];
      const words = (argv[i + 1] ?? '').split(' ').filter((f) => f !== '');
      const isEnv = (w: string) => /^[A-Z_][A-Z0-9_]*=/.test(w);
      const env = Object.fromEntries(
        words.filter(isEnv).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]),
      );
      return [{ flags: words.filter((w) => !isEnv(w)), env }];
    }),
    againstFlags: argv.flatMap((a, i) =>
      a === '--against' ? [['--import', `${AGAINST_HOOK}?dir=${argv[i + 1] ?? ''}`]] : [],
    ),
    // As before the split: a missing DIR is passed on as it is and node reports it.
    profileArgs: profileArg > 0 ? ['--cpu-prof', '--cpu-prof-dir', argv[profileArg + 1] as string] : [],
    floors: argv.includes('--floors'),
    attribution: argv.includes('--attribution'),
  };
}
