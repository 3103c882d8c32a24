/**
 * Host → region on a real fabric, from the topology file's `hosts` rules: by host name (with `*` and
 * `?` globs) or by node labels. The first rule that matches decides; none: undefined.
 */
import type { HostRule } from './schema.js';

function globRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

export type RegionOfHost = (host: string, labels?: Readonly<Record<string, string>>) => string | undefined;

export function regionOfHost(rules: readonly HostRule[]): RegionOfHost {
  const compiled = rules.map((r) => ({
    region: r.region,
    name: r.name !== undefined ? globRegExp(r.name) : undefined,
    label: r.label !== undefined ? Object.entries(r.label) : undefined,
  }));
  return (host, labels = {}) => {
    for (const c of compiled) {
      if (c.name?.test(host)) return c.region;
      if (c.label?.every(([k, v]) => labels[k] === v)) return c.region;
    }
    return undefined;
  };
}
