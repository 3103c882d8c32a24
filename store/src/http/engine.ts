/**
 * Where HTTP queries run: chDB sessions of their own on the store's directory, in this process
 * beside the writer. chDB lets several connections share one data directory, each with its own
 * settings, and runs their queries in parallel off the event loop, so a dashboard read neither waits
 * for nor blocks the writer (only queries with bound parameters are serialised: chDB runs all of
 * those, the writer's included, one at a time because its parameter state is not per connection).
 *
 * Read-only is the engine's: each session applies the request's settings and then `SET readonly = 1`,
 * which the engine enforces on every statement (writes, DDL, table functions, SETTINGS clauses and
 * any later change of a setting all fail with code 164). Sessions are pooled by their settings and
 * database, so the usual dashboard request (the same settings each time) pays no set-up.
 *
 * Cancelling: chDB cannot interrupt a running call, but the engine honours KILL QUERY from another
 * connection. Each query ends with a comment carrying a random marker; when its client goes away
 * the query is killed by that marker (it stops within the engine's next check, ~100 ms) and its
 * session is dropped. A query still waiting for a slot is never started.
 */
import { randomUUID } from 'node:crypto';
import type { Session as ChdbSession } from 'chdb';
import { returnsRows } from '../statements.js';
import { ClickHouseHttpError } from './errors.js';
import type { HttpQuery } from './params.js';

export interface ReadEngineOptions {
  readonly dataDir: string;
  /** Queries run at once; more wait in line. */
  readonly maxConcurrent?: number;
  /** Queries waiting for a slot; more are refused (TOO_MANY_SIMULTANEOUS_QUERIES). */
  readonly maxQueued?: number;
  /** The longest any query may run (max_execution_time above it, or 0, is lowered to it). */
  readonly maxExecutionS?: number;
  /** Idle sessions kept for reuse. */
  readonly maxIdleSessions?: number;
}

export interface ReadResult {
  readonly body: Buffer;
  readonly rowsRead: number;
  readonly bytesRead: number;
  readonly elapsedS: number;
}

/** The default cap on one answer (the engine's max_result_bytes); a request may set its own. */
export const DEFAULT_MAX_RESULT_BYTES = 512 * 1024 * 1024;

type SessionCtor = new (path: string) => ChdbSession;

/** A ClickHouse string literal for a setting's value. */
function literal(v: string): string {
  if (v.includes('\0')) throw ClickHouseHttpError.of('BAD_ARGUMENTS', 'a setting value contains a NUL byte');
  return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
  signal: AbortSignal;
  onAbort: () => void;
}

export class ReadEngine {
  private active = 0;
  private readonly queue: Waiter[] = [];
  private readonly idle: { key: string; session: ChdbSession }[] = [];
  private admin: ChdbSession | undefined;
  private closed = false;
  private readonly maxConcurrent: number;
  private readonly maxQueued: number;
  private readonly maxExecutionS: number;
  private readonly maxIdle: number;

  private constructor(
    private readonly Session: SessionCtor,
    private readonly dataDir: string,
    opts: ReadEngineOptions,
  ) {
    this.maxConcurrent = opts.maxConcurrent ?? 4;
    this.maxQueued = opts.maxQueued ?? 512;
    this.maxExecutionS = opts.maxExecutionS ?? 60;
    this.maxIdle = opts.maxIdleSessions ?? 16;
  }

  /** chDB is imported here, so a process that never serves HTTP never loads it for this. */
  static async open(opts: ReadEngineOptions): Promise<ReadEngine> {
    const { Session } = await import('chdb');
    return new ReadEngine(Session as SessionCtor, opts.dataDir, opts);
  }

