/** The policies the quality bench compares, and which of them are Meridian's baselines. */
export type Policy = 'none' | 'lnu' | 'lnu+cooldown' | 'greedy' | 'placement-only' | 'meridian-nosteer' | 'meridian';
export const POLICIES: Policy[] = [
  'none',
  'lnu',
  'lnu+cooldown',
  'greedy',
  'placement-only',
  'meridian-nosteer',
  'meridian',
];

/** --policies a,b: each name must be one of POLICIES. */
export function parsePolicies(list: string): Policy[] {
  return list.split(',').map((p) => {
    const known = POLICIES.find((q) => q === p);
    if (!known) throw new Error(`--policies: unknown policy "${p}"; give some of ${POLICIES.join(', ')}`);
    return known;
  });
}

/** The baselines Meridian is compared with on outcomes (the table of wins, Pareto dominance). */
export const BASELINES: readonly Policy[] = ['none', 'lnu', 'lnu+cooldown', 'greedy'];
/** The baselines that move work: the costs of moving are compared with these. */
export const MOVERS: readonly Policy[] = BASELINES.filter((p) => p !== 'none');
