/**
 * `meridian topology apply FILE [--data DIR | --clickhouse URL]`: declares the real fabric (regions,
 * links, hosts) in the twin's scenario schema. A bad file names the key and the line and exits 2.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { applyTopology } from './apply.js';
import { parseTopology, TopologyError } from './parse.js';

interface ApplyFlags {
  data?: string;
  clickhouse?: string;
}

export function registerTopologyCommand(program: Command): void {
  const topology = program.command('topology').description("the fabric's regions, links and hosts");
  topology
    .command('apply')
    .description('write a topology file (regions, links, hosts) into the store; unchanged files write nothing')
    .argument('<file>', 'topology YAML (the twin scenario schema: regions, links, hosts)')
    .option('--data <dir>', 'embedded store directory (default: $MERIDIAN_DATA or ./data)')
    .option('--clickhouse <url>', 'use a ClickHouse server instead (default: $MERIDIAN_CLICKHOUSE_URL)')
    .action(async (file: string, flags: ApplyFlags, cmd: Command) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        cmd.error(`meridian topology apply: ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
          exitCode: 2,
        });
      }
      let t;
      try {
        t = parseTopology(text, file);
      } catch (err) {
        if (err instanceof TopologyError)
          cmd.error(`meridian topology apply: ${err.problems.map((p) => `${file}: ${p}`).join('\n')}`, {
            exitCode: 2,
          });
        throw err;
      }
      const { openStore, resolveStoreTarget, targetOptions } = await import('@meridian/store');
      const store = await openStore(targetOptions(resolveStoreTarget({ flags })));
      try {
        await store.migrate();
        const r = await applyTopology(store, t);
        console.log(
          r.changed
            ? `topology: ${t.regions.length} region(s), ${t.links.length} link(s), ${t.hosts.length} host rule(s) written to ${store.description} as of ${new Date(r.updated).toISOString()}${r.removed.length ? `; removed ${r.removed.join(', ')}` : ''}`
            : `topology: unchanged (${store.description} already holds this topology); nothing written`,
        );
      } finally {
        await store.close();
      }
    });
}
