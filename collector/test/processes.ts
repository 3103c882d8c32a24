/**
 * For the collector tests that run the compiled agent, or a part of it, in processes of their own:
 * building it, and telling whether a process still runs.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Builds the collector (`tsc -b`, incremental: quick when fresh), so that child processes run the
 * compiled agent as production does. For a beforeAll with a timeout above 240 s.
 */
export function buildCollector(): void {
  execFileSync('npx', ['tsc', '-b', 'collector'], { cwd: repo, stdio: 'inherit', timeout: 240_000 });
}

/**
 * Whether a process runs. One that has exited is not running even before its parent reaps it (a
 * zombie): an orphan's new parent may never do so in a container.
 */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}
