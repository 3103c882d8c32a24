/**
 * Installing Debian's packages for the parts that need a real program (Chromium for the browser
 * tests, Slurm and munge for the Slurm tests and bench), so `npm test` on a fresh Debian machine
 * needs only the README's commands. Written once here because the rule is the same for each: install
 * only as root where apt-get exists; anywhere else, fail with the exact command for the user to run.
 */
import { execFileSync } from 'node:child_process';

/** Whether `cmd` is a program on $PATH (a shell builtin lookup, so nothing is run). */
export function onPath(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface DebianInstall {
  /** Debian package names. */
  readonly packages: readonly string[];
  /** What the user was trying to run, for the messages ("browser tests", "slurm"). */
  readonly purpose: string;
  /** Why the install is needed, shown first in the error when we may not install ("Chromium not found …"). */
  readonly missing: string;
  /** Run `apt-get update` before the first install (true), or only after an install fails (false). */
  readonly updateFirst?: boolean;
  /** Install the packages' Recommends too (Chromium's fonts); the default leaves them out. */
  readonly recommends?: boolean;
  /** Defaults to whether this process is root. */
  readonly root?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  readonly log?: (line: string) => void;
}

/** The command a non-root user should run instead. */
export function aptInstallCommand(packages: readonly string[], recommends = false): string {
  return `sudo apt-get update && sudo apt-get install -y ${recommends ? '' : '--no-install-recommends '}${packages.join(' ')}`;
}

/**
 * Installs `packages` with apt-get, or throws naming what is missing and the command to run when this
 * process is not root or the machine has no apt-get. Progress goes to `log` because an install takes
 * minutes and a silent test run looks hung.
 */
export function installDebianPackages(req: DebianInstall): void {
  const log = req.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const root = req.root ?? (typeof process.getuid === 'function' && process.getuid() === 0);
  if (!root || !onPath('apt-get'))
    throw new Error(`${req.missing}. Run: ${aptInstallCommand(req.packages, req.recommends)}`);
  const env = { ...(req.env ?? process.env), DEBIAN_FRONTEND: 'noninteractive' };
  const quiet = { stdio: ['ignore', 'ignore', 'inherit'] as ['ignore', 'ignore', 'inherit'], env };
  const update = () => execFileSync('apt-get', ['update', '-qq'], quiet);
  const flags = req.recommends ? [] : ['--no-install-recommends'];
  const install = () => execFileSync('apt-get', ['install', '-y', '-qq', ...flags, ...req.packages], quiet);
  log(`${req.purpose}: ${req.missing}; installing Debian's ${req.packages.join(' ')} (a few minutes)…`);
  if (req.updateFirst) {
    update();
    install();
  } else {
    try {
      install();
    } catch {
      // A fresh machine's package lists may be empty or old: update once, then try again.
      update();
      install();
    }
  }
  log(`${req.purpose}: installed ${req.packages.join(' ')}`);
}
