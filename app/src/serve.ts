/**
 * ClickHouse's HTTP interface for an embedded store: `meridian serve` for a store that nothing else
 * holds, and what `meridian up` serves beside its APIs. The endpoint is recorded next to the store's
 * lock, so `meridian sql` on the same directory goes through it while this process holds the store.
 */
import { InvalidArgumentError, type Command } from 'commander';
import {
  DEFAULT_HTTP_PORT,
  openStore,
  recordEndpoint,
  resolveStoreTarget,
  startClickHouseHttp,
  type ClickHouseHttpServer,
} from '@meridian/store';

export interface ServedStore {
  readonly server: ClickHouseHttpServer;
  /** One line: where it listens, the user and the password file. */
  readonly banner: string;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** Default 8123; 0 for any free port. */
  readonly port?: number | undefined;
  readonly host?: string;
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
}

/** Serves the store at `dataDir`, which this process must already hold (openStore). */
export async function serveEmbedded(dataDir: string, opts: ServeOptions = {}): Promise<ServedStore> {
  const port = opts.port ?? DEFAULT_HTTP_PORT;
  let server: ClickHouseHttpServer;
  try {
    server = await startClickHouseHttp({
      dataDir,
      port,
      ...(opts.host ? { host: opts.host } : {}),
      ...(opts.tls ? { tls: opts.tls } : {}),
    });
  } catch (err) {
    throw new Error(
      `cannot serve ClickHouse's HTTP interface on ${opts.host ?? '127.0.0.1'}:${port} (${err instanceof Error ? err.message : String(err)}); pass --http-port (0: any free port)`,
      { cause: err },
    );
  }
  const forget = recordEndpoint(dataDir, { url: server.url, user: server.user, passwordFile: server.passwordFile });
  return {
    server,
    banner: `ClickHouse HTTP (read-only, for Grafana): ${server.url} · user ${server.user} · password in ${server.passwordFile}`,
    close: async () => {
      forget();
      await server.close();
    },
  };
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('--http-port must be an integer 0..65535');
  return n;
}

/** --http-port, --tls-cert and --tls-key, shared by `serve` and `up`. */
export function httpFlags(cmd: Command): Command {
  return cmd
    .option(
      '--http-port <n>',
      "the embedded store's ClickHouse HTTP port on 127.0.0.1 (default 8123; 0: any free port)",
      parsePort,
    )
    .option('--tls-cert <file>', 'PEM certificate: serve that port over HTTPS (with --tls-key)')
    .option('--tls-key <file>', 'PEM private key for --tls-cert');
}

export interface HttpFlags {
  httpPort?: number;
  tlsCert?: string;
  tlsKey?: string;
}

/** The TLS pair, or an error naming the missing half. */
export function tlsFrom(f: HttpFlags): { certFile: string; keyFile: string } | undefined {
  if (!f.tlsCert && !f.tlsKey) return undefined;
  if (!f.tlsCert || !f.tlsKey)
    throw new InvalidArgumentError(
      `--tls-${f.tlsCert ? 'key' : 'cert'} is missing: TLS needs both --tls-cert and --tls-key`,
    );
  return { certFile: f.tlsCert, keyFile: f.tlsKey };
}

export function registerServeCommand(program: Command): void {
  httpFlags(
    program
      .command('serve')
      .description(
        "serve ClickHouse's HTTP interface (read-only user, password file 0600) for an embedded store that no other process holds",
      )
      .option('--data <dir>', 'embedded store directory (default $MERIDIAN_DATA or ./data)'),
  ).action(async (flags: HttpFlags & { data?: string }, cmd: Command) => {
    const target = resolveStoreTarget({ flags: { ...(flags.data ? { data: flags.data } : {}) } });
    if (target.kind !== 'embedded')
      cmd.error(
        `meridian serve: ${target.from} names a ClickHouse server, which serves HTTP itself; serve is for an embedded store`,
        {
          exitCode: 2,
        },
      );
    let tls;
    try {
      tls = tlsFrom(flags);
    } catch (err) {
      cmd.error(`meridian serve: ${(err as Error).message}`, { exitCode: 2 });
    }
    // Takes the store's lock: a directory another process holds is refused here, with its holder.
    const store = await openStore({ data: target.data });
    let served: ServedStore | undefined;
    try {
      served = await serveEmbedded(target.data, { port: flags.httpPort, ...(tls ? { tls } : {}) });
      process.stdout.write(`meridian serve: ${store.description}\n${served.banner}\nCtrl-C stops it\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
    } finally {
      await served?.close();
      await store.close();
    }
  });
}
