#!/usr/bin/env node
/**
 * Switches each safety rule off in turn (a one-line source edit), runs its test, and restores the
 * source. Every line must say "fails with the rule off": a test that still passes does not guard its
 * rule. Run from the repository root: node scheduler/scripts/mutation-check.mjs [rule ...]
 * It edits scheduler/src while it runs: do not run it beside other edits or builds of scheduler/.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const plan = 'scheduler/src/plan/plan.ts';
const CASES = [
  [
    'cooldown',
    [[plan, 'if (!evacuate && last && obs.ts - last.ts < cfg.cooldownSeconds * 1000)', 'if (false && last)']],
    'cooldown: a job',
  ],
  ['flap (A→B→A)', [[plan, 'if (leftRecently.has(r.region)) {', 'if (false) {']], 'oscillating'],
  [
    'freshness guard',
    [
      [
        'scheduler/src/assess/assess.ts',
        'const stale = r.lastSampleTs === null || now - r.lastSampleTs > staleMs;',
        'const stale = false;',
      ],
    ],
    'stale region',
  ],
  ['rate limit', [[plan, 'if (ledger.hourly >= cfg.limits.movesPerHour) {', 'if (false) {']], 'rate limits'],
  [
    'gangs whole',
    [
      [
        plan,
        "const divisible =\n      w.commClass === 'inference' &&",
        "const divisible =\n      true || w.commClass === 'inference' &&",
      ],
    ],
    'gangs move whole',
  ],
  [
    'cost vs benefit',
    [
      ['scheduler/src/plan/problem.ts', '- margin * o.costPerUnit', '- 0 * o.costPerUnit'],
      [plan, 'if (!(benefit > cost * p.margin)) {', 'if (false) {'],
    ],
    'cost exceeds',
  ],
  ['degraded-link trigger', [[plan, 'const bad = partners.filter(', 'const bad = [].filter(']], 'degraded link'],
  ['pinned', [[plan, 'if (w.pinned) {', 'if (false) {']], 'pinned job'],
  [
    'freshest window: cleared',
    [
      [
        'scheduler/src/assess/assess.ts',
        'const throttleNow = throttleHot && (throttleRecent ?? 0) > cfg.throttle.low;',
        'const throttleNow = throttleHot;',
      ],
    ],
    'throttling that has cleared',
  ],
  [
    'freshest window: heating',
    [[plan, "r.status !== 'ok' || r.heating) continue;", "r.status !== 'ok') continue;"]],
    'heating up',
  ],
  [
    'freshest window: overload',
    [[plan, 'Math.round(r.loadRecent * r.gpusTotal)', 'Math.round(r.load * r.gpusTotal)']],
    'sheds the overload',
  ],
  [
    'persistence',
    [['scheduler/src/assess/hysteresis.ts', 'if (now - since >= band.persistMs) {', 'if (true) {']],
    'hysteresis',
  ],
  // Rules that keep moves few (placement.test.ts): a fourth element names the test file.
  [
    'starved: into the hole only',
    [[plan, 'const dests = why.into ? found.filter((d) => why.into?.has(d.region)) : found;', 'const dests = found;']],
    'fills a starved region with the fewest moves',
    'scheduler/test/placement.test.ts',
  ],
  [
    'starved: fewest moves',
    [[plan, 'if (balance && holeFillers.size > 0) fillHoles(', 'if (false) fillHoles(']],
    'fills a starved region with the fewest moves',
    'scheduler/test/placement.test.ts',
  ],
  [
    'load/imbalance: stop at band',
    [[plan, 'if (c.cand.shedOnly && ex <= 0 && bandLeft <= 0) {', 'if (false) {']],
    'no more',
    'scheduler/test/placement.test.ts',
  ],
];

const only = process.argv.slice(2);
let bad = 0;
for (const [name, edits, test, file = 'scheduler/test/safety.test.ts'] of CASES) {
  if (only.length && !only.some((o) => name.includes(o))) continue;
  const saved = new Map();
  try {
    for (const [file, from, to] of edits) {
      const src = saved.get(file) ?? readFileSync(file, 'utf8');
      saved.set(file, src);
      const cur = readFileSync(file, 'utf8');
      if (!cur.includes(from)) throw new Error(`${name}: pattern not found in ${file}`);
      writeFileSync(file, cur.replace(from, to));
    }
    const r = spawnSync('npx', ['vitest', 'run', file, '-t', test], { encoding: 'utf8' });
    const failed = r.status !== 0;
    if (!failed) bad++;
    console.log(`${name.padEnd(30)} ${failed ? 'fails with the rule off (good)' : 'STILL PASSES with the rule off'}`);
  } finally {
    for (const [file, src] of saved) writeFileSync(file, src);
  }
}
process.exit(bad ? 1 : 0);
