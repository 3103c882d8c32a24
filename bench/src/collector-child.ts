/** Talking to the child processes the collector benches start. */
import type { ChildProcess } from 'node:child_process';

/** Resolves with the first match of `re` in what `proc` writes to `stream` (the whole match). */
export function waitForLine(
  proc: ChildProcess,
  stream: 'stdout' | 'stderr',
  re: RegExp,
  timeoutMs = 30_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${re} (got: ${buf.slice(-500)})`)), timeoutMs);
    proc[stream]!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = re.exec(buf);
      if (m) {
        clearTimeout(t);
        resolve(m[0]);
      }
    });
  });
}
