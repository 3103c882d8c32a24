import { insertSettings, type Store } from '@meridian/store';

/**
 * A yardstick statement of bench:ingest and bench:sim: the engine re-inserting rows it already
 * stored (copied first to a table without views), moved by whole days so that no block repeats an
 * earlier one. Bound parameters: {days:UInt32} and the source window {a:Int64}, {b:Int64} (epoch ms,
 * the stored ts).
 */
export function shiftedInsertSql(target: string, source: string): string {
  // The subquery keeps the WHERE on the stored ts: a REPLACE alias named ts would capture it.
  return `INSERT INTO ${target} SELECT * REPLACE (ts + toIntervalDay({days:UInt32}) AS ts) FROM (SELECT * FROM ${source}
          WHERE ts >= fromUnixTimestamp64Milli({a:Int64}) AND ts < fromUnixTimestamp64Milli({b:Int64}))`;
}

/**
 * A yardstick's INSERT … SELECT, with the settings the writer's inserts carry (insertSettings: the
 * rollup views side by side, `token` as the dedup token, '' for none), so the engine is measured at
 * its best, as the writer is, with no client at all.
 */
export async function engineInsert(
  store: Store,
  query: string,
  params: Record<string, unknown> = {},
  token = '',
): Promise<void> {
  await store.client.command({ query, query_params: params, clickhouse_settings: insertSettings(token) });
}
