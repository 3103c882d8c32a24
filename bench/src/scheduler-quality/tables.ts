/** The quality bench's Markdown tables: means over seeds, Meridian's wins, Pareto dominance. */
import { dominance, METRICS, wins, type Dominance } from './compare.js';
import { BASELINES, type Policy } from './policies.js';
import { type Result } from './run-policy.js';
import { type QualityCase } from './runs.js';

function dominanceTable(d: Map<string, Map<Policy, Dominance>>): string[] {
  const lines = [
    '',
    'Pareto dominance, cases of scenario × seed, "Meridian dominates / is dominated by" each baseline (at least as good on every metric above, moves and their costs included, and better on one):',
    '',
    `| scenario | ${BASELINES.join(' | ')} |`,
    `| --- | ${BASELINES.map(() => '---').join(' | ')} |`,
  ];
  const total = new Map<Policy, Dominance>();
  const cell = (x: Dominance | undefined) => (x ? `${x.over} / ${x.under} of ${x.cases}` : '-');
  for (const [sc, row] of d) {
    for (const [p, x] of row) {
      const t = total.get(p) ?? { over: 0, under: 0, cases: 0 };
      total.set(p, { over: t.over + x.over, under: t.under + x.under, cases: t.cases + x.cases });
    }
    lines.push(`| ${sc} | ${BASELINES.map((p) => cell(row.get(p))).join(' | ')} |`);
  }
  lines.push(`| **all** | ${BASELINES.map((p) => cell(total.get(p))).join(' | ')} |`);
  return lines;
}

function fmt(xs: number[], digits: number, range: boolean): string {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (!range || xs.length < 2) return mean.toFixed(digits);
  return `${mean.toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;
}

/** The table: per scenario and policy the mean over seeds, with min–max for the key metrics. */
export function qualityTable(cases: QualityCase[]): string[] {
  const lines = [
    '| scenario | policy | done | mean JCT s | p99 JCT s | queue s | spread | SLO min | moves | flaps | wasted GPU-h | GiB moved |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const scenarios = [...new Set(cases.map((c) => c.scenario))];
  for (const sc of scenarios) {
    const policies = [...new Set(cases.filter((c) => c.scenario === sc).map((c) => c.policy))];
    policies.forEach((p, i) => {
      const rs = cases.filter((c) => c.scenario === sc && c.policy === p).map((c) => c.result);
      const col = (k: keyof Result, digits: number, range = false, scale = 1) =>
        fmt(
          rs.map((r) => r[k] * scale),
          digits,
          range,
        );
      lines.push(
        `| ${i === 0 ? sc : ''} | ${p === 'meridian' ? '**meridian**' : p} | ${col('completed', 1)} | ${col('meanJct', 0)} | ${col('p99Jct', 0)} | ${col('queue', 1, true)} | ${col('spread', 3, true)} | ${col('sloMin', 1, true)} | ${col('moves', 1, true)} | ${col('flaps', 1)} | ${col('wastedGpuH', 2)} | ${col('bytes', 0, false, 2 ** -30)} |`,
      );
    });
  }
  const w = wins(cases);
  if (w.size > 0) {
    lines.push(
      '',
      'Meridian best or tied-best (at the printed precision), cases of scenario × seed; outcomes against none/lnu/lnu+cooldown/greedy, moves, flaps, wasted GPU-h and GiB against the three that move:',
      '',
      `| scenario | ${METRICS.map((m) => m.label).join(' | ')} |`,
      `| --- | ${METRICS.map(() => '---').join(' | ')} |`,
    );
    const total = new Map<string, { wins: number; cases: number }>();
    for (const [sc, row] of w) {
      lines.push(
        `| ${sc} | ${METRICS.map((m) => {
          const x = row.get(m.label);
          const t = total.get(m.label) ?? { wins: 0, cases: 0 };
          if (x) total.set(m.label, { wins: t.wins + x.wins, cases: t.cases + x.cases });
          return x ? `${x.wins}/${x.cases}` : '-';
        }).join(' | ')} |`,
      );
    }
    lines.push(
      `| **all** | ${METRICS.map((m) => {
        const x = total.get(m.label);
        return x ? `${x.wins}/${x.cases}` : '-';
      }).join(' | ')} |`,
    );
  }
  const d = dominance(cases);
  if (d.size > 0) lines.push(...dominanceTable(d));
  return lines;
}
