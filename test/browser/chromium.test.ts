import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureChromium, INSTALL_COMMAND, locateChromium } from './chromium.js';

describe('finding Chromium for the browser tests', () => {
  it('takes CHROMIUM_PATH first', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-'));
    const bin = path.join(dir, 'chrome');
    fs.writeFileSync(bin, '');
    expect(locateChromium({ CHROMIUM_PATH: bin })).toBe(bin);
  });

  it('names the variable when CHROMIUM_PATH points nowhere, instead of falling back silently', () => {
    expect(() => locateChromium({ CHROMIUM_PATH: '/nonexistent/chromium' })).toThrow(
      /CHROMIUM_PATH=\/nonexistent\/chromium does not exist/,
    );
  });

  it('tells a user who cannot install it the exact command to run', () => {
    expect(() =>
      ensureChromium({ env: {}, candidates: ['/nonexistent/chromium'], root: false, log: () => {} }),
    ).toThrow(`Run: ${INSTALL_COMMAND}`);
  });

  it('uses a Chromium already on the usual paths without installing anything', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-'));
    const bin = path.join(dir, 'chromium');
    fs.writeFileSync(bin, '');
    const lines: string[] = [];
    expect(ensureChromium({ env: {}, candidates: ['/nonexistent/chromium', bin], log: (l) => lines.push(l) })).toBe(
      bin,
    );
    expect(lines).toEqual([]);
  });
});
