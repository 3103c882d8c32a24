/**
 * Reading one raw value as the tools print it. Real outputs mark a missing value in many ways
 * ([N/A], bare N/A, [Not Supported], [Unknown Error], [Requested functionality has been deprecated],
 * an empty cell, "-" in dmon); every one of them means "absent", never 0.
 */

/** Tokens that mean "no value". Compared case-insensitively, brackets stripped. */
const ABSENT_TOKENS = new Set(
  [
    'n/a',
    'na',
    'not supported',
    'unknown error',
    'requested functionality has been deprecated',
    'insufficient permissions',
    'function not found',
    'not available',
    'not found',
    'none',
    '-',
    '',
  ].map((s) => s.toLowerCase()),
);

export type ReadResult =
  | { kind: 'absent' }
  | { kind: 'number'; value: number }
  | { kind: 'bigint'; value: bigint }
  | { kind: 'error'; message: string };

export interface ReadOptions {
  /** Multiplier into canonical units (from the catalog's SourceField.scale). */
  readonly scale?: number;
}

/** Collapses whitespace, including values that span a newline in the XML ("Not Active\n      "). */
export function normalise(raw: string): string {
  return raw.replace(/\s+/g, ' ').trim();
}

export function isAbsentToken(raw: string): boolean {
  let s = normalise(raw);
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1).trim();
  return ABSENT_TOKENS.has(s.toLowerCase());
}

/** A number followed by an optional unit: "26.78 W", "15360 MiB", "16x", "-5 C", "6e-05". */
const NUMBER_WITH_UNIT = /^([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z%°/]*(?:\([a-z]+\))?)$/;
const HEX = /^0x([0-9a-fA-F]+)$/;
const PSTATE = /^P(\d{1,2})$/;
/** Words some fields print instead of 0/1. */
const BOOL_WORDS: Record<string, number> = {
  yes: 1,
  no: 0,
  true: 1,
  false: 0,
  active: 1,
  'not active': 0,
  enabled: 1,
  disabled: 0,
  on: 1,
  off: 0,
};

/** The common case with `nounits`: a plain decimal. Checked first because it is most of every line. */
const PLAIN = /^-?\d+(?:\.\d+)?$/;

/**
 * The number a plain decimal (optionally surrounded by whitespace) reads as, or undefined when `raw`
 * is anything else, or an integer beyond 2^53 (readValue keeps those exact as BigInt). The common
 * case of readValue without its result object.
 */
export function readPlainNumber(raw: string): number | undefined {
  const trimmed = raw.trim();
  if (!PLAIN.test(trimmed)) return undefined;
  const v = Number(trimmed);
  return Number.isSafeInteger(v) || !Number.isInteger(v) ? v : undefined;
}

/** 10^k for k = 0..22: the powers of ten a double holds exactly. */
const EXACT_POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * readPlainNumber for the cell `text[from, end)`, read in place: the number, or NaN where the cell
 * is anything but a plain decimal of at most 15 digits surrounded by spaces (the caller then reads
 * it as it always has). The nvidia-smi stream has about 20 such cells per GPU every second; slicing
 * each, trimming it and matching it with a regular expression was most of that line's parse.
 *
 * Exact: the digits make an integer M < 10^15 (below 2^53, so exact) and the decimals k ≤ 15, so
 * M and 10^k are both exact doubles and M / 10^k is one correctly rounded division, the same double
 * as Number("d.ddd"), which rounds the same real number correctly. The sign is applied after,
 * as rounding to nearest is symmetric ("-0" reads as -0, as Number reads it).
 */
export function readPlainDecimalAt(text: string, from: number, end: number): number {
  let i = from;
  while (i < end && text.charCodeAt(i) === 32) i++;
  let e = end;
  while (e > i && text.charCodeAt(e - 1) === 32) e--;
  let negative = false;
  if (i < e && text.charCodeAt(i) === 45) {
    negative = true;
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let decimals = -1; // -1: no point yet
  for (; i < e; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
      if (decimals >= 0) decimals++;
    } else if (c === 46 && decimals < 0 && digits > 0) decimals = 0;
    else return NaN;
  }
  // "-", "", "1." and "12345678901234567" are left to the general reader.
  if (digits === 0 || decimals === 0 || digits > 15) return NaN;
  const v = decimals > 0 ? mantissa / EXACT_POWERS_OF_TEN[decimals]! : mantissa;
  return negative ? -v : v;
}

/** The one "absent" result: it carries nothing, so every absent value can share it. */
const ABSENT: ReadResult = Object.freeze({ kind: 'absent' });

export function readValue(raw: string, _opts: ReadOptions = {}): ReadResult {
  const plain = readPlainNumber(raw);
  if (plain !== undefined) return { kind: 'number', value: plain };
  const trimmed = raw.trim();
  const s = /\s\s|[\t\n\r]/.test(trimmed) ? normalise(trimmed) : trimmed;
  if (isAbsentToken(s)) return ABSENT;
  const hex = HEX.exec(s);
  if (hex?.[1]) {
    // Hex bitmasks are UInt64 in NVML; BigInt keeps every bit until we decide whether it fits.
    return { kind: 'bigint', value: BigInt(`0x${hex[1]}`) };
  }
  const num = NUMBER_WITH_UNIT.exec(s);
  if (num?.[1]) {
    const v = Number(num[1]);
    if (!Number.isFinite(v)) return { kind: 'error', message: `"${s}" is not a finite number` };
    // Integers beyond 2^53 would silently round: keep them as BigInt so the caller can refuse them.
    if (/^[-+]?\d+$/.test(num[1]) && !Number.isSafeInteger(v)) return { kind: 'bigint', value: BigInt(num[1]) };
    return { kind: 'number', value: v };
  }
  const p = PSTATE.exec(s);
  if (p?.[1]) return { kind: 'number', value: Number(p[1]) };
  const b = BOOL_WORDS[s.toLowerCase()];
  if (b !== undefined) return { kind: 'number', value: b };
  return { kind: 'error', message: `cannot read "${s.length > 60 ? `${s.slice(0, 60)}…` : s}" as a number` };
}

/** Parses a decimal or hex integer string exactly, or undefined. */
export function readBigInt(raw: string): bigint | undefined {
  const s = normalise(raw);
  if (HEX.test(s) || /^\d+$/.test(s)) return BigInt(s);
  return undefined;
}
