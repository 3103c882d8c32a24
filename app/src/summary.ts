/** What `meridian up` says about decisions: one in words for the status line, and the end summary. */
import { formatDurationS, type TwinStats } from '@meridian/sim';
import type { TableRows } from '@meridian/store';

type Decision = TableRows['scheduler_decisions'];

export interface UpSummary {
  readonly scenario: string;
  /** The twin's t=0, epoch ms (after the stored clock when it continued an earlier run). */
  readonly simStartMs: number;
  readonly simS: number;
  readonly wallS: number;
  readonly rows: { gpu: number; host: number; link: number; aux: number };
  readonly rowsWritten: number;
  /** Rows the run produced that never reached the store (write failures); 0 on a healthy run. */
  readonly rowsLost: number;
  /** Why writes failed, when some did. */
  readonly writeError: string | undefined;
  readonly decisions: readonly Decision[];
  readonly stats: TwinStats;
  /** The scheduler API. */
  readonly apiUrl: string;
  readonly statusUrl: string;
  /** Where the operator bearer token for the scheduler API is (never printed itself). */
  readonly tokenFile: string | undefined;
  readonly store: string;
  /** `--data DIR` for `meridian sql`, or `--clickhouse URL`. */
  readonly storeFlag: string;
}

/** A hold's reason is "<trigger>; held: <why not>"; its parts read better the other way round. */
function holdParts(reason: string): { trigger: string; why: string } {
  const i = reason.indexOf('; held: ');
  return i < 0 ? { trigger: '', why: reason } : { trigger: reason.slice(0, i), why: reason.slice(i + 8) };
}

/** One decision as a sentence, for the status line and the summary. */
export function decisionInWords(d: Decision): string {
  switch (d.action) {
    case 'move':
      return `moved ${d.workload_id} ${d.region_from}→${d.region_to} [${d.outcome}] because ${d.reason}`;
    case 'hold': {
      const { trigger, why } = holdParts(d.reason);
      const to = d.region_to ? ` (not to ${d.region_to})` : '';
      return `held ${d.workload_id} in ${d.region_from}${to}: ${why}${trigger ? `, though ${trigger}` : ''}`;
    }
    case 'place':
      return `placement: ${d.reason}`;
    default:
      return `${d.action} ${d.workload_id} ${d.region_from}→${d.region_to || '—'}: ${d.reason} [${d.outcome}]`;
  }
}

/** Placement rows repeat the weights; the status names the last move or hold when there is one. */
export function lastDecisionInWords(ds: readonly Decision[]): string {
  for (let i = ds.length - 1; i >= 0; i--) {
    const d = ds[i] as Decision;
    if (d.action === 'move' || d.action === 'hold') return decisionInWords(d);
  }
  const last = ds[ds.length - 1];
  return last ? decisionInWords(last) : 'none yet (a pass every 30 simulated seconds)';
}

const MOVES_LISTED = 10;
const HOLDS_LISTED = 3;

export function renderSummary(s: UpSummary): string {
  const st = s.stats;
  const total = s.rows.gpu + s.rows.host + s.rows.link;
  const moves = s.decisions.filter((d) => d.action === 'move');
  const holds = s.decisions.filter((d) => d.action === 'hold');
  const lines = [
    `summary: ${s.scenario} ran ${formatDurationS(s.simS)} simulated in ${formatDurationS(s.wallS)} of wall time (${(s.simS / Math.max(1e-3, s.wallS)).toFixed(2)}×)`,
    `  rows: ${total.toLocaleString('en-US')} telemetry (gpu ${s.rows.gpu}, host ${s.rows.host}, link ${s.rows.link}) + ${s.rows.aux} topology/inventory/workload/assignment rows; ${s.rowsWritten.toLocaleString('en-US')} written to the store`,
  ];
  if (s.rowsLost > 0) {
    lines.push(
      `  ROWS LOST: ${s.rowsLost.toLocaleString('en-US')} rows never reached the store (${s.writeError ?? 'store writes failed'})`,
    );
  }
  lines.push(
    `  workloads: ${st.arrived} arrived, ${st.started} started, ${st.completed} completed, ${st.failed} failed with their host`,
    `  scheduler: ${s.decisions.length} decisions, ${moves.length} moves (${st.moves} started in the twin, ${st.movesFailed} refused by it), ${holds.length} holds, ${(st.bytesMoved / 2 ** 30).toFixed(0)} GiB moved across regions`,
  );
  for (const d of moves.slice(0, MOVES_LISTED)) lines.push(`    ${decisionInWords(d)}`);
  if (moves.length > MOVES_LISTED) lines.push(`    … and ${moves.length - MOVES_LISTED} more moves`);
  for (const d of holds.slice(0, HOLDS_LISTED)) lines.push(`    ${decisionInWords(d)}`);
  if (holds.length > HOLDS_LISTED) lines.push(`    … and ${holds.length - HOLDS_LISTED} more holds`);
  lines.push(
    `  inference SLO violation: ${formatDurationS(st.sloViolationS)} (summed over services)`,
    `  store: ${s.store}`,
    '  where to look next:',
    `    every decision and its reason: npx meridian sql "SELECT ts, action, workload_id, region_from, region_to, reason, outcome FROM scheduler_decisions ORDER BY ts" ${s.storeFlag}`,
    `    while it runs: ${s.apiUrl}/api/v1/decisions (bearer token in ${s.tokenFile ?? '$MERIDIAN_API_TOKEN'}), ${s.statusUrl}/api/decisions`,
    '    Grafana: the meridian-fabric-app plugin, Scheduler page (history and reasons), on a ClickHouse data source for this store',
  );
  return lines.join('\n');
}

export function grafanaHint(clickhouse: string | undefined, servedUrl?: string): string {
  if (clickhouse) {
    return `Grafana: add a ClickHouse data source for ${clickhouse} (HTTP protocol, database meridian), then enable the meridian-fabric-app plugin and pick that data source on its configuration page.`;
  }
  if (servedUrl) {
    return (
      `Grafana: add a ClickHouse data source (protocol HTTP${servedUrl.startsWith('https') ? ', TLS' : ''}) for ${servedUrl} with the user and password above ` +
      '(database default), then enable the meridian-fabric-app plugin and pick that data source. `npx meridian sql "…"` reads it too while this runs.'
    );
  }
  return (
    'Grafana: the embedded store is inside this process, so Grafana cannot query it directly. To watch it live, run ' +
    '`npx meridian up --clickhouse http://<host>:8123` against a ClickHouse server and add a ClickHouse data source ' +
    '(HTTP, database meridian) for the meridian-fabric-app plugin. Until then: `npx meridian sql "…" --data <dir>` after this stops.'
  );
}
