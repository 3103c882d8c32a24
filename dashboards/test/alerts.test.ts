import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedStore } from '@meridian/app';
import { applyBackendMacros, RULES, type AlertRule } from '@meridian/dashboards';
import { loadScenario } from '@meridian/sim';
import { openStore, type Store } from '@meridian/store';

/**
 * Every shipped alert rule's query, expanded only as the ClickHouse data source's backend expands an
 * alert query (Grafana's template variables do not exist for alert rules), run on twin data in the
 * embedded engine, and judged as Grafana judges a table result: each row an alert instance, its
 * `value` against the threshold, firing once true for the rule's `for`.
 *
 * One store, one process (chDB binds one data directory per process): each scenario is seeded five
 * minutes long into its own hour, so a rule evaluated at an instant of one scenario sees only that
 * scenario's rows. `quiet` is the default fabric without its scripted cooling loss. The faults the
 * twin does not model (Xids, ECC, row remapping, the power brake) are written into a quiet run as the
 * collector would store them, from t = 60 s.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'meridian-alerts-'));
let store: Store;
const DURATION_S = 300;
const EVENT_S = 60;
const STEP_S = 10;
const HOUR = 3_600_000;
const base = Math.floor(Date.now() / HOUR) * HOUR - 8 * HOUR;
const starts = new Map<string, number>();

const SCENARIOS = ['quiet', 'cooling-loss', 'link-degradation', 'host-failure', 'region-failure', 'inject'] as const;

/** The injected faults: which rows of the `inject` run get which columns, from EVENT_S on. */
const INJECT: Record<string, { where: string; set: string }> = {
  'inject:xid': {
    where: 'host = (SELECT min(host) FROM gpu_samples) AND gpu_index = 0',
    set: '79 AS xid_last, 1 AS xid_count_inc',
  },
  'inject:ecc-dbe': {
    where: 'host = (SELECT max(host) FROM gpu_samples) AND gpu_index = 1',
    set: '1 AS ecc_dbe_volatile_inc',
  },
  'inject:row-remap-failure': {
    where: 'host = (SELECT max(host) FROM gpu_samples) AND gpu_index = 2',
    set: '1 AS remapped_rows_failed',
  },
  'inject:nvlink-crc': {
    where: 'host = (SELECT min(host) FROM gpu_samples) AND gpu_index = 3',
    set: '2 AS nvlink_crc_flit_errors_inc, 1 AS nvlink_crc_data_errors_inc',
  },
  'inject:nvlink-replay': {
    where: 'host = (SELECT min(host) FROM gpu_samples) AND gpu_index = 4',
    set: '1 AS nvlink_replay_errors_inc',
  },
  'inject:nvlink-recovery': {
    where: 'host = (SELECT max(host) FROM gpu_samples) AND gpu_index = 3',
    set: '1 AS nvlink_recovery_errors_inc',
  },
  'inject:pcie-replay': {
    where: 'host = (SELECT max(host) FROM gpu_samples) AND gpu_index = 4',
    set: '5 AS pcie_replay_inc',
  },
  'inject:power-brake': {
    where: "region = 'eu-north'",
    set: `bitOr(ifNull(throttle_reasons, 0), 128) AS throttle_reasons`,
  },
};

beforeAll(async () => {
  store = await openStore({ data: dir });
  await store.migrate();
  const quiet = { ...loadScenario('default'), name: 'quiet', events: [] };
  for (const [i, name] of SCENARIOS.entries()) {
    const startMs = base + i * HOUR;
    starts.set(name, startMs);
    const scenario = name === 'quiet' || name === 'inject' ? quiet : name;
    await seedStore(store, { scenario, durationS: DURATION_S, startMs });
  }
  const injectStart = starts.get('inject')!;
  for (const { where, set } of Object.values(INJECT)) {
    // One extra row per sample of the chosen GPUs, half a second after the real one: what a collector
    // that saw the fault would have stored beside the twin's rows.
    await store.command(
      `INSERT INTO gpu_samples SELECT * REPLACE (ts + toIntervalMillisecond(500) AS ts, ${set}) FROM gpu_samples
       WHERE ts >= fromUnixTimestamp64Milli(${injectStart + EVENT_S * 1000}) AND ts < fromUnixTimestamp64Milli(${injectStart + DURATION_S * 1000}) AND ${where}`,
    );
  }
}, 300_000);

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Instance {
  labels: Record<string, string>;
  value: number;
}