  async run(q: HttpQuery, signal: AbortSignal): Promise<ReadResult> {
    await this.slot(signal);
    try {
      const key = JSON.stringify([q.database ?? '', Object.entries(q.settings).sort()]);
      const session = this.take(key) ?? (await this.fresh(q));
      let reusable = false;
      const marker = randomUUID();
      const onAbort = (): void => void this.kill(marker);
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        // The marker goes last, on its own line, so syntax errors keep their positions.
        const sql = `${q.sql}\n/* meridian-http:${marker} */`;
        const opts = { format: q.defaultFormat, signal };
        const r =
          Object.keys(q.params).length > 0
            ? await session.queryBindAsync(sql, q.params, opts)
            : await session.queryAsync(sql, opts);
        // USE and the like change the session; only a plain read leaves it as it was set up.
        reusable = returnsRows(q.sql);
        const bytes = r.bytes();
        return {
          body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
          rowsRead: r.rowsRead,
          bytesRead: r.bytesRead,
          elapsedS: r.elapsed,
        };
      } finally {
        signal.removeEventListener('abort', onAbort);
        if (reusable && !signal.aborted && !this.closed) this.put(key, session);
        else session.close(); // chDB defers the teardown until a killed query has drained
      }
    } finally {
      this.release();
    }
  }

  private async fresh(q: HttpQuery): Promise<ChdbSession> {
    const s = new this.Session(this.dataDir);
    try {
      const settings = { ...q.settings };
      // A result is built whole in this process's memory before it is sent: bounded unless asked.
      settings.max_result_bytes ??= String(DEFAULT_MAX_RESULT_BYTES);
      const asked = Number(settings.max_execution_time ?? 0);
      if (!(asked > 0 && asked <= this.maxExecutionS)) settings.max_execution_time = String(this.maxExecutionS);
      const list = Object.entries(settings).map(([k, v]) => `${k} = ${literal(v)}`);
      await s.queryAsync(`SET ${list.join(', ')}`);
      if (q.database) await s.queryAsync(`USE ${q.database}`);
      // Last: from here the engine refuses writes, DDL, table functions and any change of a setting.
      await s.queryAsync('SET readonly = 1');
      return s;
    } catch (err) {
      s.close();
      throw err;
    }
  }

  private take(key: string): ChdbSession | undefined {
    const i = this.idle.findIndex((e) => e.key === key);
    return i < 0 ? undefined : this.idle.splice(i, 1)[0]!.session;
  }

  private put(key: string, session: ChdbSession): void {
    this.idle.push({ key, session });
    while (this.idle.length > this.maxIdle) this.idle.shift()!.session.close();
  }

  /** Kills the query that carries `marker`, from a connection of our own that is not read-only. */
  private async kill(marker: string): Promise<void> {
    try {
      this.admin ??= new this.Session(this.dataDir);
      // The marker is split in the KILL's own text, so the KILL does not match itself.
      await this.admin.queryAsync(
        `KILL QUERY WHERE endsWith(query, concat('meridian-http:', '${marker}', ' */')) ASYNC`,
      );
    } catch {
      // Best effort: the query then runs to its end or to max_execution_time, and its answer is dropped.
    }
  }

  private async slot(signal: AbortSignal): Promise<void> {
    if (this.closed) throw ClickHouseHttpError.of('QUERY_WAS_CANCELLED', 'the endpoint is shutting down');
    if (this.active < this.maxConcurrent) {
      this.active++;
      return;
    }
    if (this.queue.length >= this.maxQueued)
      throw ClickHouseHttpError.of(
        'TOO_MANY_SIMULTANEOUS_QUERIES',
        `Too many simultaneous queries: ${this.active} running and ${this.queue.length} waiting`,
      );
    await new Promise<void>((resolve, reject) => {
      const w: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          this.queue.splice(this.queue.indexOf(w), 1);
          reject(ClickHouseHttpError.of('QUERY_WAS_CANCELLED', 'the client went away before the query started'));
        },
      };
      signal.addEventListener('abort', w.onAbort, { once: true });
      this.queue.push(w);
    });
  }

  private release(): void {
    const next = this.queue.shift();
    if (next) {
      next.signal.removeEventListener('abort', next.onAbort);
      next.resolve(); // the slot passes on: active stays the same
    } else this.active--;
  }

  /** How many queries run and wait now (for tests and the status line). */
  load(): { running: number; waiting: number; idleSessions: number } {
    return { running: this.active, waiting: this.queue.length, idleSessions: this.idle.length };
  }

  close(): void {
    this.closed = true;
    for (const w of this.queue.splice(0)) {
      w.signal.removeEventListener('abort', w.onAbort);
      w.reject(ClickHouseHttpError.of('QUERY_WAS_CANCELLED', 'the endpoint is shutting down'));
    }
    for (const e of this.idle.splice(0)) e.session.close();
    this.admin?.close();
    this.admin = undefined;
  }
}
