/**
 * One resource of one cluster, mirrored in memory: list, then watch from the list's resourceVersion,
 * as client-go's reflector does, over @kubernetes/client-node's `Watch` and the kubeconfig's own
 * credentials and TLS settings.
 *
 * - Lists are paged (`limit`/`continue`), so 10,000 pods never arrive as one response.
 * - Watches ask for bookmarks (`allowWatchBookmarks`), which move the resourceVersion on without an
 *   object, so a reconnect resumes from a recent version instead of one the server has compacted.
 * - A watch that ends in 410 Gone (an ERROR event, or the HTTP status) is answered with a relist.
 * - Any other failure reconnects with exponential backoff and jitter (`backoffMs`).
 * - Every `resyncMs` the resource is listed again and the mirror replaced by the list: what a missed
 *   event left behind (an object deleted while disconnected) goes.
 * - Each watch asks the server to end it after 5–10 minutes (`timeoutSeconds`), so a connection that
 *   died without a FIN is noticed.
 *
 * Objects are kept as digests (only the fields the observer needs), never whole: 10,000 pods as
 * parsed JSON would take most of the memory budget.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/**
 * @kubernetes/client-node costs seconds and tens of MB to load: it is loaded when a reflector first
 * watches, so the scheduler and the twin (which import this workspace for its schemas) never pay.
 */
let clientNode: Promise<typeof import('@kubernetes/client-node')> | undefined;
const loadClient = () => (clientNode ??= import('@kubernetes/client-node'));

export interface ResourceKind {
  /** '' for the core group. */
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  /** A CRD that may not be installed: a 404 marks it absent (checked again at each resync). */
  readonly optional?: boolean;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid?: string; controller?: boolean }[];
  };
  spec?: unknown;
  status?: unknown;
}

export function resourcePath(k: ResourceKind): string {
  return k.group === '' ? `/api/${k.version}/${k.plural}` : `/apis/${k.group}/${k.version}/${k.plural}`;
}

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ReflectorStats {
  lists: number;
  watches: number;
  events: number;
  bookmarks: number;
  /** Watches that ended in 410 Gone and were answered with a relist. */
  expired: number;
  /** Failures that were retried with backoff. */
  failures: number;
}

export interface ReflectorOptions<D> {
  readonly kubeConfig: KubeConfig;
  readonly kind: ResourceKind;
  /** The fields kept of each object; undefined drops the object. */
  readonly digest: (obj: KubeObject) => D | undefined;
  /** Called after every change to the mirror (a relist counts once). */
  readonly onChange: () => void;
  readonly onError: (err: Error) => void;
  readonly pageSize?: number;
  readonly resyncMs?: number;
  /** Backoff after the n-th consecutive failure: min(maxMs, baseMs × 2^(n−1)) with ±20 % jitter. */
  readonly backoffMs?: { readonly baseMs: number; readonly maxMs: number };
}

