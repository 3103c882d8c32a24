/** What `meridian up` prints, captured for the tests that run it. */
import { PassThrough } from 'node:stream';

export interface Captured {
  /** Hand it to runUp as stdout and stderr. */
  readonly stream: PassThrough;
  /** Everything printed so far. */
  text(): string;
  /** The status API's address once the banner has printed it, else ''. */
  statusUrl(): string;
}

export function capture(): Captured {
  const stream = new PassThrough();
  let buf = '';
  stream.on('data', (c: Buffer) => (buf += c.toString()));
  return {
    stream,
    text: () => buf,
    statusUrl: () => /\nstatus: (http:\/\/127\.0\.0\.1:\d+)/.exec(buf)?.[1] ?? '',
  };
}
