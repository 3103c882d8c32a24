#!/usr/bin/env node
/**
 * Switches each safety rule off in turn (a source edit), runs its test, and restores the source.
 * Every line must say "fails with the rule off": a test that still passes does not guard its rule.
 * Run from the repository root: node scheduler/scripts/mutation-check.mjs [rule ...]
 *
 * Each rule is found by a marker comment in scheduler/src, `// mutation-check: <rule>`, on the line
 * above the statement that enforces it (a rule may have several markers), so the code can move
 * between files without this script changing. The edit replaces `from` by `to` inside that
 * statement only (the lines after the marker up to the first that ends in `;`, `{` or `)`); a marker
 * that is missing, or whose statement lacks `from`, fails the check and names the rule.
 * It edits scheduler/src while it runs: do not run it beside other edits or builds of scheduler/.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SRC = 'scheduler/src';
/** [rule (its marker's name), [[from, to], ...] (any edit whose `from` the statement holds), test name, test file]. */
const CASES = [
  ['cooldown', [['obs.ts - last.ts < cfg.cooldownSeconds * 1000', 'false']], 'cooldown: a job'],
  ['flap (A→B→A)', [['leftRecently.has(r.region)', 'false']], 'oscillating'],
  ['freshness guard', [['r.lastSampleTs === null || now - r.lastSampleTs > staleMs', 'false']], 'stale region'],
  ['rate limit', [['ledger.hourly >= cfg.limits.movesPerHour', 'false']], 'rate limits'],
  [
    'limits scale with the fleet',
    [['Math.max(1, Math.floor(fleetGpus / L.perGpus))', '1']],
    'rate limits scale with the fleet',
  ],
  [
    'stopped work: no move limits',
    [
      ['!c.cand.stopped', 'true'],
      ['if (c.cand.stopped) ledger', 'if (false) ledger'],
    ],
    'queued in a failed region',
  ],
  [
    'balance: serving GPUs at servingGoodness',
    [['f * r.servingGoodness', 'f * r.goodness']],
    'counts the GPUs that serve at what they serve',
    'scheduler/test/balance.test.ts',
  ],
  ['gangs whole', [["w.commClass === 'inference' &&", "true || w.commClass === 'inference' &&"]], 'gangs move whole'],
  [
    'cost vs benefit',
    [
      ['- margin * o.costPerUnit', '- 0 * o.costPerUnit'],
      ['!(benefit > cost * p.margin)', 'false'],
    ],
    'cost exceeds',
  ],
  ['degraded-link trigger', [['const bad = partners.filter(', 'const bad = [].filter(']], 'degraded link'],
  ['pinned', [['if (w.pinned)', 'if (false)']], 'pinned job'],
  [
    'freshest window: cleared',
    [['throttleHot && (throttleRecent ?? 0) > cfg.throttle.low', 'throttleHot']],
    'throttling that has cleared',
  ],
  ['freshest window: heating', [["r.status !== 'ok' || r.heating", "r.status !== 'ok'"]], 'heating up'],
  [
    'freshest window: overload',
    [['Math.round(r.loadRecent * r.gpusTotal)', 'Math.round(r.load * r.gpusTotal)']],
    'sheds the overload',
  ],
  ['persistence', [['now - since >= band.persistMs', 'true']], 'hysteresis'],
  // Rules that keep moves few (placement.test.ts): a fourth element names the test file.
  [
    'starved: into the hole only',
    [['why.into ? found.filter((d) => why.into?.has(d.region)) : found', 'found']],
    'fills a starved region with the fewest moves',
    'scheduler/test/placement.test.ts',
  ],
  [
    'starved: fewest moves',
    [['balance && holeFillers.size > 0', 'false']],
    'fills a starved region with the fewest moves',
    'scheduler/test/placement.test.ts',
  ],
  [
    'load/imbalance: stop at band',
    [['c.cand.shedOnly && ex <= 0 && bandLeft <= 0', 'false']],
    'no more',
    'scheduler/test/placement.test.ts',
  ],
];

const sources = (dir) =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });

/** The source with every statement under `rule`'s markers edited, per file; throws naming the rule. */
function mutate(rule, edits) {
  const out = new Map();
  const marker = `// mutation-check: ${rule}`;
  for (const file of sources(SRC)) {
    const lines = readFileSync(file, 'utf8').split('\n');
    let hit = false;
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].trim() !== marker) continue;
      hit = true;
      let end = i + 1;
      while (end < lines.length - 1 && !/[;{)]\s*$/.test(lines[end])) end++;
      const stmt = lines.slice(i + 1, end + 1).join('\n');
      const edit = edits.find(([from]) => stmt.includes(from));
      if (!edit)
        throw new Error(`${rule}: the statement under its marker in ${file}:${i + 1} has none of its patterns`);
      lines.splice(i + 1, end - i, ...stmt.replace(edit[0], edit[1]).split('\n'));
    }
    if (hit) out.set(file, lines.join('\n'));
  }
  if (out.size === 0) throw new Error(`${rule}: no "${marker}" marker in ${SRC}`);
  return out;
}

const only = process.argv.slice(2);
let bad = 0;
for (const [name, edits, test, file = 'scheduler/test/safety.test.ts'] of CASES) {
  if (only.length && !only.some((o) => name.includes(o))) continue;
  const saved = new Map();
  try {
    for (const [f, text] of mutate(name, edits)) {
      saved.set(f, readFileSync(f, 'utf8'));
      writeFileSync(f, text);
    }
    const r = spawnSync('npx', ['vitest', 'run', file, '-t', test], { encoding: 'utf8' });
    const failed = r.status !== 0;
    if (!failed) bad++;
    console.log(`${name.padEnd(30)} ${failed ? 'fails with the rule off (good)' : 'STILL PASSES with the rule off'}`);
  } catch (err) {
    bad++;
    console.log(`${name.padEnd(30)} NOT CHECKED: ${err.message}`);
  } finally {
    for (const [f, src] of saved) writeFileSync(f, src);
  }
}
process.exit(bad ? 1 : 0);
