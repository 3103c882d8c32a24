/**
 * The one way Meridian runs a Slurm command: execFile (no shell), one cluster chosen by
 * `SLURM_CONF`, a wall-clock limit after which the process is killed (SIGKILL: a client stuck on a
 * dead slurmctld ignores nothing else reliably), and a cap on what it may print. Errors name the
 * command, the cluster and Slurm's own words (bounded), never the environment.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';

export interface SlurmTarget {
  /** The cluster's name, for error messages. */
  readonly cluster: string;
  /** Path to the cluster's slurm.conf (becomes SLURM_CONF). */
  readonly conf: string;
  /** Directory of the Slurm client binaries; default: PATH. */
  readonly binDir?: string;
}

export interface RunOptions {
  /** Kill the command after this long (default 10 s). */
  readonly timeoutMs?: number;
  /** Most bytes of stdout kept (default 64 MiB; more kills the command). */
  readonly maxBytes?: number;
}

export class SlurmCommandError extends Error {
  constructor(
    message: string,
    /** Slurm's stderr, bounded. */
    readonly stderr: string,
    readonly timedOut: boolean,
  ) {
    super(message);
    this.name = 'SlurmCommandError';
  }
}

const STDERR_KEEP = 400;

/** Runs `bin args…` against one cluster; resolves to stdout. */
export function runSlurm(
  target: SlurmTarget,
  bin: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<string> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const file = target.binDir ? path.join(target.binDir, bin) : bin;
  return new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      {
        env: { ...process.env, SLURM_CONF: target.conf },
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: opts.maxBytes ?? 64 * 1024 * 1024,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        if (!err) {
          resolve(stdout);
          return;
        }
        const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: unknown };
        const said = (stderr || '').trim().slice(0, STDERR_KEEP);
        const timedOut = e.killed === true && e.code !== 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER';
        const why =
          e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER'
            ? `printed more than ${opts.maxBytes ?? 64 * 1024 * 1024} bytes`
            : timedOut
              ? `did not answer within ${timeoutMs} ms (killed)`
              : e.code === 'ENOENT'
                ? `is not installed (${file} not found)`
                : `failed${typeof e.code === 'number' ? ` (exit ${e.code})` : ''}${said ? `: ${said}` : ''}`;
        reject(new SlurmCommandError(`${bin} ${args[0] ?? ''} on cluster ${target.cluster} ${why}`, said, timedOut));
      },
    );
  });
}
