/** startChronyClock against a stand-in chronyc (a shell script: chrony is not installed here). */
import { chmodSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startChronyClock, UNSYNCED_CLOCK } from '../src/stamp/index.js';
import { until } from './until.js';

const dir = mkdtempSync(join(tmpdir(), 'stamp-chrony-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const output = join(dir, 'tracking.csv');
const fake = join(dir, 'chronyc');
const calls = join(dir, 'calls');
/** How many times the stand-in has been run. */
const polls = (): number => (existsSync(calls) ? readFileSync(calls, 'utf8').length : 0);
// Prints the file's contents when called as `chronyc -c tracking`; exits 1 when the file says so.
// Each run appends one character to `calls`, so a test can wait for polls instead of time.
writeFileSync(
  fake,
  `#!/bin/sh\nprintf x >> "${calls}"\n[ "$1 $2" = "-c tracking" ] || exit 2\ngrep -q '^FAIL' "${output}" && { echo '506 Cannot talk to daemon' >&2; exit 1; }\ncat "${output}"\n`,
);
chmodSync(fake, 0o755);

const SYNCED =
  'C0A80101,192.168.1.1,3,1776153600.123456,0.000020000,0.000045,0.000067,12.345,0.010,0.250,0.000100000,0.000030000,64.0,Normal\n';
const UNSYNCED =
  '00000000,,0,0.000000000,0.000000000,0.000000000,0.000000000,0.000,0.000,0.000,0.000000000,0.000000000,0.0,Not synchronised\n';
/** Replaces the output atomically, so the stand-in never reads a half-written file. */
const say = (text: string): void => {
  writeFileSync(`${output}.tmp`, text);
  renameSync(`${output}.tmp`, output);
};

describe('startChronyClock', () => {
  it('follows chrony: synced with its error bound, then unsynchronised, then unreadable', async () => {
    say(SYNCED);
    const errors: string[] = [];
    const clock = startChronyClock({ command: fake, intervalMs: 50, onError: (m) => errors.push(m) });
    try {
      await clock.ready;
      expect(clock.status().synced).toBe(true);
      // |0.00002| + 0.00003 + 0.0001 / 2 s = 0.1 ms
      expect(clock.status().errorMs).toBeCloseTo(0.1, 9);
      say(UNSYNCED);
      await until(() => !clock.status().synced, 'the unsynchronised status');
      expect(clock.status().errorMs).toBe(1000);
      expect(errors).toEqual([]);
      say('FAIL\n');
      // Read as a sender or a busy reflector reads it: the clock polls only while it is read.
      await until(() => (clock.status(), errors.length > 0), 'the failure report');
      expect(clock.status()).toEqual(UNSYNCED_CLOCK);
      // Either chronyc's failure or its unreadable output, depending on where the stand-in was caught.
      expect(errors[0]).toMatch(/-c tracking/);
      const seen = polls();
      await until(() => (clock.status(), polls() >= seen + 3), 'three more polls of the failing chronyc');
      expect(errors).toHaveLength(1); // told once per change, not at every poll
    } finally {
      clock.stop();
    }
  });

  it('stops polling while nobody reads the status, and says unsynchronised until the next reading', async () => {
    say(SYNCED);
    // A second stand-in with its own count, read all along: the yardstick of how many polls the
    // idle clock would have made, so that the test waits on polls rather than on time.
    const busyCalls = join(dir, 'busy-calls');
    const busy = join(dir, 'chronyc-busy');
    writeFileSync(busy, `#!/bin/sh\nprintf x >> "${busyCalls}"\ncat "${output}"\n`);
    chmodSync(busy, 0o755);
    const busyPolls = (): number => (existsSync(busyCalls) ? readFileSync(busyCalls, 'utf8').length : 0);
    const clock = startChronyClock({ command: fake, intervalMs: 50 });
    const yardstick = startChronyClock({ command: busy, intervalMs: 50 });
    try {
      await clock.ready;
      const first = polls();
      expect(clock.status().synced).toBe(true);
      // Read once after the first reading: one more poll, which leaves the status unread and stops.
      await until(() => polls() >= first + 1, 'the poll after the read');
      const idleAt = polls();
      const from = busyPolls();
      await until(() => (yardstick.status(), busyPolls() >= from + 10), 'ten polls of a clock that is read');
      // No chronyc run meanwhile (each would be a process spawned by an idle collector), but for a
      // poll that may have been starting as the idle one was counted.
      expect(polls()).toBeLessThanOrEqual(idleAt + 1);
      const stopped = polls();
      // The reading it holds is stale: unsynchronised until the reading that the read starts is in.
      expect(clock.status()).toEqual(UNSYNCED_CLOCK);
      await until(() => clock.status().synced, 'a fresh reading after the idle spell');
      expect(polls()).toBe(stopped + 1);
      expect(clock.status().errorMs).toBeCloseTo(0.1, 9);
    } finally {
      clock.stop();
      yardstick.stop();
    }
  });

  it('counts a missing chronyc as unsynchronised', async () => {
    const errors: string[] = [];
    const clock = startChronyClock({ command: join(dir, 'no-such-chronyc'), onError: (m) => errors.push(m) });
    await clock.ready;
    clock.stop();
    expect(clock.status()).toEqual(UNSYNCED_CLOCK);
    expect(errors[0]).toMatch(/ENOENT/);
  });
});
