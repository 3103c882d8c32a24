import type { StoreTarget } from '@meridian/collector';
import type { Store } from '@meridian/store';

/** Options and I/O of `meridian up` (shared by the twin run and the --real run). */
export interface UpOptions {
  /** Shipped scenario name or YAML path. Default `default`. */
  readonly scenario?: string;
  /** Simulated seconds per wall second. Default 1. */
  readonly speed?: number;
  /** Stop after this much wall time, seconds. Default: run until SIGINT/SIGTERM. */
  readonly durationS?: number;
  readonly data?: string | undefined;
  readonly clickhouse?: string | undefined;
  readonly seed?: number;
  /** The scheduler's API port on 127.0.0.1; 0 picks a free one. Default 8787. */
  readonly port?: number;
  /** The read-only status API port (with /healthz); default port + 1 (0 when port is 0). */
  readonly statusPort?: number;
  readonly real?: boolean;
  /**
   * The embedded store's ClickHouse HTTP endpoint (for Grafana) on 127.0.0.1: default 8123, or 0
   * (any free port) when `port` is 0. Not served for a server store.
   */
  readonly httpPort?: number;
  /** PEM certificate and key: serve that endpoint over HTTPS. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
}

export interface UpIO {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream;
  /** Stops the run, as SIGINT does. */
  readonly signal?: AbortSignal;
  /** Listen for SIGINT/SIGTERM. Default true; tests pass false and use `signal`. */
  readonly handleSignals?: boolean;
  /**
   * Wraps what the store sink writes to. For tests that inject write failures (a full disk) without
   * filling a real one; default: the store itself.
   */
  readonly sinkTarget?: (store: Store) => StoreTarget;
}
