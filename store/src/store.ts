import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  ClickHouseError,
  ClickHouseLogLevel,
  createClient,
  type ClickHouseClient,
  type ClickHouseSettings,
} from '@clickhouse/client';
import { FIRST_IN_MINUTE, rawTable, type Entity } from '@meridian/catalog';
import { acquireLock, StoreLockedError } from './lock.js';
import { BlockBuffers } from './block-buffers.js';
import { IncreaseTracker } from './increments.js';
import { rowsToColumns, type SampleColumns } from './columns.js';
import { finishBlock } from './native.js';
import { prepareBatch, type PreparedBatch } from './prepare.js';
import { describeTarget, resolveStoreOptions, type ResolvedStoreOptions } from './options.js';
import type { AuxTable, TableRows } from './schema/aux.js';
import { migrationChecksum, migrations, migrationsTableDdl } from './schema/migrations.js';
import type {
  MigrationResult,
  PreparedWrite,
  QueryParams,
  RowError,
  SampleWriter,
  StoreOptions,
  WriteOptions,
  WriteResult,
} from './types.js';
import { validateColumns } from './validate-columns.js';
import { validateSampleRows } from './validate.js';

export { resolveStoreOptions, StoreLockedError };

type ChdbAsClientConnection = NonNullable<Parameters<typeof createClient>[0]>['connection'];

