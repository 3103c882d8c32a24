/**
 * The Slurm executor's intent journal: one small JSON file per move in progress, written (fsync'd,
 * then renamed, then the directory fsync'd) before the job is submitted on the target, updated once
 * the target accepted it, and removed once the source is cancelled. A process that dies anywhere in
 * between leaves the file, and the next executor settles the pair from it (see SlurmMover.recover).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const entrySchema = z.strictObject({
  moveId: z.string().min(1),
  workloadId: z.string().min(1),
  from: z.strictObject({ region: z.string(), cluster: z.string(), jobId: z.number().int().positive() }),
  to: z.strictObject({ region: z.string(), cluster: z.string(), jobId: z.number().int().positive().nullable() }),
  phase: z.enum(['submitting', 'submitted']),
  ts: z.number(),
});
export type JournalEntry = z.infer<typeof entrySchema>;

export class MoveJournal {
  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  private file(moveId: string): string {
    return path.join(this.dir, `move-${createHash('sha1').update(moveId).digest('hex').slice(0, 16)}.json`);
  }

  /** Where the move keeps the source's batch script while it is in progress. */
  scriptPath(moveId: string): string {
    return this.file(moveId).replace(/\.json$/, '.sh');
  }

  write(e: JournalEntry): void {
    const file = this.file(e.moveId);
    const tmp = `${file}.tmp`;
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, JSON.stringify(e));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    this.syncDir();
  }

  remove(moveId: string): void {
    fs.rmSync(this.file(moveId), { force: true });
    fs.rmSync(this.scriptPath(moveId), { force: true });
    this.syncDir();
  }

  /** Every move in progress; an unreadable file fails naming it (a person must look). */
  entries(): JournalEntry[] {
    return fs
      .readdirSync(this.dir)
      .filter((f) => /^move-[0-9a-f]+\.json$/.test(f))
      .sort()
      .map((f) => {
        const p = path.join(this.dir, f);
        let data: unknown;
        try {
          data = JSON.parse(fs.readFileSync(p, 'utf8'));
        } catch (err) {
          throw new Error(`slurm move journal ${p}: not JSON (${(err as Error).message})`, { cause: err });
        }
        const r = entrySchema.safeParse(data);
        if (!r.success) {
          const i = r.error.issues[0];
          throw new Error(`slurm move journal ${p}: ${(i?.path ?? []).join('.') || '(top level)'}: ${i?.message}`);
        }
        return r.data;
      });
  }

  private syncDir(): void {
    const fd = fs.openSync(this.dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}
