/** Building blocks shared by the config schema and the sources' own config schemas. */
import { z } from 'zod';

/**
 * A duration in ms, bounded. Every bound used is below 2^31 ms (about 24.8 days): Node turns a
 * longer timer into a 1 ms one. Every other number in the schema has its max as well (a test
 * walks them all).
 */
export const ms = (min: number, max: number, def: number) => z.number().int().min(min).max(max).default(def);

/** An interface name as Linux allows it. */
export const interfaceName = z.string().regex(/^[A-Za-z0-9_.:@-]{1,15}$/, 'is not an interface name');
