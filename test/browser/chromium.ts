/**
 * Finds the Chromium the browser tests drive (playwright-core never downloads a browser here).
 * Order: $CHROMIUM_PATH, then the paths Debian, Ubuntu and Chrome installs use. When none exists and
 * we are root on a Debian-family machine, Debian's `chromium` package is installed, as `.ci/run` used
 * to do, so `npm test` on a fresh machine needs nothing but the README's commands; otherwise the
 * error says the exact command to run.
 */
import fs from 'node:fs';
import { aptInstallCommand, installDebianPackages } from '@meridian/runtime';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/lib/chromium/chromium',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/google-chrome',
];

export const INSTALL_COMMAND = aptInstallCommand(['chromium'], true);

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
  installDebianPackages({
    packages: ['chromium'],
    purpose: 'browser tests',
    missing:
      `Chromium not found (looked at $CHROMIUM_PATH and ${candidates.join(', ')}). ` +
      'The browser tests need it (or set CHROMIUM_PATH to a Chromium or Chrome binary)',
    updateFirst: true,
    recommends: true,
    env,
    log,
    ...(opts.root !== undefined ? { root: opts.root } : {}),
  });
  const installed = locateChromium(env, candidates);
  if (!installed) throw new Error(`apt-get installed chromium but no binary is at ${candidates.join(', ')}`);
  log(`browser tests: using ${installed}`);
  return installed;
}
