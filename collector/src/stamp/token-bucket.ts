/**
 * Token buckets keyed by source address, for the reflector's per-source rate limit. Refill is
 * computed lazily from elapsed time, so an idle source costs nothing. The map is bounded: when
 * full, the least recently seen source is forgotten (Map keeps insertion order, and a hit is
 * re-inserted), so a flood of spoofed addresses cannot grow memory without limit.
 */
export interface TokenBucketOptions {
  /** Sustained rate, tokens per second. */
  readonly ratePerSec: number;
  /** Bucket size: the burst a source may send after being idle. */
  readonly burst: number;
}

interface Bucket {
  tokens: number;
  lastMs: number;
}

function checkOptions(opts: TokenBucketOptions): void {
  if (!(opts.ratePerSec > 0) || !(opts.burst >= 1))
    throw new RangeError('token bucket needs ratePerSec > 0 and burst >= 1');
}

/** Refills `bucket` for the time since its last take, then takes a token if there is one. */
function takeFrom(bucket: Bucket, opts: TokenBucketOptions, nowMs: number): boolean {
  bucket.tokens = Math.min(opts.burst, bucket.tokens + ((nowMs - bucket.lastMs) / 1000) * opts.ratePerSec);
  bucket.lastMs = nowMs;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

/**
 * One bucket (the reflector's global cap): what KeyedTokenBuckets does for a single key, without
 * a Map lookup, removal and re-insertion for every packet.
 */
export class TokenBucket {
  private readonly bucket: Bucket;

  constructor(private readonly opts: TokenBucketOptions) {
    checkOptions(opts);
    this.bucket = { tokens: opts.burst, lastMs: Number.NaN };
  }

  /** Takes one token at time `nowMs`; false when the bucket is empty. Full until the first take. */
  take(nowMs: number): boolean {
    if (Number.isNaN(this.bucket.lastMs)) this.bucket.lastMs = nowMs;
    return takeFrom(this.bucket, this.opts, nowMs);
  }
}

export class KeyedTokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly opts: TokenBucketOptions,
    private readonly maxKeys: number,
  ) {
    checkOptions(opts);
    if (!(maxKeys >= 1)) throw new RangeError('token bucket needs maxKeys >= 1');
  }

  /** Takes one token for `key` at time `nowMs`; false when the bucket is empty. */
  take(key: string, nowMs: number): boolean {
    let bucket = this.buckets.get(key);
    if (bucket) {
      this.buckets.delete(key);
      bucket.tokens = Math.min(
        this.opts.burst,
        bucket.tokens + ((nowMs - bucket.lastMs) / 1000) * this.opts.ratePerSec,
      );
      bucket.lastMs = nowMs;
    } else {
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next();
        if (!oldest.done) this.buckets.delete(oldest.value);
      }
      bucket = { tokens: this.opts.burst, lastMs: nowMs };
    }
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  get size(): number {
    return this.buckets.size;
  }
}
