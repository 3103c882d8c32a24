/**
 * For `bench:collector --against DIR`: loaded with `node --import <this file's URL>?dir=DIR`, it
 * makes the process load
 * `@meridian/collector` from DIR (a copy of another build's collector/dist) instead of this
 * checkout's collector/dist, so that two builds of the agent can run side by side in one window.
 * The copy's own imports (zod, prom-client, @meridian/store) resolve as if it were still in place.
 */
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';

const here = new URL('../../collector/dist/', import.meta.url).href;
const dir = new URL(import.meta.url).searchParams.get('dir');
const against = dir ? pathToFileURL(`${dir}/`).href : undefined;

interface ResolveContext {
  readonly parentURL?: string;
  readonly conditions: readonly string[];
}
interface ResolveResult {
  readonly url: string;
  readonly format?: string | null;
  readonly shortCircuit?: boolean;
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<ResolveResult>;

export async function resolve(specifier: string, context: ResolveContext, next: NextResolve): Promise<ResolveResult> {
  if (!against) return next(specifier, context);
  const parent = context.parentURL;
  const asIfHere = parent?.startsWith(against) ? here + parent.slice(against.length) : parent;
  const resolved = await next(specifier, asIfHere === undefined ? context : { ...context, parentURL: asIfHere });
  return resolved.url.startsWith(here) ? { ...resolved, url: against + resolved.url.slice(here.length) } : resolved;
}

if (isMainThread) {
  if (!against) throw new Error(`${import.meta.url}: add ?dir= naming a copy of a build's collector/dist`);
  // The hooks run on a thread of their own, which loads this file again with the same ?dir=.
  register(import.meta.url);
}
