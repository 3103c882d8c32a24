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
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockPath(dataDir: string): string {
  return path.join(dataDir, 'meridian.lock');
}

/** Takes the directory, or throws StoreLockedError. A lock left by a dead process is taken over. */
export function acquireLock(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = lockPath(dataDir);
  const info: LockInfo = { pid: process.pid, started: new Date().toISOString() };
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
      if (holder && holder.pid !== process.pid && alive(holder.pid)) throw new StoreLockedError(dataDir, holder.pid);
      rmSync(file, { force: true });
    }
  }
  throw new StoreLockedError(dataDir, undefined);
}