/** The rule's query as Grafana evaluates it at `atMs`: range [atMs − window, atMs], backend macros only. */
async function evaluate(rule: AlertRule, atMs: number): Promise<Instance[]> {
  const sql = applyBackendMacros(rule.sql, { from: atMs - rule.windowS * 1000, to: atMs, intervalMs: 1000 });
  expect(sql, `${rule.uid}: only the data source's macros may appear`).not.toMatch(/\$\{?\w/);
  const rows = await store.query<Record<string, unknown>>(sql);
  return rows.map((r) => {
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(r)) if (k !== 'value') labels[k] = String(v);
    expect(typeof r.value === 'number' || typeof r.value === 'string', `${rule.uid}: value column`).toBe(true);
    return { labels, value: Number(r.value) };
  });
}

const firing = (rule: AlertRule, xs: Instance[]) => xs.filter((x) => x.value > rule.threshold);

/** Seconds after the event when the rule fires (condition true continuously for `forS`), or null. */
async function firesAfter(rule: AlertRule, startMs: number): Promise<{ s: number; instances: Instance[] } | null> {
  let trueSince: number | null = null;
  for (let t = EVENT_S; t <= DURATION_S; t += STEP_S) {
    const xs = firing(rule, await evaluate(rule, startMs + t * 1000));
    if (xs.length === 0) {
      trueSince = null;
      continue;
    }
    trueSince ??= t;
    if (t - trueSince >= rule.forS) return { s: t - EVENT_S, instances: xs };
  }
  return null;
}

function runOf(rule: AlertRule): number {
  const name = rule.firesIn.scenario.startsWith('inject:') ? 'inject' : rule.firesIn.scenario;
  const start = starts.get(name);
  if (start === undefined)
    throw new Error(`${rule.uid}: firesIn.scenario "${rule.firesIn.scenario}" is not seeded here`);
  return start;
}

describe('each alert rule fires on the fault it is for', () => {
  it.each(RULES.map((r) => [r.uid, r] as const))('%s', async (_uid, rule) => {
    if (rule.firesIn.scenario.startsWith('inject:'))
      expect(INJECT, `${rule.uid}: no injection for ${rule.firesIn.scenario}`).toHaveProperty([rule.firesIn.scenario]);
    const fired = await firesAfter(rule, runOf(rule));
    expect(fired, `${rule.uid} never fired in ${rule.firesIn.scenario}`).not.toBeNull();
    expect(fired!.s, `${rule.uid} fired ${fired!.s} s after the event`).toBeLessThanOrEqual(rule.firesIn.withinS);
  });

  it('labels an Xid with its meaning and NVIDIA’s action from the catalogue', async () => {
    const rule = RULES.find((r) => r.uid === 'meridian-gpu-xid')!;
    const xs = firing(rule, await evaluate(rule, starts.get('inject')! + 120_000));
    expect(xs).toHaveLength(1);
    expect(xs[0]!.labels).toMatchObject({ xid: '79', xid_meaning: 'GPU has fallen off the bus' });
    expect(xs[0]!.labels.nvidia_action).toMatch(/^RESTART_BM: drain the node and reboot it/);
  });

  it('names the region that lost its cooling, the link that degraded, the region and hosts that failed', async () => {
    const at = (name: string, s: number) => starts.get(name)! + s * 1000;
    const by = (uid: string) => RULES.find((r) => r.uid === uid)!;
    const labels = async (uid: string, name: string, s: number) =>
      firing(by(uid), await evaluate(by(uid), at(name, s))).map((x) => x.labels);
    expect(await labels('meridian-region-thermal-slowdown', 'cooling-loss', 150)).toEqual([{ region: 'eu-south' }]);
    expect(await labels('meridian-link-rtt-above-floor', 'link-degradation', 240)).toEqual([
      { region_from: 'eu-central', region_to: 'eu-west' },
    ]);
    expect(await labels('meridian-region-stale', 'region-failure', 290)).toEqual([{ region: 'eu-west' }]);
    const hosts = await labels('meridian-host-stale', 'host-failure', 290);
    expect(hosts).toHaveLength(3);
    expect(new Set(hosts.map((h) => h.region))).toEqual(new Set(['eu-central']));
  });
});

describe('no alert rule fires through a run without faults', () => {
  it.each(RULES.map((r) => [r.uid, r] as const))('%s stays quiet in `quiet`', async (_uid, rule) => {
    const start = starts.get('quiet')!;
    for (let t = 30; t <= DURATION_S; t += 30) {
      const xs = firing(rule, await evaluate(rule, start + t * 1000));
      expect(xs, `${rule.uid} at t=${t}s`).toEqual([]);
    }
  });
});
