/**
 * MERIDIAN_COLLECTOR_<KEY> overrides. The variable for a key is its path in SNAKE_CASE, sections
 * joined by "_": pipeline.flushIntervalMs is MERIDIAN_COLLECTOR_PIPELINE_FLUSH_INTERVAL_MS,
 * sources.nvidiaSmi.enabled is MERIDIAN_COLLECTOR_SOURCES_NVIDIA_SMI_ENABLED. The `collector`
 * section is the root: collector.region is MERIDIAN_COLLECTOR_REGION. The names are derived from
 * the schema, so a new setting gets its variable without anyone writing it down, and a variable
 * that names no setting is an error (a typo must not be silently ignored).
 */
import type { z } from 'zod';
import { collectorConfigSchema } from './schema.js';

export const ENV_PREFIX = 'MERIDIAN_COLLECTOR_';
/** Variables with this prefix that are not settings. */
const RESERVED = new Set(['MERIDIAN_COLLECTOR_CONFIG']);

export type LeafKind = 'number' | 'boolean' | 'string' | 'array' | 'other';

interface Leaf {
  readonly path: readonly string[];
  readonly kind: LeafKind;
}

function kindOf(schema: z.core.$ZodType): { kind: LeafKind; shape?: Record<string, z.core.$ZodType> } {
  const def = schema._zod.def as { type: string; innerType?: z.core.$ZodType; shape?: Record<string, z.core.$ZodType> };
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'prefault':
    case 'nullable':
      return kindOf(def.innerType!);
    case 'object':
      return { kind: 'other', shape: def.shape! };
    case 'number':
    case 'int':
      return { kind: 'number' };
    case 'boolean':
      return { kind: 'boolean' };
    case 'string':
    case 'enum':
      return { kind: 'string' };
    case 'array':
      return { kind: 'array' };
    default:
      return { kind: 'other' };
  }
}

function leaves(schema: z.core.$ZodType, path: string[] = []): Leaf[] {
  const { kind, shape } = kindOf(schema);
  if (shape) return Object.entries(shape).flatMap(([k, s]) => leaves(s, [...path, k]));
  return [{ path, kind }];
}

const snake = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

export function envNameOf(path: readonly string[]): string {
  const parts = path[0] === 'collector' ? path.slice(1) : path;
  return ENV_PREFIX + parts.map(snake).join('_');
}

const LEAVES = new Map(leaves(collectorConfigSchema).map((l) => [envNameOf(l.path), l]));

/** Every setting the schema knows outside arrays: its dotted key, its variable and its kind. */
export function knownSettings(): { key: string; variable: string; kind: LeafKind }[] {
  return [...LEAVES].map(([variable, l]) => ({ key: l.path.join('.'), variable, kind: l.kind }));
}

/** Every override variable the schema knows, for documentation and help text. */
export function knownEnvVariables(): string[] {
  return [...LEAVES.keys()].sort();
}

export interface EnvOverride {
  readonly variable: string;
  readonly key: string;
  readonly path: readonly string[];
  readonly value: unknown;
  /** Why the variable could not be used; the loader throws with it. */
  readonly error?: string;
}

function coerce(kind: LeafKind, text: string): { value: unknown; error?: string } {
  switch (kind) {
    case 'number': {
      const n = Number(text);
      return text.trim() === '' || !Number.isFinite(n)
        ? { value: text, error: `"${text}" is not a number` }
        : { value: n };
    }
    case 'boolean':
      if (/^(true|1|yes|on)$/i.test(text)) return { value: true };
      if (/^(false|0|no|off)$/i.test(text)) return { value: false };
      return { value: text, error: `"${text}" is not true or false` };
    case 'array':
      if (text.trim().startsWith('[')) {
        try {
          return { value: JSON.parse(text) as unknown };
        } catch {
          return { value: text, error: 'is not a JSON array' };
        }
      }
      return {
        value: text
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      };
    default:
      return { value: text };
  }
}

export function envOverrides(env: NodeJS.ProcessEnv): EnvOverride[] {
  const out: EnvOverride[] = [];
  for (const [variable, text] of Object.entries(env)) {
    if (!variable.startsWith(ENV_PREFIX) || RESERVED.has(variable) || text === undefined) continue;
    const leaf = LEAVES.get(variable);
    if (!leaf) {
      out.push({
        variable,
        key: '',
        path: [],
        value: text,
        error: 'names no collector setting (see deploy/README.md for the list)',
      });
      continue;
    }
    const { value, error } = coerce(leaf.kind, text);
    const key = leaf.path.join('.');
    out.push({ variable, key, path: leaf.path, value, ...(error ? { error } : {}) });
  }
  return out;
}
