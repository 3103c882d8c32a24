import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { aptInstallCommand, installDebianPackages, onPath } from '../src/index.js';

describe('installing Debian packages for the real programs the tests drive', () => {
  it('finds programs on $PATH and not names that are missing', () => {
    expect(onPath('sh')).toBe(true);
    expect(onPath('meridian-no-such-program')).toBe(false);
  });

  it('treats the name as a name, never as shell text', () => {
    const marker = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'onpath-')), 'ran');
    expect(onPath(`sh; touch ${marker}`)).toBe(false);
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('refuses to install when not root, saying what is missing and the exact command', () => {
    const logged: string[] = [];
    expect(() =>
      installDebianPackages({
        packages: ['slurmd', 'munge'],
        purpose: 'slurm',
        missing: 'Slurm not installed (missing slurmd)',
        root: false,
        log: (l) => logged.push(l),
      }),
    ).toThrow(
      'Slurm not installed (missing slurmd). Run: sudo apt-get update && sudo apt-get install -y --no-install-recommends slurmd munge',
    );
    expect(logged).toEqual([]);
  });

  it('keeps Recommends only when asked', () => {
    expect(aptInstallCommand(['chromium'], true)).toBe('sudo apt-get update && sudo apt-get install -y chromium');
    expect(aptInstallCommand(['munge'])).toBe(
      'sudo apt-get update && sudo apt-get install -y --no-install-recommends munge',
    );
  });
});