/** Deep equality of two digests (plain objects, arrays and primitives only). */
export function sameDigest(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka)
    if (!sameDigest((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Makes `t` equal `n` field by field, keeping the nested values that are already equal.
 * Returns whether anything changed. For digests: plain objects of primitives, arrays and objects.
 */
export function updateInPlace(t: Record<string, unknown>, n: Record<string, unknown>): boolean {
  let changed = false;
  for (const k of Object.keys(n))
    if (!sameDigest(t[k], n[k])) {
      t[k] = n[k];
      changed = true;
    }
  for (const k of Object.keys(t))
    if (!(k in n)) {
      delete t[k];
      changed = true;
    }
  return changed;
}

const keyOf = (o: KubeObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

export class Reflector<D> {
  /** namespace/name → digest. */
  readonly items = new Map<string, D>();
  /** The first list has completed (or the resource is absent): the mirror can be trusted. */
  synced = false;
  /** An optional CRD the cluster does not serve. */
  absent = false;
  readonly stats: ReflectorStats = { lists: 0, watches: 0, events: 0, bookmarks: 0, expired: 0, failures: 0 };
  private rv = '';
  private stopped = true;
  private abortWatch: AbortController | undefined;
  private wake: (() => void) | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private consecutiveFailures = 0;

  constructor(private readonly o: ReflectorOptions<D>) {}

  /** The resource's plural, for messages. */
  get kindName(): string {
    return this.o.kind.plural;
  }

  get resourceVersion(): string {
    return this.rv;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
    const resync = this.o.resyncMs ?? 300_000;
    this.resyncTimer = setInterval(() => this.resync(), resync);
    this.resyncTimer.unref();
  }

  /** Lists again now and replaces the mirror with the list (the watch restarts from it). */
  resync(): void {
    this.rv = '';
    this.abortWatch?.abort();
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.resyncTimer);
    this.abortWatch?.abort();
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (this.rv === '') await this.relist();
        if (this.stopped) break;
        if (this.absent) {
          await this.pause(this.o.resyncMs ?? 300_000);
          this.rv = '';
          continue;
        }
        const expired = await this.watchOnce();
        if (expired) {
          this.stats.expired++;
          this.rv = '';
        }
      } catch (err) {
        if (this.stopped) break;
        if (err instanceof ApiError && err.statusCode === 410) {
          this.stats.expired++;
          this.rv = '';
          continue;
        }
        this.stats.failures++;
        this.consecutiveFailures++;
        this.o.onError(err instanceof Error ? err : new Error(String(err)));
        const b = this.o.backoffMs ?? { baseMs: 1000, maxMs: 60_000 };
        const ms = Math.min(b.maxMs, b.baseMs * 2 ** (this.consecutiveFailures - 1)) * (0.8 + 0.4 * Math.random());
        await this.pause(ms);
      }
    }
  }

  /** Waits `ms`, or less if stopped or asked to resync. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      t.unref();
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  private async relist(): Promise<void> {
    const next = new Map<string, D>();
    let cont = '';
    let rv = '';
    const base = resourcePath(this.o.kind);
    const limit = this.o.pageSize ?? 500;
    try {
      do {
        const q = new URLSearchParams({ limit: String(limit) });
        if (cont) q.set('continue', cont);
        const page = (await this.get(`${base}?${q.toString()}`)) as {
          metadata?: { resourceVersion?: string; continue?: string };
          items?: KubeObject[];
        };
        if (!rv) rv = page.metadata?.resourceVersion ?? '';
        for (const obj of page.items ?? []) {
          const d = this.o.digest(obj);
          if (d !== undefined) next.set(keyOf(obj), d);
        }
        cont = page.metadata?.continue ?? '';
      } while (cont);
    } catch (err) {
      if (err instanceof ApiError && err.statusCode === 404 && this.o.kind.optional) {
        this.absent = true;
        this.items.clear();
        this.synced = true;
        this.o.onChange();
        return;
      }
      throw err;
    }
    this.absent = false;
    this.items.clear();
    for (const [k, d] of next) this.items.set(k, d);
    this.rv = rv;
    this.stats.lists++;
    this.synced = true;
    this.consecutiveFailures = 0;
    this.o.onChange();
  }

  /** One watch from `rv`; resolves true when it ended in 410 Gone, false when it just closed. */
  private async watchOnce(): Promise<boolean> {
    const kc = this.o.kubeConfig;
    const { Watch } = await loadClient();
    return new Promise<boolean>((resolve, reject) => {
      let expired = false;
      const onEvent = (type: string, obj: KubeObject & { code?: number }) => {
        if (type === 'ERROR') {
          if (obj.code === 410) expired = true;
          return;
        }
        const rv = obj.metadata?.resourceVersion;
        if (type === 'BOOKMARK') {
          this.stats.bookmarks++;
          if (rv) this.rv = rv;
          return;
        }
        this.stats.events++;
        this.consecutiveFailures = 0;
        if (rv) this.rv = rv;
        const key = keyOf(obj);
        if (type === 'DELETED') this.items.delete(key);
        else {
          const d = this.o.digest(obj);
          const prev = this.items.get(key);
          // The mirror's object is updated in place: the new digest dies young instead of the old one
          // dying in the old generation (1,000 events/s of that grows the heap: bench:observer). Most
          // pod events change only what no digest keeps (status heartbeats, conditions' times): then
          // nothing is marked changed, and no flush runs for them.
          if (isRecord(prev) && isRecord(d)) {
            if (!updateInPlace(prev, d)) return;
          } else if (d !== undefined && prev !== undefined && sameDigest(prev, d)) return;
          else if (d === undefined) this.items.delete(key);
          else this.items.set(key, d);
        }
        this.o.onChange();
      };
      const onDone = (err: unknown) => {
        this.abortWatch = undefined;
        if (err && !this.stopped && !(err instanceof Error && err.name === 'AbortError')) {
          const code = (err as { statusCode?: number }).statusCode;
          if (code === 410) resolve(true);
          else reject(code ? new ApiError(code, `watch ${resourcePath(this.o.kind)}: HTTP ${code}`) : err);
        } else resolve(expired);
      };
      this.stats.watches++;
      new Watch(kc)
        .watch(
          resourcePath(this.o.kind),
          {
            resourceVersion: this.rv,
            allowWatchBookmarks: true,
            timeoutSeconds: 300 + Math.floor(Math.random() * 300),
          },
          onEvent,
          onDone,
        )
        .then((ctl) => {
          this.abortWatch = ctl;
          if (this.stopped || this.rv === '') ctl.abort();
        })
        .catch(reject);
    });
  }

  /** GET with the kubeconfig's credentials and TLS settings; a non-2xx answer is an ApiError. */
  private async get(path: string): Promise<unknown> {
    const kc = this.o.kubeConfig;
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig: no current cluster');
    const url = new URL(cluster.server + path);
    const opts: RequestOptions = { method: 'GET', headers: { accept: 'application/json' } };
    await kc.applyToHTTPSOptions(opts);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const code = res.statusCode ?? 0;
          if (code < 200 || code >= 300) {
            let msg = text.slice(0, 300);
            try {
              msg = (JSON.parse(text) as { message?: string }).message ?? msg;
            } catch {
              /* not JSON: keep the text */
            }
            reject(new ApiError(code, `GET ${url.pathname}: HTTP ${code}: ${msg}`));
            return;
          }
          try {
            resolve(JSON.parse(text));
          } catch (err) {
            reject(new Error(`GET ${url.pathname}: not JSON: ${String(err)}`));
          }
        });
      });
      req.setTimeout(60_000, () => req.destroy(new Error(`GET ${url.pathname}: no answer in 60 s`)));
      req.on('error', reject);
      req.end();
    });
  }
}
