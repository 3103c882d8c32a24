import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * chDB lets one process own a data directory. The engine's own refusal is an obscure "Cannot lock
 * file .../status"; this lock file lets us say who holds the directory and what to do instead.
 */
export class StoreLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holderPid: number | undefined,
  ) {
    super(
      `The data directory ${dataDir} is in use by another Meridian process` +
        (holderPid ? ` (pid ${holderPid})` : '') +
        '. Only one process can open an embedded store. Stop that process, pass a different --data directory, ' +
        'or query the running one through its HTTP API.',
    );
    this.name = 'StoreLockedError';
  }
}

interface LockInfo {
  pid: number;
  started: string;
  /** The directory the holder opened: a lock copied along with a directory is not a holder of ours. */
  dataDir?: string;
  /** The holder's start time in clock ticks since boot (/proc/PID/stat field 22), where /proc exists. */
  startTicks?: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A process's start time from /proc, or undefined where /proc is not there. PIDs are reused: after a
 * reboot or a long uptime the PID in a stale lock can belong to an unrelated process, which is alive
 * but started at another time.
 */
export function processStartTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: count fields after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether the lock's holder is still the Meridian process that wrote it, on this directory. */
function holds(holder: LockInfo, dataDir: string): boolean {
  if (holder.pid === process.pid || !alive(holder.pid)) return false;
  if (holder.dataDir !== undefined && path.resolve(holder.dataDir) !== path.resolve(dataDir)) return false;
  if (holder.startTicks !== undefined) {
    const now = processStartTicks(holder.pid);
    if (now !== undefined && now !== holder.startTicks) return false;
  }
  return true;
}

export function lockPath(dataDir: string): string {
  return path.join(dataDir, 'meridian.lock');
}

/**
 * Takes the directory, or throws StoreLockedError. A lock is taken over when its holder is dead, is
 * a different process that now has the same PID, or wrote it for another directory (a copy).
 */
export function acquireLock(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = lockPath(dataDir);
  const startTicks = processStartTicks(process.pid);
  const info: LockInfo = {
    pid: process.pid,
    started: new Date().toISOString(),
    dataDir: path.resolve(dataDir),
    ...(startTicks ? { startTicks } : {}),
  };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, JSON.stringify(info), { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder: LockInfo | undefined;
      try {
        holder = JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
      } catch {
        holder = undefined; // unreadable: written by a process killed mid-write; treat as stale
      }
      if (holder && holds(holder, dataDir)) throw new StoreLockedError(dataDir, holder.pid);
      rmSync(file, { force: true });
    }
  }
  throw new StoreLockedError(dataDir, undefined);
}

/** What a process that holds the directory serves: its ClickHouse HTTP endpoint, for `meridian sql`. */
export interface HolderEndpoint {
  readonly url: string;
  readonly user: string;
  readonly passwordFile: string;
}

interface EndpointRecord extends HolderEndpoint {
  pid: number;
  startTicks?: string;
}

export function endpointPath(dataDir: string): string {
  return path.join(dataDir, 'meridian.endpoint.json');
}

/** Records the endpoint this process serves for the directory it holds; returns the removal. */
export function recordEndpoint(dataDir: string, ep: HolderEndpoint): () => void {
  const startTicks = processStartTicks(process.pid);
  const rec: EndpointRecord = { ...ep, pid: process.pid, ...(startTicks ? { startTicks } : {}) };
  const file = endpointPath(dataDir);
  writeFileSync(file, JSON.stringify(rec), { mode: 0o600 });
  return () => rmSync(file, { force: true });
}

/**
 * The endpoint of the live process that holds the directory, or undefined: no holder, or one that
 * serves none (a record left by a dead process, or by another process than the lock's holder, is ignored).
 */
export function holderEndpoint(dataDir: string): (HolderEndpoint & { pid: number }) | undefined {
  let lock: LockInfo;
  let rec: EndpointRecord;
  try {
    lock = JSON.parse(readFileSync(lockPath(dataDir), 'utf8')) as LockInfo;
    rec = JSON.parse(readFileSync(endpointPath(dataDir), 'utf8')) as EndpointRecord;
  } catch {
    return undefined;
  }
  if (!holds(lock, dataDir) || rec.pid !== lock.pid) return undefined;
  if (rec.startTicks !== undefined && lock.startTicks !== undefined && rec.startTicks !== lock.startTicks)
    return undefined;
  return { url: rec.url, user: rec.user, passwordFile: rec.passwordFile, pid: rec.pid };
}
