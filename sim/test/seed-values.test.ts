/**
 * The catalog history's value formula is written twice (src/seed/values.ts): in TypeScript for the
 * writer path (seedFleet) and in SQL for the bulk path (bench:dashboards). Run on the embedded
 * engine, the SQL gives the TypeScript values for every catalog metric, so the two seeders show the
 * same history. Counters are compared on whole minutes, where the SQL's once-a-minute step and the
 * TypeScript's continuous growth meet (their one deliberate difference, besides 3-decimal rounding).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricsOf, type MetricDef } from '@meridian/catalog';
import { sampleValue, valueSql } from '@meridian/sim';
import { openStore, type Store } from '@meridian/store';

const dir = mkdtempSync(join(tmpdir(), 'sim-seed-values-'));
let store: Store;

beforeAll(async () => {
  store = await openStore({ data: dir });
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const SERIES = 4;

/** Every metric's SQL value at each instant (epoch s) for series 0..SERIES-1, in one query. */
async function sqlValues(metrics: MetricDef[], instants: number[], t0: number): Promise<number[][]> {
  const cols = metrics.map((m, k) => `${valueSql(m, t0)} AS c${k}`).join(', ');
  const ts = `[${instants.join(', ')}]`;
  const sql =
    `SELECT ${cols} FROM (SELECT toUInt32(${ts}[intDiv(number, ${SERIES}) + 1]) AS T, number % ${SERIES} AS G` +
    ` FROM numbers(${instants.length * SERIES})) ORDER BY T, G`;
  const rs = await store.client.query({ query: sql, format: 'JSONCompactEachRow' });
  const rows = await rs.json<unknown[]>();
  return rows.map((r) => r.map((v) => Number(v)));
}

function close(m: MetricDef, sql: number, ts: number, where: string): void {
  const tol = m.type.startsWith('Float') ? 1e-3 + Math.abs(ts) * 1e-4 : 1;
  expect(Math.abs(sql - ts), `${where}: SQL ${sql}, TypeScript ${ts}`).toBeLessThanOrEqual(tol);
}

describe('catalog history values: SQL (bulk) = TypeScript (writer)', () => {
  for (const entity of ['gpu', 'host', 'link'] as const) {
    it(`${entity}: every gauge, state and flag at 40 instants × ${SERIES} series`, async () => {
      const metrics = metricsOf(entity).filter((m) => m.kind !== 'counter');
      expect(metrics.length).toBeGreaterThan(0);
      // Instants 7 min 17 s apart from a fixed date: every phase of the 5- and 10-minute cycles.
      const instants = Array.from({ length: 40 }, (_v, k) => 1_767_225_600 + k * 437);
      const rows = await sqlValues(metrics, instants, 0);
      instants.forEach((T, a) => {
        for (let G = 0; G < SERIES; G++) {
          const row = rows[a * SERIES + G] as number[];
          metrics.forEach((m, k) =>
            close(m, row[k] as number, sampleValue(m, T * 1000, G, 0), `${m.name} T=${T} G=${G}`),
          );
        }
      });
    });

    it(`${entity}: every counter on whole minutes from its start`, async () => {
      const metrics = metricsOf(entity).filter((m) => m.kind === 'counter');
      if (metrics.length === 0) return;
      const t0 = 1_767_225_600;
      const instants = Array.from({ length: 30 }, (_v, k) => t0 + k * 60 * 7);
      const rows = await sqlValues(metrics, instants, t0);
      let compared = 0;
      instants.forEach((T, a) => {
        for (let G = 0; G < SERIES; G++) {
          const row = rows[a * SERIES + G] as number[];
          metrics.forEach((m, k) => {
            const ts = sampleValue(m, T * 1000, G, t0 * 1000);
            // The TypeScript counter stops at its range's top; the SQL one is not capped.
            if (m.range && ts >= m.range.max) return;
            close(m, row[k] as number, ts, `${m.name} T=${T} G=${G}`);
            compared++;
          });
        }
      });
      expect(compared).toBeGreaterThan(0);
    });
  }
});
