import { describe, expect, it } from 'vitest';
import {
  ALL,
  calculateIntervalMs,
  DETAIL_POLICY,
  expandMacros,
  FLEET_POLICY,
  SUMMARY_POLICY,
  resolutionFor,
  roundInterval,
} from '@meridian/dashboards';

const from = Date.UTC(2026, 10, 24, 12, 0, 0);
const to = from + 15 * 60_000;

describe('expandMacros: the ClickHouse data source expansion', () => {
  it('expands $__timeFilter to second-precision toDateTime bounds', () => {
    expect(expandMacros('WHERE $__timeFilter(ts)', { from: from + 999, to, intervalMs: 2000 })).toBe(
      `WHERE ts >= toDateTime(${from / 1000}) AND ts <= toDateTime(${to / 1000})`,
    );
  });

  it('expands $__timeInterval and $__interval_s from the interval, never below 1 s', () => {
    expect(expandMacros('$__timeInterval(ts) $__interval_s', { from, to, intervalMs: 120_000 })).toBe(
      'toStartOfInterval(toDateTime(ts), INTERVAL 120 second) 120',
    );
    expect(expandMacros('$__interval_s', { from, to, intervalMs: 200 })).toBe('1');
  });

  it('keeps the condition of $__conditionalAll for a value and drops it for All', () => {
    const sql = 'WHERE $__conditionalAll(region IN ($region), $region)';
    expect(expandMacros(sql, { from, to, intervalMs: 1000, vars: { region: ['eu-west'] } })).toBe(
      "WHERE region IN ('eu-west')",
    );
    expect(expandMacros(sql, { from, to, intervalMs: 1000, vars: { region: ['a', 'b'] } })).toBe(
      "WHERE region IN ('a','b')",
    );
    expect(expandMacros(sql, { from, to, intervalMs: 1000, vars: { region: ALL } })).toBe('WHERE 1=1');
    expect(expandMacros(sql, { from, to, intervalMs: 1000, vars: { region: [ALL] } })).toBe('WHERE 1=1');
  });

  it('handles nested and repeated $__conditionalAll', () => {
    const sql = 'if(($__conditionalAll(0, $host)), region, host) AND $__conditionalAll(host IN ($host), $host)';
    expect(expandMacros(sql, { from, to, intervalMs: 1000, vars: { host: ALL } })).toBe(
      'if((1=1), region, host) AND 1=1',
    );
    expect(expandMacros(sql, { from, to, intervalMs: 1000, vars: { host: ['h1'] } })).toBe(
      "if((0), region, host) AND host IN ('h1')",
    );
  });

  it('inserts a single-value variable bare, as the data source does', () => {
    expect(expandMacros("x = '$v' AND y = ${v}", { from, to, intervalMs: 1000, vars: { v: 'abc' } })).toBe(
      "x = 'abc' AND y = abc",
    );
  });

  it('does not confuse $__timeFilter with $__timeFilter_ms', () => {
    expect(expandMacros('$__timeFilter_ms(ts)', { from, to, intervalMs: 1000 })).toBe(
      `ts >= fromUnixTimestamp64Milli(${from}) AND ts <= fromUnixTimestamp64Milli(${to})`,
    );
  });

  it('rejects what Grafana would leave broken, naming it', () => {
    expect(() => expandMacros('$__conditionalAll(a IN ($nope), $nope)', { from, to, intervalMs: 1000 })).toThrow(
      /nope/,
    );
    expect(() => expandMacros('SELECT $missing', { from, to, intervalMs: 1000 })).toThrow(/\$missing/);
    expect(() => expandMacros('$__timeFilter(ts', { from, to, intervalMs: 1000 })).toThrow(/close bracket/);
    expect(() => expandMacros('$__timeFilter(a, b)', { from, to, intervalMs: 1000 })).toThrow(/expected 1/);
    expect(() => expandMacros('x', { from: to, to: from, intervalMs: 1000 })).toThrow(/"from"/);
    expect(() => expandMacros('x', { from, to, intervalMs: 0 })).toThrow(/intervalMs/);
    expect(() => expandMacros('$r', { from, to, intervalMs: 1000, vars: { r: ALL } })).toThrow(/allValues\.r/);
  });
});

describe('interval and rollup choice', () => {
  it('rounds like Grafana', () => {
    expect(roundInterval(1500)).toBe(2000);
    expect(roundInterval(144_000)).toBe(120_000);
    expect(roundInterval(4_320_000)).toBe(3_600_000);
  });

  it('picks raw for 15 min, the 1-minute rollup for 24 h and the 1-hour rollup for 30 d', () => {
    const iv = (ms: number) => calculateIntervalMs(0, ms, 600) / 1000;
    expect(iv(15 * 60_000)).toBe(2);
    expect(iv(86_400_000)).toBe(120);
    expect(iv(30 * 86_400_000)).toBe(3600);
    for (const p of [DETAIL_POLICY, FLEET_POLICY]) {
      expect(resolutionFor(iv(15 * 60_000), p)).toBe('raw');
      expect(resolutionFor(iv(86_400_000), p)).toBe('1m');
      expect(resolutionFor(iv(7 * 86_400_000), p)).toBe('1h');
      expect(resolutionFor(iv(30 * 86_400_000), p)).toBe('1d');
    }
    // Tables of one row per GPU read days from ~10 days of range on.
    expect(resolutionFor(iv(7 * 86_400_000), SUMMARY_POLICY)).toBe('1h');
    expect(resolutionFor(iv(14 * 86_400_000), SUMMARY_POLICY)).toBe('1d');
    expect(() => calculateIntervalMs(0, 1000, 600, '5x')).toThrow(/invalid interval "5x"/);
  });
});