export interface Store {
  readonly target: 'embedded' | 'server';
  /** Where the store is, safe to print (never contains the password). */
  readonly description: string;
  /** The underlying @clickhouse/client, for callers that need streaming or raw access. */
  readonly client: ClickHouseClient;
  migrate(): Promise<MigrationResult>;
  writer(entity: Entity): SampleWriter;
  insert<T extends AuxTable>(table: T, rows: readonly TableRows[T][], opts?: WriteOptions): Promise<void>;
  /** Runs a SELECT with bound `{name:Type}` parameters and returns its rows. */
  query<T = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<T[]>;
  /** Runs a statement that returns no rows, with bound parameters. */
  command(sql: string, params?: QueryParams): Promise<void>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Every write states these explicitly: recent servers turn async_insert on by default, and the
 * rollups only deduplicate a retried batch when dependent views are told to. The rollup views of a
 * sample table (per series and per region, each cascading) are independent of one another, so the
 * engine runs them side by side rather than one after another: on 2 cores a 100,000-row GPU insert
 * went from 146-160 k to 178-210 k rows/s (bench:ingest). It changes when the views run, not what
 * they compute, nor how a retried block is deduplicated.
 */
export function insertSettings(token: string): ClickHouseSettings {
  return {
    async_insert: 0,
    insert_deduplicate: 1,
    deduplicate_blocks_in_dependent_materialized_views: 1,
    parallel_view_processing: 1,
    insert_deduplication_token: token,
  };
}

const TS_FIELDS = new Set(['ts', 'updated', 'ts_end']);

/** DateTime64 text in UTC; JSON numbers would be read as seconds, not our milliseconds. */
function formatTs(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

function isChdbLockError(err: unknown): boolean {
  const text =
    err instanceof Error ? `${err.message} ${String((err as { cause?: unknown }).cause ?? '')}` : String(err);
  return /Cannot lock file|Another server instance|only one active data directory/i.test(text);
}

/** How long a store without the derived columns is taken at its word before it is asked again. */
const DERIVED_RECHECK_MS = 5 * 60_000;

class ClickHouseStore implements Store {
  readonly target: 'embedded' | 'server';
  readonly description: string;
  private readonly writers = new Map<Entity, SampleWriter>();
  /** Per raw table: whether it has the derived columns (migration 0004), and when that was asked. */
  private readonly hasDerived = new Map<string, { has: boolean; at: number }>();
  private closed = false;

  constructor(
    readonly client: ClickHouseClient,
    private readonly opts: ResolvedStoreOptions,
    private readonly release: () => void,
    private readonly attempts: number,
  ) {
    this.target = opts.target;
    this.description = describeTarget(opts);
  }

  async migrate(): Promise<MigrationResult> {
    await this.client.command({ query: migrationsTableDdl({}) });
    const done = await this.query<{ version: string; checksum: string }>(
      'SELECT version, argMax(checksum, applied_at) AS checksum FROM schema_migrations GROUP BY version',
    );
    const applied = new Map(done.map((r) => [r.version, r.checksum]));
    const result: { applied: string[]; skipped: string[] } = { applied: [], skipped: [] };
    for (const m of migrations) {
      const sum = migrationChecksum(m);
      const prior = applied.get(m.version);
      if (prior !== undefined) {
        if (prior !== sum) {
          throw new Error(
            `migration ${m.version} was applied with checksum ${prior} but the code now has ${sum}: ` +
              'applied migrations must not change; add a new migration instead',
          );
        }
        result.skipped.push(m.version);
        continue;
      }
      for (const stmt of m.statements({})) await this.client.command({ query: stmt });
      await this.insertJson('schema_migrations', [
        { version: m.version, description: m.description, checksum: sum, applied_at: formatTs(Date.now()) },
      ]);
      result.applied.push(m.version);
    }
    this.hasDerived.clear();
    return result;
  }

  writer(entity: Entity): SampleWriter {
    let w = this.writers.get(entity);
    if (!w) {
      const table = rawTable(entity);
      // One tracker per writer: it remembers the previous sample of each series this writer wrote.
      const tracker = new IncreaseTracker(entity);
      const buffers = new BlockBuffers();
      const alloc = (size: number): Buffer => buffers.take(size);
      // Both APIs validate their own way (same errors), then share the rest of the path.
      const prepare = (valid: SampleColumns, errors: readonly RowError[], opts: WriteOptions): PreparedWrite => {
        if (valid.rows === 0) {
          const result = { written: 0, rejected: errors, token: opts.token ?? '' };
          return { rows: 0, write: () => Promise.resolve(result) };
        }
        const p = prepareBatch(entity, tracker, valid, errors, opts.token, alloc);
        // Once the insert has succeeded the block's buffer goes back to `buffers` for the next
        // block, so a later call must not insert it again: it answers what the first one did.
        let done: WriteResult | undefined;
        const write = async (): Promise<WriteResult> => {
          if (done) return done;
          done = await this.writePrepared(table, tracker, p);
          buffers.give(p.base.buf);
          return done;
        };
        return { rows: p.batch.rows, write };
      };
      const prepareColumns = (batch: SampleColumns, opts: WriteOptions = {}): PreparedWrite => {
        const { batch: valid, errors } = validateColumns(entity, batch);
        return prepare(valid, errors, opts);
      };
      w = {
        entity,
        table,
        // The row API: rows are validated as before (same errors), then written as columns.
        write: async (rows, opts = {}) => {
          const { valid, errors, present } = validateSampleRows(entity, rows);
          return prepare(rowsToColumns(entity, valid, present), errors, opts).write();
        },
        writeColumns: async (batch, opts) => prepareColumns(batch, opts).write(),
        prepareColumns,
      };
      this.writers.set(entity, w);
    }
    return w;
  }

  /**
   * Derives the batch's increases from what the tracker holds now (the batches written before it),
   * finishes the block and inserts it; the tracker moves on only if the insert succeeded.
   */
  private async writePrepared(table: string, tracker: IncreaseTracker, p: PreparedBatch): Promise<WriteResult> {
    const derived = (await this.derivesFor(table)) ? tracker.derive(p.batch, p.series, p.order) : undefined;
    const { body, columns } = finishBlock(p.base, derived);
    await this.insertBlock(table, columns.join(', '), body, insertSettings(p.token));
    derived?.commit();
    return { written: p.batch.rows, rejected: p.errors, token: p.token };
  }

  private async insertBlock(table: string, cols: string, body: Buffer, settings: ClickHouseSettings): Promise<void> {
    if (this.opts.target === 'embedded') {
      // chDB's connection turns an exec body into a string, which would corrupt binary data, so the
      // block goes through a file the engine reads itself: still no text formatting or parsing.
      const dir = path.join(this.opts.data, 'ingest-tmp');
      mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `${randomUUID()}.native`);
      // The write is inside the try: on a full disk it fails part way and leaves a partial file,
      // which the finally removes like any other.
      try {
        writeFileSync(file, body);
        await this.withRetry(() =>
          this.client.command({
            query: `INSERT INTO ${table} (${cols}) SELECT ${cols} FROM file({file:String}, 'Native')`,
            query_params: { file },
            clickhouse_settings: settings,
          }),
        );
      } finally {
        rmSync(file, { force: true });
      }
      return;
    }
    await this.withRetry(async () => {
      const res = await this.client.exec({
        query: `INSERT INTO ${table} (${cols}) FORMAT Native`,
        values: Readable.from([body]),
        clickhouse_settings: settings,
      });
      res.stream.resume();
    });
  }

  /**
   * Whether the raw table has the columns the writer derives. A store not yet migrated to 0004 (a
   * server an operator migrates by hand) still takes the rows, without increases, rather than
   * refusing every batch.
   */
  private async derivesFor(table: string): Promise<boolean> {
    const known = this.hasDerived.get(table);
    // A "no" is asked again after a while: an operator may migrate a server under running collectors.
    if (known && (known.has || Date.now() - known.at < DERIVED_RECHECK_MS)) return known.has;
    const r = await this.withRetry(() =>
      this.query<{ n: number | string }>(
        'SELECT count() AS n FROM system.columns WHERE database = currentDatabase() AND table = {t:String} AND name = {c:String}',
        { t: table, c: FIRST_IN_MINUTE },
      ),
    );
    const has = Number(r[0]?.n ?? 0) > 0;
    this.hasDerived.set(table, { has, at: Date.now() });
    return has;
  }

  /**
   * Retries a write whose transport failed. The engine may already have committed it (the reply was
   * lost), which is why every write carries a deduplication token: the retry then lands nothing.
   * Errors the engine itself returned (bad SQL, bad data) are not retried.
   */
  private async withRetry<R>(op: () => Promise<R>): Promise<R> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await op();
      } catch (err) {
        if (attempt >= this.attempts || err instanceof ClickHouseError) throw err;
        await new Promise((r) => setTimeout(r, 50 * 2 ** (attempt - 1)));
      }
    }
  }

  async insert<T extends AuxTable>(table: T, rows: readonly TableRows[T][], opts: WriteOptions = {}): Promise<void> {
    if (rows.length === 0) return;
    const values = rows.map((r) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(r)) out[k] = TS_FIELDS.has(k) && typeof v === 'number' ? formatTs(v) : v;
      return out;
    });
    await this.insertJson(table, values, opts.token);
  }

  private async insertJson(table: string, values: Record<string, unknown>[], token?: string): Promise<void> {
    const tok = token ?? `sha1:${createHash('sha1').update(JSON.stringify(values)).digest('hex')}`;
    await this.withRetry(() =>
      this.client.insert({
        table,
        values,
        format: 'JSONEachRow',
        clickhouse_settings: { ...insertSettings(tok), input_format_skip_unknown_fields: 0 },
      }),
    );
  }

  async query<T>(sql: string, params?: QueryParams): Promise<T[]> {
    const rs = await this.client.query({
      query: sql,
      format: 'JSONEachRow',
      ...(params ? { query_params: params } : {}),
    });
    return rs.json<T>();
  }

  async command(sql: string, params?: QueryParams): Promise<void> {
    await this.client.command({ query: sql, ...(params ? { query_params: params } : {}) });
  }

  async ping(): Promise<boolean> {
    const r = await this.client.ping();
    return r.success;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.client.close();
      // chDB's close() returns before a connection with a call still running on it (a query that
      // timed out or was aborted keeps computing) is destroyed, and until then no store may open at
      // another directory in this process. Wait for it here, so closing means closed.
      if (this.opts.target === 'embedded') await (await import('chdb')).drainPending();
    } finally {
      this.release();
    }
  }
}

