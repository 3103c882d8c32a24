#!/usr/bin/env node
/**
 * The one `meridian` command. Each subcommand is registered by the workspace that owns it, so this
 * file only assembles them and maps usage errors to exit code 2.
 */
import { Command, CommanderError } from 'commander';
import { registerStoreCommands } from '@meridian/store';
import { registerParseCommand } from '@meridian/collector';

const program = new Command('meridian')
  .description('Observability and control plane for multi-region AI compute fabrics')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerStoreCommands(program);
registerParseCommand(program);
// Workspaces register their commands here: collect and parse (collector), schedule (scheduler), up (sim).

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and version are "errors" to commander but not to the user.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
      process.exit(0);
    }
    process.exit(2);
  }
  console.error(`meridian: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
