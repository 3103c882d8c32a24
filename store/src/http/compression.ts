/**
 * HTTP compression as ClickHouse's HTTP interface does it: a request body may come with
 * Content-Encoding (gzip, deflate, br), and an answer is compressed when the query asks with
 * enable_http_compression=1 and Accept-Encoding names a method we have. Decompression is bounded, so
 * a small hostile body cannot expand into gigabytes.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { ClickHouseHttpError } from './errors.js';

const gzip = promisify(zlib.gzip);
const deflate = promisify(zlib.deflate);
const brotli = promisify(zlib.brotliCompress);

export type Encoding = 'gzip' | 'deflate' | 'br';

/** The first method in Accept-Encoding that we can produce, in the client's order. */
export function chooseEncoding(accept: string | undefined): Encoding | undefined {
  if (!accept) return undefined;
  for (const part of accept.split(',')) {
    const [name, ...opts] = part.trim().toLowerCase().split(';');
    if (opts.some((o) => /^\s*q=0(\.0*)?\s*$/.test(o))) continue;
    if (name === 'gzip' || name === 'deflate' || name === 'br') return name;
  }
  return undefined;
}

export async function compress(body: Buffer, enc: Encoding, level: number | undefined): Promise<Buffer> {
  if (enc === 'gzip') return gzip(body, level !== undefined ? { level } : {});
  if (enc === 'deflate') return deflate(body, level !== undefined ? { level } : {});
  return brotli(body, {});
}

/** A request body decoded by its Content-Encoding, at most `max` bytes once decoded. */
export function decodeBody(raw: Buffer, encoding: string | undefined, max: number): Buffer {
  const enc = (encoding ?? '').trim().toLowerCase();
  if (enc === '' || enc === 'identity') return raw;
  const opts = { maxOutputLength: max };
  try {
    if (enc === 'gzip' || enc === 'x-gzip') return zlib.gunzipSync(raw, opts);
    if (enc === 'deflate') return zlib.inflateSync(raw, opts);
    if (enc === 'br') return zlib.brotliDecompressSync(raw, opts);
  } catch (err) {
    if (err instanceof RangeError || (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw ClickHouseHttpError.of('SYNTAX_ERROR', `Max query size exceeded: the decoded body is over ${max} bytes`);
    throw ClickHouseHttpError.of('BAD_ARGUMENTS', `cannot decode the ${enc} request body: ${(err as Error).message}`);
  }
  throw ClickHouseHttpError.of('NOT_IMPLEMENTED', `Content-Encoding ${enc} is not supported (gzip, deflate, br)`);
}

export function contentType(format: string): string {
  const f = format.toLowerCase();
  if (f.startsWith('json') && !f.includes('eachrow') && !f.includes('compacteachrow') && !f.includes('lines'))
    return 'application/json; charset=UTF-8';
  if (f.includes('eachrow') || f === 'jsonlines' || f === 'ndjson') return 'application/x-ndjson; charset=UTF-8';
  if (f.startsWith('tabseparated') || f.startsWith('tsv')) return 'text/tab-separated-values; charset=UTF-8';
  if (f.startsWith('csv')) return 'text/csv; charset=UTF-8; header=absent';
  if (f.startsWith('pretty') || f === 'vertical' || f === 'markdown') return 'text/plain; charset=UTF-8';
  return 'application/octet-stream';
}
