/**
 * What the prober election reads from the store: the hosts that reported recently (the 1-minute host
 * rollup, so the read is a few rows per host whatever the sample rate), and the topology's links and
 * host → region assignments. Bound parameters only; the twin's rows (`source = 'sim'`) are left out,
 * since no collector runs on a simulated host.
 */
import { rollupTable } from '@meridian/catalog';
import type { RosterInput } from './roster.js';

/** The one store call the election needs (the store's `query`, or the agent's reconnecting store). */
export type RosterQuery = <T>(sql: string, params?: Record<string, unknown>) => Promise<T[]>;

export async function readRosterInput(query: RosterQuery, staleAfterMs: number): Promise<RosterInput> {
  const hosts = await query<{ region: string; host: string }>(
    `SELECT region, host FROM ${rollupTable('host', '1m')}
     WHERE ts >= toStartOfMinute(now64(3, 'UTC') - toIntervalMillisecond({stale:UInt32})) AND source != 'sim'
     GROUP BY region, host ORDER BY region, host`,
    { stale: staleAfterMs },
  );
  const links = await query<{ region: string; region_to: string }>(
    `SELECT argMax(region, updated) AS region, argMax(region_to, updated) AS region_to
     FROM topology WHERE kind = 'link' AND source != 'sim' GROUP BY id ORDER BY id`,
  );
  const declared = await query<{ host: string; region: string }>(
    `SELECT id AS host, argMax(region, updated) AS region
     FROM topology WHERE kind = 'host' AND source != 'sim' GROUP BY id ORDER BY id`,
  );
  const declaredHosts = new Map<string, Set<string>>();
  for (const d of declared) declaredHosts.set(d.region, (declaredHosts.get(d.region) ?? new Set()).add(d.host));
  return {
    hosts,
    links: links.filter((l) => l.region_to !== '').map((l) => ({ region: l.region, regionTo: l.region_to })),
    declaredHosts,
  };
}
