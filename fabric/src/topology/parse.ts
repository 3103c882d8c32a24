/**
 * Reads a topology file. Every problem names the key and the line it is on (`links[1].route_km
 * (line 14): …`), because the file is written by hand and the author needs to know what to fix.
 */
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { topologyFileSchema, type TopologyFile } from './schema.js';

export class TopologyError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`topology ${file}: ${problems.join('; ')}`);
    this.name = 'TopologyError';
  }
}

export function keyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out || '(top level)';
}

/**
 * The line of the deepest node on `path` that the document has: a missing key points at the object
 * that lacks it, an extra key at the key itself.
 */
export function lineOf(doc: Document, lc: LineCounter, path: readonly PropertyKey[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node: unknown = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as (string | number)[], true);
    if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
  }
  return undefined;
}

/** Parses and validates topology text; `file` is only used in messages. */
export function parseTopology(text: string, file = '<inline>'): TopologyFile {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true });
  if (doc.errors.length > 0)
    throw new TopologyError(
      file,
      doc.errors.map((e) => `line ${e.linePos?.[0]?.line ?? '?'}: not valid YAML: ${e.message.split('\n')[0] ?? ''}`),
    );
  const res = topologyFileSchema.safeParse(doc.toJS());
  if (res.success) return res.data;
  throw new TopologyError(
    file,
    res.error.issues.map((i) => {
      // An unknown key is reported on its parent; point at the key itself.
      const keys = i.code === 'unrecognized_keys' ? i.keys : [];
      const at = keys.length > 0 ? [...i.path, keys[0] as string] : i.path;
      const line = lineOf(doc, lc, at);
      return `${keyPath(at)}${line !== undefined ? ` (line ${line})` : ''}: ${i.message}`;
    }),
  );
}
