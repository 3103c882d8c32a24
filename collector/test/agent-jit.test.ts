/** The collect command's JIT cap: which flag, when, and that V8 obeys it set at run time. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CAPPED, tierChosen } from '../src/agent/jit.js';

/**
 * A hot function in a process of its own, after setting `flags` at run time one after another as
 * the command does; whether V8 optimised it (%GetOptimizationStatus bit 4: Maglev or TurboFan code).
 */
function optimised(...flags: string[]): boolean {
  const script = [
    "const v8 = require('node:v8');",
    ...flags.map((f) => `v8.setFlagsFromString(${JSON.stringify(f)});`),
    'function f(x) { let s = 0; for (let i = 0; i < 100; i++) s += x * i; return s; }',
    'let t = 0; for (let i = 0; i < 3e5; i++) t += f(i);',
    "process.stdout.write(String((eval('%GetOptimizationStatus(f)') & 16) !== 0));",
  ].join('\n');
  return execFileSync(process.execPath, ['--allow-natives-syntax', '-e', script], { encoding: 'utf8' }) === 'true';
}

describe('the JIT cap of meridian collect', () => {
  it("is left alone where node's command line names a tier", () => {
    expect(tierChosen([])).toBe(false);
    expect(tierChosen(['--max-semi-space-size=1'])).toBe(false);
    expect(tierChosen(['--max-opt=3'])).toBe(true);
    expect(tierChosen(['--max_opt=2'])).toBe(true);
    expect(tierChosen(['--max-opt', '2'])).toBe(true);
    expect(tierChosen(['--jitless'])).toBe(true);
    expect(tierChosen(['--no-turbofan'])).toBe(true);
    expect(tierChosen(['--no-opt'])).toBe(true);
    expect(tierChosen(['--max-optimized-something'])).toBe(false);
    expect(tierChosen(['--optimize-for-size'])).toBe(false);
  });

  it('keeps hot code out of the optimising compilers when set after start', () => {
    expect(optimised()).toBe(true); // the control: this loop is hot enough to be optimised
    expect(optimised(CAPPED)).toBe(false);
  });
});
