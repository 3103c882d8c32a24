/**
 * Spare Native block buffers for one writer. A GPU batch of the twin is a block of tens of MB, and
 * a fresh buffer that size is fresh pages from the kernel (glibc maps anything over 32 MB anew and
 * unmaps it on free): faulting them in cost five times the encoding itself (a 56 MB block of 307,200
 * rows: 250-290 ms to encode into a new buffer, 31-50 ms into a reused one). So a block's buffer
 * comes back here once its insert has succeeded, and the next block is encoded into it.
 *
 * Only buffers of at least MIN_POOLED bytes are kept, each the whole of its own ArrayBuffer (small
 * ones come from Node's shared slab and fault in nothing worth saving); only buffers this pool
 * handed out are taken back; at most `keep` wait (the writer's pipeline has one block inserting and
 * one being encoded).
 */
const MIN_POOLED = 1 << 20;

export class BlockBuffers {
  private readonly spare: ArrayBuffer[] = [];
  private readonly ours = new WeakSet<ArrayBuffer>();

  constructor(private readonly keep = 2) {}

  /** A buffer of exactly `size` bytes, not zeroed: the caller writes every byte it uses. */
  take(size: number): Buffer {
    if (size < MIN_POOLED) return Buffer.allocUnsafe(size);
    let best = -1;
    for (let i = 0; i < this.spare.length; i++) {
      const len = this.spare[i]!.byteLength;
      if (len >= size && (best < 0 || len < this.spare[best]!.byteLength)) best = i;
    }
    if (best >= 0) return Buffer.from(this.spare.splice(best, 1)[0]!, 0, size);
    const buf = Buffer.allocUnsafeSlow(size);
    this.ours.add(buf.buffer);
    return buf;
  }

  /** Gives back a buffer `take` returned (or a view of it), whose contents nobody needs any more. */
  give(buf: Buffer): void {
    const ab = buf.buffer;
    if (!(ab instanceof ArrayBuffer) || !this.ours.has(ab) || this.spare.includes(ab)) return;
    this.spare.push(ab);
    // Past `keep`, the smallest goes: the largest serve any block the smaller would.
    if (this.spare.length > this.keep) {
      this.spare.sort((a, b) => b.byteLength - a.byteLength);
      this.spare.length = this.keep;
    }
  }

  /** How many buffers wait (for tests). */
  get spares(): number {
    return this.spare.length;
  }
}
