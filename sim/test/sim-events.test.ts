/**
 * Each scripted event, read back from the STORED data (embedded chDB, real SQL): the twin runs each
 * event scenario through seedStore (collector pipeline → store sink → store) into one store, each run
 * in its own hour so the queries can tell them apart.
 */
import { fiberRttFloorMs } from '@meridian/catalog';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '@meridian/store';
import { seedStore, type SeedResult } from '@meridian/app';
import { INFERENCE_P99_METRIC } from '@meridian/sim';

let store: Store;
const runs = new Map<string, SeedResult>();
// Recent enough to outlive the raw tables' TTL, on whole hours so runs never overlap.
const base = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 12 * 3_600_000;
const plan: [string, number][] = [
  ['cooling-loss', 130],
  ['link-degradation', 100],
  ['link-cut', 90],
  ['host-failure', 90],
  ['arrival-surge', 150],
];

beforeAll(async () => {
  store = await openStore({ data: mkdtempSync(join(tmpdir(), 'sim-events-')) });
  await store.migrate();
  for (const [i, [scenario, durationS]] of plan.entries()) {
    runs.set(scenario, await seedStore(store, { scenario, durationS, startMs: base + i * 3_600_000, planner: 'none' }));
  }
}, 120_000);

afterAll(async () => {
  await store?.close();
});

/** Seconds since the run's start → a DateTime64 bound parameter. */
function at(scenario: string, s: number): string {
  const r = runs.get(scenario);
  if (!r) throw new Error(`no run ${scenario}`);
  return new Date(r.startMs + s * 1000).toISOString().replace('T', ' ').replace('Z', '');
}

async function one<T>(sql: string, params: Record<string, unknown>): Promise<T> {
  const rows = await store.query<T>(sql, params);
  const row = rows[0];
  if (!row) throw new Error(`no row for ${sql}`);
  return row;
}

