import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { renderClusterDdl } from './schema/cluster.js';
import { holderEndpoint } from './lock.js';
import { remoteSql } from './remote-sql.js';
import { returnsRows, splitStatements } from './statements.js';
import { openStore, StoreLockedError, type Store } from './store.js';
import { formatTable } from './table.js';
import { resolveStoreTarget, targetOptions, type StoreTarget } from './target.js';

interface TargetFlags {
  data?: string;
  clickhouse?: string;
}

function targetFlags(cmd: Command): Command {
  return cmd
    .option('--data <dir>', 'embedded store directory (default: $MERIDIAN_DATA or ./data)')
    .option('--clickhouse <url>', 'use a ClickHouse server instead (default: $MERIDIAN_CLICKHOUSE_URL)');
}

/** `--param name=value`, repeatable: bound to `{name:Type}` placeholders, never spliced into SQL. */
function collectParam(value: string, prev: Record<string, string> | undefined): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new Error(`--param: expected name=value, got "${value}"`);
  return { ...prev, [value.slice(0, eq)]: value.slice(eq + 1) };
}

/** Thrown for a store that has not been migrated: says what to run instead of the engine's error. */
export class UnmigratedStoreError extends Error {
  constructor(target: StoreTarget) {
    const where = target.kind === 'embedded' ? `--data ${target.data}` : `--clickhouse ${target.clickhouse}`;
    super(`no Meridian store at ${describe(target)}: it was never migrated. Run: meridian migrate ${where}`);
    this.name = 'UnmigratedStoreError';
  }
}

function describe(t: StoreTarget): string {
  return t.kind === 'embedded' ? `${t.data} (from ${t.from})` : `${t.clickhouse} (from ${t.from})`;
}

/** Opens an existing store for reading: refuses, and creates nothing, where none was ever migrated. */
async function openExisting(target: StoreTarget): Promise<Store> {
  if (target.kind === 'embedded' && !existsSync(target.data)) throw new UnmigratedStoreError(target);
  const store = await openStore(targetOptions(target));
  try {
    const [row] = await store.query<{ ok: number }>(
      "SELECT count() > 0 AS ok FROM system.tables WHERE database = currentDatabase() AND name = 'schema_migrations'",
    );
    if (!row || Number(row.ok) !== 1) throw new UnmigratedStoreError(target);
    return store;
  } catch (err) {
    await store.close();
    throw err;
  }
}

type SqlFormat = 'table' | 'json' | 'jsonl';

function printRows(rows: readonly Record<string, unknown>[], format: SqlFormat): void {
  // One row per line inside the array: valid JSON for jq, still readable, and `[]` when empty.
  if (format === 'json')
    process.stdout.write(rows.length ? `[\n${rows.map((r) => JSON.stringify(r)).join(',\n')}\n]\n` : '[]\n');
  else if (format === 'jsonl') for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
  else process.stdout.write(formatTable(rows));
}

export function registerStoreCommands(program: Command): void {
  targetFlags(
    program
      .command('migrate')
      .description('apply the schema to the store, or print it for a ClickHouse cluster')
      .option(
        '--cluster <name>',
        'render the schema for this ClickHouse cluster (ON CLUSTER, Replicated*, Distributed)',
      )
      .option('--database <name>', 'database for --cluster', 'meridian')
      .option('--print', 'print the DDL instead of applying it (required with --cluster)'),
  ).action(async (flags: TargetFlags & { cluster?: string; database: string; print?: boolean }, cmd: Command) => {
    if (flags.cluster) {
      if (!flags.print)
        cmd.error('--cluster needs --print: review the cluster DDL and apply it with clickhouse-client', {
          exitCode: 2,
        });
      process.stdout.write(renderClusterDdl(flags.cluster, flags.database));
      return;
    }
    if (flags.print) cmd.error('--print needs --cluster NAME', { exitCode: 2 });
    const store = await openStore(targetOptions(resolveStoreTarget({ flags })));
    try {
      const r = await store.migrate();
      console.log(
        `${store.description}: applied ${r.applied.length} migration(s), ${r.skipped.length} already applied`,
      );
      for (const v of r.applied) console.log(`  applied ${v}`);
    } finally {
      await store.close();
    }
  });

  targetFlags(
    program
      .command('sql')
      .description('run one SQL statement against the store and print its rows (the store is named on stderr)')
      .argument('<query>', 'SQL; use {name:Type} placeholders with --param for values')
      .addOption(
        new Option('--format <format>', 'output format: an aligned table, a JSON array, or JSON lines')
          .choices(['table', 'json', 'jsonl'])
          .default('table'),
      )
      .option(
        '--param <name=value>',
        'bind {name:Type} in the query to value, e.g. --param region=eu-west for {region:String} (repeatable)',
        collectParam,
      )
      .option('--multi', 'allow several statements separated by ";" (run in order, each printed)'),
  ).action(
    async (
      query: string,
      flags: TargetFlags & { format: SqlFormat; param?: Record<string, string>; multi?: boolean },
      cmd: Command,
    ) => {
      const statements = splitStatements(query);
      if (statements.length === 0) cmd.error('meridian sql: the query is empty', { exitCode: 2 });
      if (statements.length > 1 && !flags.multi)
        cmd.error(
          `meridian sql: the query holds ${statements.length} statements; run one per call, or pass --multi to run them in order`,
          { exitCode: 2 },
        );
      const target = resolveStoreTarget({ flags });
      let store: Store;
      try {
        store = await openExisting(target);
      } catch (err) {
        const ep =
          err instanceof StoreLockedError && target.kind === 'embedded' ? holderEndpoint(target.data) : undefined;
        if (!ep) throw err;
        process.stderr.write(
          `meridian sql: ${String((err as StoreLockedError).dataDir)} is held by Meridian process ${ep.pid}; querying it through its ClickHouse HTTP endpoint ${ep.url} (read-only)\n`,
        );
        const remote = remoteSql(ep);
        try {
          for (const statement of statements) printRows(await remote.query(statement, flags.param), flags.format);
        } finally {
          await remote.close();
        }
        return;
      }
      process.stderr.write(`meridian sql: ${store.description}\n`);
      try {
        for (const statement of statements) {
          if (returnsRows(statement))
            printRows(await store.query<Record<string, unknown>>(statement, flags.param), flags.format);
          else {
            await store.command(statement, flags.param);
            process.stderr.write(`meridian sql: ok (${statement.split(/\s+/, 1)[0]!.toUpperCase()})\n`);
          }
        }
      } finally {
        await store.close();
      }
    },
  );
}
