import { Option, type Command } from 'commander';
import { renderClusterDdl } from './schema/cluster.js';
import { openStore } from './store.js';
import { formatTable } from './table.js';
import type { StoreOptions } from './types.js';

interface TargetFlags {
  data?: string;
  clickhouse?: string;
}

function targetOptions(cmd: Command): Command {
  return cmd
    .option('--data <dir>', 'embedded store directory (default: $MERIDIAN_DATA or ./data)')
    .option('--clickhouse <url>', 'use a ClickHouse server instead (default: $MERIDIAN_CLICKHOUSE_URL)');
}

function storeOptions(f: TargetFlags): StoreOptions {
  return { ...(f.data ? { data: f.data } : {}), ...(f.clickhouse ? { clickhouse: f.clickhouse } : {}) };
}

/** `--param name=value`, repeatable: bound to `{name:Type}` placeholders, never spliced into SQL. */
function collectParam(value: string, prev: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new Error(`--param: expected name=value, got "${value}"`);
  return { ...prev, [value.slice(0, eq)]: value.slice(eq + 1) };
}

export function registerStoreCommands(program: Command): void {
  targetOptions(
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
    const store = await openStore(storeOptions(flags));
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

  targetOptions(
    program
      .command('sql')
      .description('run a query against the store and print the rows')
      .argument('<query>', 'SQL; use {name:Type} placeholders with --param for values')
      .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
      .option('--param <name=value>', 'bind a query parameter (repeatable)', collectParam, {}),
  ).action(async (query: string, flags: TargetFlags & { format: 'table' | 'json'; param: Record<string, string> }) => {
    const store = await openStore(storeOptions(flags));
    try {
      const rows = await store.query<Record<string, unknown>>(query, flags.param);
      if (flags.format === 'json') for (const r of rows) console.log(JSON.stringify(r));
      else process.stdout.write(formatTable(rows));
    } finally {
      await store.close();
    }
  });
}
