/**
 * Finds the Chromium the browser tests drive (playwright-core never downloads a browser here).
 * Order: $CHROMIUM_PATH, then the paths Debian, Ubuntu and Chrome installs use. When none exists and
 * we are root on a Debian-family machine, Debian's `chromium` package is installed, as `.ci/run` used
 * to do, so `npm test` on a fresh machine needs nothing but the README's commands; otherwise the
 * error says the exact command to run.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/lib/chromium/chromium',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/google-chrome',
];

export const INSTALL_COMMAND = 'sudo apt-get update && sudo apt-get install -y chromium';

export function locateChromium(
  env: NodeJS.ProcessEnv = process.env,
  candidates: readonly string[] = CANDIDATES,
): string | undefined {
  if (env.CHROMIUM_PATH) {
    if (!fs.existsSync(env.CHROMIUM_PATH))
      throw new Error(`CHROMIUM_PATH=${env.CHROMIUM_PATH} does not exist: fix the variable or unset it`);
    return env.CHROMIUM_PATH;
  }
  return candidates.find((p) => fs.existsSync(p));
}

function onPath(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface EnsureOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly candidates?: readonly string[];
  readonly root?: boolean;
  readonly log?: (line: string) => void;
}

/** The Chromium to launch, installing Debian's package first when that is possible and needed. */
export function ensureChromium(opts: EnsureOptions = {}): string {
  const env = opts.env ?? process.env;
  const candidates = opts.candidates ?? CANDIDATES;
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const found = locateChromium(env, candidates);
  if (found) return found;
  const root = opts.root ?? (typeof process.getuid === 'function' && process.getuid() === 0);
  if (!root || !onPath('apt-get'))
    throw new Error(
      `Chromium not found (looked at $CHROMIUM_PATH and ${candidates.join(', ')}). ` +
        `The browser tests need it. Run: ${INSTALL_COMMAND}  (or set CHROMIUM_PATH to a Chromium or Chrome binary)`,
    );
  const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
  log(
    "browser tests: Chromium not found; installing Debian's chromium package (apt-get update, then install; a few minutes)…",
  );
  execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env: aptEnv });
  log('browser tests: apt-get update done; installing chromium…');
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: aptEnv,
  });
  const installed = locateChromium(env, candidates);
  if (!installed) throw new Error(`apt-get installed chromium but no binary is at ${candidates.join(', ')}`);
  log(`browser tests: using ${installed}`);
  return installed;
}
