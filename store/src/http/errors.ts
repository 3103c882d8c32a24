/**
 * ClickHouse's error codes and how its HTTP interface answers them: the text
 * `Code: N. DB::Exception: message. (NAME)`, the `X-ClickHouse-Exception-Code` header and the HTTP
 * status chosen from the code as ClickHouse's `exceptionCodeToHTTPStatus` does. Clients
 * (@clickhouse/client, clickhouse-go) parse exactly this text back into a code and a type.
 */

/** The codes this endpoint raises itself; the engine's own errors carry theirs. */
export const CODES = {
  BAD_ARGUMENTS: 36,
  NOT_IMPLEMENTED: 48,
  SYNTAX_ERROR: 62,
  UNKNOWN_FORMAT: 73,
  UNKNOWN_DATABASE: 81,
  UNKNOWN_SETTING: 115,
  TIMEOUT_EXCEEDED: 159,
  READONLY: 164,
  TOO_MANY_SIMULTANEOUS_QUERIES: 202,
  INTO_OUTFILE_NOT_ALLOWED: 358,
  QUERY_WAS_CANCELLED: 394,
  ACCESS_DENIED: 497,
  AUTHENTICATION_FAILED: 516,
} as const;

export type CodeName = keyof typeof CODES;

export class ClickHouseHttpError extends Error {
  constructor(
    readonly code: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'ClickHouseHttpError';
  }

  static of(name: CodeName, message: string): ClickHouseHttpError {
    return new ClickHouseHttpError(CODES[name], name, message);
  }

  /** The body ClickHouse writes for an exception (one line, newline-terminated). */
  text(): string {
    return `Code: ${this.code}. DB::Exception: ${this.message}. (${this.type}) (Meridian embedded store)\n`;
  }
}

/** Codes ClickHouse answers with 400: the request or the query is malformed. */
const BAD_REQUEST = new Set([36, 427, 6, 25, 26, 27, 38, 41, 72, 376, 15, 44, 8, 167, 168, 223, 62, 117, 53, 321]);
/** Codes ClickHouse answers with 404: something the query names does not exist. */
const NOT_FOUND = new Set([60, 46, 47, 50, 56, 81, 115, 63, 73, 336, 511]);

/** ClickHouse's src/Server/HTTP/exceptionCodeToHTTPStatus.cpp, for the codes that reach us. */
export function httpStatusFor(code: number): number {
  if (code === 194) return 401; // REQUIRED_PASSWORD
  if (code === 192 || code === 193 || code === 516 || code === 512 || code === 497) return 403;
  if (BAD_REQUEST.has(code)) return 400;
  if (NOT_FOUND.has(code)) return 404;
  if (code === 48) return 501;
  if (code === 209 || code === 76) return 503;
  if (code === 381) return 411;
  if (code === 159) return 408;
  if (code === 439) return 503; // CANNOT_SCHEDULE_TASK
  return 500;
}

const ENGINE_TEXT = /^Code: (\d+)\. DB::Exception: ([\s\S]*?)(?:\. )?\(([A-Z0-9_]+)\)(?: \(version [^)]*\))?\s*$/;

/**
 * An error from the engine as ClickHouse would send it. chDB's messages already have ClickHouse's
 * shape, sometimes nested ("Code: 73. DB::Exception: Code: 73. …"); the outermost code and type win.
 */
export function fromEngine(err: unknown): ClickHouseHttpError {
  if (err instanceof ClickHouseHttpError) return err;
  const text = err instanceof Error ? err.message : String(err);
  const m = ENGINE_TEXT.exec(text.trim());
  if (m) {
    // Strip the repeated "Code: N. DB::Exception: " prefixes of a nested message.
    const inner = m[2]!
      .replace(/^(Code: \d+\. DB::Exception: )+/, '')
      .replace(/(\. \([A-Z0-9_]+\) \(version [^)]*\))+$/, '');
    return new ClickHouseHttpError(Number(m[1]), m[3]!, inner.replace(/\.$/, ''));
  }
  const code = /^Code: (\d+)\./.exec(text);
  if (code)
    return new ClickHouseHttpError(Number(code[1]), 'UNKNOWN', text.replace(/^Code: \d+\. (DB::Exception: )?/, ''));
  return new ClickHouseHttpError(1001, 'STD_EXCEPTION', text);
}
