#!/usr/bin/env node
/**
 * The one `meridian` command. Each subcommand is registered by the workspace that owns it; this file
 * only assembles them and maps usage errors to exit code 2.
 *
 * Workspaces are imported lazily, by the command being run: the collector on a GPU host must not pay
 * for the scheduler's solver, the twin or the embedded engine (its RSS budget is 80 MB).
 */
import { Command, CommanderError } from 'commander';

type Register = (program: Command) => void;

const WORKSPACES: Record<string, { commands: string[]; load: () => Promise<Register[]> }> = {
  store: {
    commands: ['migrate', 'sql'],
    load: async () => [(await import('@meridian/store')).registerStoreCommands],
  },
  collector: {
    commands: ['collect', 'parse'],
    load: async () => {
      const m = await import('@meridian/collector');
      return [m.registerCollectCommand, m.registerParseCommand];
    },
  },
  scheduler: {
    commands: ['schedule'],
    load: async () => {
      const { registerScheduleCommand } = await import('@meridian/scheduler');
      // --whatif needs the twin: injected here (the scheduler never imports it), loaded only then.
      return [(p) => registerScheduleCommand(p, { whatIf: async () => (await import('@meridian/app')).whatIfEngine })];
    },
  },
  fabric: {
    commands: ['observe', 'topology'],
    load: async () => {
      const m = await import('@meridian/fabric');
      return [m.registerObserveCommand, m.registerTopologyCommand];
    },
  },
  app: {
    commands: ['up', 'serve'],
    load: async () => {
      const m = await import('@meridian/app');
      return [m.registerUpCommand, m.registerServeCommand];
    },
  },
};

// `meridian … | head` closes the pipe early: that is the reader saying it has enough, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

const program = new Command('meridian')
  .description('Observability and control plane for multi-region AI compute fabrics')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

const requested = process.argv.slice(2).find((a) => !a.startsWith('-'));
const owners = Object.values(WORKSPACES).filter((w) => requested !== undefined && w.commands.includes(requested));
// An unknown or missing command gets the full list, so help and "did you mean" see every command.
for (const w of owners.length ? owners : Object.values(WORKSPACES)) {
  for (const register of await w.load()) register(program);
}

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
