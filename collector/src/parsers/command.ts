/**
 * `meridian parse <kind> FILE`: prints, as JSON lines, the catalog records the collector would store
 * from a captured tool output. Usage problems (unknown kind, unreadable file) exit 2 and name the
 * culprit; a document with problems still prints what could be read, with the problems on stderr.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { isParseKind, parseOutput, PARSE_KINDS } from './index.js';
import { toJsonRecord } from './record.js';

export interface ParseIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

const defaultIo: ParseIo = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
};

async function readInput(file: string): Promise<string> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  return readFile(file, 'utf8');
}

/**
 * Runs the command and returns its exit code: 0 when records were printed (or the input was simply
 * empty of records without errors), 1 when the document was unusable, 2 on a usage error.
 */
export async function runParse(
  kind: string,
  file: string,
  opts: { iface?: string } = {},
  io: ParseIo = defaultIo,
): Promise<number> {
  if (!isParseKind(kind)) {
    io.err(`meridian parse: unknown kind "${kind}" (kinds: ${PARSE_KINDS.join(', ')})`);
    return 2;
  }
  let text: string;
  try {
    text = await readInput(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    io.err(`meridian parse: cannot read file "${file}"${code ? ` (${code})` : ''}`);
    return 2;
  }
  const result = parseOutput(kind, text, opts.iface ? { iface: opts.iface } : {});
  for (const r of result.records) io.out(JSON.stringify(toJsonRecord(r)));
  for (const e of result.errors) {
    io.err(`meridian parse: ${file}${e.line !== undefined ? `:${e.line}` : ''}: ${e.field}: ${e.message}`);
  }
  return result.records.length === 0 && result.errors.length > 0 ? 1 : 0;
}

export function registerParseCommand(program: Command): void {
  program
    .command('parse')
    .description('Print, as JSON lines, the catalog records the collector would store from a captured tool output')
    .argument('<kind>', `output kind: ${PARSE_KINDS.join(', ')}`)
    .argument('<file>', 'file holding the captured output ("-" reads stdin)')
    .option('--interface <name>', 'interface name for ethtool outputs that do not carry one')
    .action(async (kind: string, file: string, opts: { interface?: string }) => {
      // A closed pipe (`meridian parse … | head`) is handled once, by the meridian command itself.
      const code = await runParse(kind, file, opts.interface ? { iface: opts.interface } : {});
      if (code !== 0) process.exitCode = code;
    });
}