describe('scripted events in the stored data', () => {
  it('stored every row the twin produced, tagged source=sim', async () => {
    const r = runs.get('link-cut') as SeedResult;
    const got = await one<{ n: string; src: string }>(
      'SELECT count() AS n, groupUniqArray(source)[1] AS src FROM gpu_samples WHERE ts >= {a:DateTime64(3)} AND ts <= {b:DateTime64(3)}',
      { a: at('link-cut', 0), b: at('link-cut', 90) },
    );
    expect(Number(got.n)).toBe(r.rows.gpu);
    expect(got.src).toBe('sim');
    const [p99] = await store.query<{ n: string; lo: number }>(
      "SELECT count() AS n, min(value) AS lo FROM extra_metrics WHERE name = {name:String} AND source = 'sim'",
      { name: INFERENCE_P99_METRIC },
    );
    expect(Number(p99?.n)).toBeGreaterThan(0);
    expect(Number(p99?.lo)).toBeGreaterThanOrEqual(40);
  });

  it('cooling loss: temperature rises in the cooled region from the scripted time, not elsewhere', async () => {
    const sql = `SELECT avgIf(temp_gpu, ts < {t:DateTime64(3)}) AS before, avgIf(temp_gpu, ts >= {late:DateTime64(3)}) AS after,
                        avgIf(throttled, ts >= {late:DateTime64(3)}) AS throttled
                 FROM gpu_samples WHERE region = {region:String} AND ts > {a:DateTime64(3)} AND ts <= {b:DateTime64(3)}`;
    const p = {
      t: at('cooling-loss', 60),
      late: at('cooling-loss', 110),
      a: at('cooling-loss', 30),
      b: at('cooling-loss', 130),
    };
    const south = await one<{ before: number; after: number; throttled: number }>(sql, { ...p, region: 'eu-south' });
    const north = await one<{ before: number; after: number }>(sql, { ...p, region: 'eu-north' });
    expect(south.after - south.before).toBeGreaterThan(15);
    expect(south.throttled).toBeGreaterThan(0.2);
    expect(Math.abs(north.after - north.before)).toBeLessThan(1.5);
    // The rise starts at the scripted instant: the tick at 60 s is already warmer than the one before.
    const edge = await store.query<{ s: number; t: number }>(
      `SELECT toUnixTimestamp(ts) - toUnixTimestamp({a:DateTime64(3)}) AS s, avg(temp_gpu) AS t FROM gpu_samples
       WHERE region = 'eu-south' AND ts >= {a:DateTime64(3)} AND ts <= {b:DateTime64(3)} GROUP BY s ORDER BY s`,
      { a: at('cooling-loss', 0), b: at('cooling-loss', 62) },
    );
    const temp = new Map(edge.map((e) => [Number(e.s), Number(e.t)]));
    expect((temp.get(59) as number) - (temp.get(58) as number)).toBeLessThan(0.3);
    expect((temp.get(60) as number) - (temp.get(59) as number)).toBeGreaterThan(1);
  });

  it('link degradation: RTT on the degraded link rises by the scripted 8 ms, loss by 0.5 %, capacity halves', async () => {
    const got = await one<{ rb: number; ra: number; lb: number; la: number; cb: number; ca: number }>(
      `SELECT avgIf(rtt_min, ts < {t:DateTime64(3)}) AS rb, avgIf(rtt_min, ts >= {t:DateTime64(3)}) AS ra,
              avgIf(loss_pct, ts < {t:DateTime64(3)}) AS lb, avgIf(loss_pct, ts >= {t:DateTime64(3)}) AS la,
              anyIf(capacity, ts < {t:DateTime64(3)}) AS cb, anyIf(capacity, ts >= {t:DateTime64(3)}) AS ca
       FROM link_samples WHERE link_id = 'eu-central->eu-west' AND ts > {a:DateTime64(3)} AND ts <= {b:DateTime64(3)}`,
      { t: at('link-degradation', 60), a: at('link-degradation', 20), b: at('link-degradation', 100) },
    );
    expect(got.ra - got.rb).toBeGreaterThan(8 - 0.1);
    expect(got.ra - got.rb).toBeLessThan(8 + 0.3);
    expect(got.la - got.lb).toBeGreaterThan(0.499); // loss_pct is Float32
    expect(Number(got.ca)).toBe(Number(got.cb) / 2);
  });

  it('link cut: 100 % loss and no RTT from the scripted time on', async () => {
    const rows = await store.query<{ s: number; loss: number; rtt: number | null; rx: number; thr: number }>(
      `SELECT toUnixTimestamp(ts) - toUnixTimestamp({a:DateTime64(3)}) AS s, loss_pct AS loss, rtt_avg AS rtt, probes_received AS rx, throughput AS thr
       FROM link_samples WHERE link_id = 'eu-north->eu-central' AND ts > {a:DateTime64(3)} AND ts <= {b:DateTime64(3)} ORDER BY ts`,
      { a: at('link-cut', 0), b: at('link-cut', 90) },
    );
    expect(rows).toHaveLength(90);
    for (const r of rows) {
      if (Number(r.s) < 60) {
        expect(Number(r.loss)).toBeLessThan(1);
        expect(r.rtt).not.toBeNull();
      } else {
        expect(Number(r.loss)).toBe(100);
        expect(r.rtt).toBeNull();
        expect(Number(r.rx)).toBe(0);
        expect(Number(r.thr)).toBe(0);
      }
    }
  });

  it('host failure: three eu-central hosts stop reporting at the scripted time', async () => {
    const got = await one<{ before: string; after: string }>(
      `SELECT uniqIf(host, ts < {t:DateTime64(3)}) AS before, uniqIf(host, ts >= {t:DateTime64(3)}) AS after
       FROM gpu_samples WHERE region = 'eu-central' AND ts > {a:DateTime64(3)} AND ts <= {b:DateTime64(3)}`,
      { t: at('host-failure', 60), a: at('host-failure', 0), b: at('host-failure', 90) },
    );
    expect(Number(got.before)).toBe(16);
    expect(Number(got.after)).toBe(13);
  });

  it('arrival surge: more workloads arrive per minute after the scripted time', async () => {
    const got = await one<{ before: string; after: string }>(
      `SELECT uniqIf(workload_id, first > {a:DateTime64(3)} AND first < {t:DateTime64(3)}) AS before,
              uniqIf(workload_id, first >= {t:DateTime64(3)}) AS after
       FROM (SELECT workload_id, min(ts) AS first FROM workloads
             WHERE ts >= {a:DateTime64(3)} AND ts <= {b:DateTime64(3)} GROUP BY workload_id)`,
      { t: at('arrival-surge', 60), a: at('arrival-surge', 0), b: at('arrival-surge', 150) },
    );
    // 60 s before at the base rate (40/h: ~0.7 expected), 90 s after at 6× (~6 expected).
    expect(Number(got.after)).toBeGreaterThanOrEqual(4);
    expect(Number(got.after) / 1.5).toBeGreaterThan(Number(got.before) * 2);
  });

  it('stored probe RTT = the catalog floor 2 × (route_km × 4.897 µs/km + equipment delay), within the modelled jitter', async () => {
    const links = await store.query<{
      id: string;
      route_km: number;
      equipment_delay_ms: number;
      rmin: number;
      ravg: number;
    }>(
      `SELECT t.id AS id, t.route_km AS route_km, t.equipment_delay_ms AS equipment_delay_ms, min(l.rtt_min) AS rmin, avg(l.rtt_avg) AS ravg
       FROM link_samples AS l INNER JOIN (SELECT DISTINCT id, route_km, equipment_delay_ms FROM topology WHERE kind = 'link') AS t ON t.id = l.link_id
       WHERE l.ts > {a:DateTime64(3)} AND l.ts <= {b:DateTime64(3)} GROUP BY t.id, t.route_km, t.equipment_delay_ms ORDER BY id`,
      { a: at('host-failure', 0), b: at('host-failure', 90) },
    );
    expect(links).toHaveLength(6);
    for (const l of links) {
      const floor = fiberRttFloorMs(Number(l.route_km), Number(l.equipment_delay_ms));
      // No probe beats the fiber; jitter is exponential with a 0.02 ms mean (plus a little queueing).
      expect(Number(l.rmin), l.id).toBeGreaterThanOrEqual(floor - 0.001);
      expect(Number(l.rmin), l.id).toBeLessThan(floor + 0.02);
      expect(Number(l.ravg), l.id).toBeLessThan(floor + 0.1);
    }
    const northSouth = links.find((l) => l.id === 'eu-north->eu-south');
    expect(Number(northSouth?.route_km)).toBe(2000); // given in the scenario: 19.6 ms + 0.8 ms of equipment
  });
});
