/**
 * Runs a short-lived command (nvidia-smi -q -x, ethtool) to completion, with a hard time limit; and
 * stops a long-lived one.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export type RunResult =
  | { kind: 'done'; code: number | null; stdout: string; stderr: string }
  | { kind: 'missing'; code: string }
  | { kind: 'timeout' };

/** Runs a short command, collecting its output, with a hard time limit. */
export function runOnce(
  path: string,
  args: readonly string[],
  timeoutMs: number,
  env?: NodeJS.ProcessEnv,
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    let stdout = '';
    let stderr = '';
    let settled = false;
    const done = (r: RunResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done({ kind: 'timeout' });
    }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err: NodeJS.ErrnoException) => done({ kind: 'missing', code: err.code ?? 'spawn error' }));
    child.on('close', (code) => done({ kind: 'done', code, stdout, stderr }));
  });
}

/**
 * Stops a long-lived child (a streaming nvidia-smi): SIGTERM, then SIGKILL if it has not exited after
 * `graceMs`; resolves once it has exited. A child that already exited resolves at once.
 */
export async function stopChild(child: ChildProcess | undefined, graceMs = 2000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), graceMs).unref();
  });
}