/**
 * chDB applies a statement's settings with SET, so they outlive it in the session: a writer batch's
 * insert_deduplication_token would stick to every later INSERT … SELECT or exec on the same
 * connection, and the engine would drop those as duplicates of that batch. Every statement that can
 * insert therefore states the token, empty unless its caller sets one. A server takes settings per
 * request and needs none of this.
 */
function isolateInsertSettings<C extends object>(conn: C): C {
  return new Proxy(conn, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== 'function') return value;
      // chDB's methods check their receiver, so they are called on the real connection.
      const fn = (value as (p: unknown) => unknown).bind(target);
      if (prop !== 'command' && prop !== 'exec' && prop !== 'insert') return fn;
      return (params: { clickhouse_settings?: Record<string, unknown> }) =>
        fn({ ...params, clickhouse_settings: { insert_deduplication_token: '', ...params.clickhouse_settings } });
    },
  });
}

/**
 * Opens the store. The embedded engine is imported only here and only when asked for, so a
 * collector writing to a server never pays chDB's ~200 MB of memory.
 */
export async function openStore(options: StoreOptions = {}): Promise<Store> {
  const opts = resolveStoreOptions(options);
  const attempts = options.writeAttempts ?? 3;
  if (opts.target === 'embedded') {
    const release = acquireLock(opts.data);
    try {
      const { createChdbConnection } = await import('chdb/connection');
      // chdb implements @clickhouse/client-common's Connection; @clickhouse/client bundles its own copy
      // of those types, identical in shape but nominally distinct, hence the cast.
      const raw = isolateInsertSettings(
        createChdbConnection({ path: opts.data }) as unknown as ChdbAsClientConnection & object,
      );
      const connection = options.wrapConnection ? options.wrapConnection(raw) : raw;
      const client = createClient({ connection });
      // Touch the engine now so a directory held by a non-Meridian process fails here, clearly.
      await client.query({ query: 'SELECT 1', format: 'JSONEachRow' }).then((r) => r.json());
      return new ClickHouseStore(client, opts, release, attempts);
    } catch (err) {
      release();
      if (isChdbLockError(err)) throw new StoreLockedError(opts.data, undefined);
      throw err;
    }
  }
  await ensureDatabase(opts);
  const client = createClient({
    // Failures reach the caller as errors (and the collector counts and logs them once); the
    // client's own multi-line log of every failed request would flood the journal during an outage.
    log: { level: ClickHouseLogLevel.OFF },
    url: opts.url,
    username: opts.user,
    password: opts.password,
    database: opts.database,
    request_timeout: opts.requestTimeoutMs,
    ...(opts.tlsCa ? { tls: { ca_cert: opts.tlsCa } } : {}),
  });
  return new ClickHouseStore(client, opts, () => undefined, attempts);
}

async function ensureDatabase(opts: Extract<ResolvedStoreOptions, { target: 'server' }>): Promise<void> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(opts.database)) {
    throw new Error(`database name "${opts.database}" must be letters, digits and underscores`);
  }
  const boot = createClient({
    log: { level: ClickHouseLogLevel.OFF },
    url: opts.url,
    username: opts.user,
    password: opts.password,
    request_timeout: opts.requestTimeoutMs,
    ...(opts.tlsCa ? { tls: { ca_cert: opts.tlsCa } } : {}),
  });
  try {
    await boot.command({ query: `CREATE DATABASE IF NOT EXISTS ${opts.database}` });
  } catch (err) {
    if (err instanceof ClickHouseError) throw err;
    throw new Error(
      `cannot reach ClickHouse at ${opts.url}: ${(err as Error).message}. ` +
        'Check that the server is up and that --clickhouse / MERIDIAN_CLICKHOUSE_URL points at its HTTP port.',
      { cause: err },
    );
  } finally {
    await boot.close();
  }
}
