/**
 * The write-ahead log on disk: one file per batch, like Fluent Bit's filesystem chunks. A batch is
 * written to `<name>.tmp`, fsynced, renamed into place and the directory fsynced, so after a crash
 * a batch file is either whole or absent. Replay order is the file name's counter; the batch keeps
 * its original dedup token inside the file, so a batch the store took just before a crash lands
 * once when it is replayed.
 *
 * fsync policy (`fsync`):
 *  - 'always' (default): data and directory are synced before `append` resolves. A kill -9 or a
 *    power cut then loses nothing that `append` acknowledged. At a flush every few seconds this
 *    costs a few milliseconds of disk time per flush.
 *  - 'never': the page cache holds the batch. Survives kill -9 (the kernel still has the data) but
 *    not a power cut.
 * Acks unlink without fsync: a file that reappears after a power cut is replayed with its token and
 * deduplicated by the store, which costs a write but loses and duplicates nothing.
 *
 * A batch of rows is stored as JSON; a batch of columns (the twin's) as its typed arrays behind a
 * header (column-file.ts). Either kind that cannot be read back whole is moved to `corrupt/` and
 * reported with the file's path and what is wrong with it.
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { batchRowCount } from '../pipeline/column-batch.js';
import type { Batch, Target } from '../pipeline/types.js';
import { decodeColumnFile, encodeColumnFile, isColumnFile } from './column-file.js';
import { SpoolLedger } from './ledger.js';
import type { Spool, SpoolBounds, SpoolDrop, SpoolEntry } from './types.js';

export interface FileSpoolOptions extends SpoolBounds {
  readonly dir: string;
  readonly fsync?: 'always' | 'never';
}

const FILE_RE = /^(\d{12})-(\d+)\.([a-z_]+)\.(\d+)\.batch$/;
const FORMAT_VERSION = 1;

interface StoredBatch {
  v: number;
  target: Target;
  seq: number;
  token: string;
  createdAt: number;
  rows: unknown[];
}

function fileName(counter: number, batch: Batch): string {
  return `${String(counter).padStart(12, '0')}-${batch.createdAt}.${batch.target}.${batchRowCount(batch)}.batch`;
}

/** A batch's bytes, as parts written in order (a column batch's arrays are not copied). */
function encode(batch: Batch): { parts: Buffer[]; bytes: number } {
  if (batch.columns) return encodeColumnFile({ ...batch, columns: batch.columns });
  const body: StoredBatch = {
    v: FORMAT_VERSION,
    target: batch.target,
    seq: batch.seq,
    token: batch.token,
    createdAt: batch.createdAt,
    rows: batch.rows as unknown[],
  };
  const data = Buffer.from(JSON.stringify(body));
  return { parts: [data], bytes: data.length };
}

function parseStored(data: Buffer): Batch {
  if (isColumnFile(data)) return decodeColumnFile(data);
  const parsed = JSON.parse(data.toString('utf8')) as Partial<StoredBatch>;
  if (parsed.v !== FORMAT_VERSION) throw new Error(`unknown spool format version ${String(parsed.v)}`);
  if (typeof parsed.token !== 'string' || typeof parsed.target !== 'string' || !Array.isArray(parsed.rows)) {
    throw new Error('spool file lacks token, target or rows');
  }
  return {
    target: parsed.target,
    seq: Number(parsed.seq),
    token: parsed.token,
    createdAt: Number(parsed.createdAt),
    rows: parsed.rows,
  } as Batch;
}

function syncDir(dir: string): void {
  // A rename is durable only once the directory entry is: fsync the directory itself.
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Opens (and creates) a spool directory, and lists the batches a previous run left, oldest first. */
export async function openFileSpool(opts: FileSpoolOptions): Promise<Spool> {
  const { dir } = opts;
  const fsync = opts.fsync ?? 'always';
  const ledger = new SpoolLedger(opts);
  const corruptDir = join(dir, 'corrupt');
  const rejectedDir = join(dir, 'rejected');
  await mkdir(dir, { recursive: true, mode: 0o700 });

  let counter = 0;
  const names = (await readdir(dir)).sort();
  for (const name of names) {
    if (name.endsWith('.tmp')) {
      // A batch that was being written when the process died; it was never acknowledged.
      await rm(join(dir, name), { force: true });
      continue;
    }
    const m = FILE_RE.exec(name);
    if (!m) continue;
    const st = await stat(join(dir, name));
    ledger.add({ key: name, target: m[3] as Target, rows: Number(m[4]), bytes: st.size, createdAt: Number(m[2]) });
    counter = Math.max(counter, Number(m[1]) + 1);
  }

  async function drop(entry: SpoolEntry, reason: SpoolDrop['reason'], error?: string): Promise<SpoolDrop> {
    const d: SpoolDrop = { reason, entry, ...(error ? { error } : {}) };
    if (reason === 'corrupt' || reason === 'rejected') {
      // Keep the evidence for a human, out of the replay path.
      const aside = reason === 'corrupt' ? corruptDir : rejectedDir;
      await mkdir(aside, { recursive: true, mode: 0o700 });
      await rename(join(dir, entry.key), join(aside, entry.key)).catch(() => undefined);
    } else {
      await unlink(join(dir, entry.key)).catch(() => undefined);
    }
    ledger.dropped(d);
    return d;
  }

  return {
    async append(batch) {
      const { parts, bytes } = encode(batch);
      for (const victim of ledger.victimsForBytes(bytes)) await drop(victim, 'bytes');
      const name = fileName(counter++, batch);
      const tmp = join(dir, `${name}.tmp`);
      try {
        const fh = await open(tmp, 'w', 0o600);
        try {
          // writeFile on a handle appends at its position and retries short writes until the part
          // is out or the disk says why not (ENOSPC); one writev call may stop short silently.
          for (const part of parts) await fh.writeFile(part);
          if (fsync === 'always') await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(tmp, join(dir, name));
      } catch (err) {
        // A full disk (ENOSPC) fails the write half way: leave no partial file behind to take the
        // space the next batch needs (it used to stay until the next start).
        await rm(tmp, { force: true }).catch(() => undefined);
        throw err;
      }
      if (fsync === 'always') syncDir(dir);
      const entry: SpoolEntry = {
        key: name,
        target: batch.target,
        rows: batchRowCount(batch),
        bytes,
        createdAt: batch.createdAt,
      };
      ledger.add(entry);
      return entry;
    },
    async read(entry) {
      let data: Buffer;
      try {
        data = await readFile(join(dir, entry.key));
      } catch (err) {
        // Dropped (by a bound) while it was being replayed.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
      try {
        return parseStored(data);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        await drop(entry, 'corrupt', `spool file ${join(dir, entry.key)} is unreadable: ${why}`);
        return undefined;
      }
    },
    async ack(entry) {
      if (!ledger.remove(entry)) return;
      await unlink(join(dir, entry.key)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    },
    async reject(entry) {
      await drop(entry, 'rejected');
    },
    entries: () => ledger.entries(),
    async expire(now = ledger.now()) {
      const out: SpoolDrop[] = [];
      for (const victim of ledger.victimsForAge(now)) out.push(await drop(victim, 'age'));
      return out;
    },
    stats: () => ledger.stats(),
    async close() {},
  };
}
