/** The live status of `meridian up`: a snapshot of the run, and its rendering as text. */
import { THERMAL_SLOWDOWN_MASK } from '@meridian/catalog';
import type { SampleRow } from '@meridian/store';
import { formatDurationS, type Twin } from '@meridian/sim';

export interface RegionStatus {
  readonly name: string;
  readonly gpus: number;
  readonly busy: number;
  readonly util: number;
  readonly temp: number;
  readonly throttledPct: number;
}

export interface LinkStatus {
  readonly id: string;
  readonly rttMs: number | null;
  readonly lossPct: number;
  readonly loadPct: number;
}

export interface StatusSnapshot {
  readonly scenario: string;
  readonly simTimeS: number;
  readonly simNow: string;
  readonly speed: number;
  /** Simulated seconds per wall second actually achieved over the run. */
  readonly achievedSpeed: number;
  readonly wallS: number;
  readonly rowsIngested: number;
  readonly rowsPerS: number;
  readonly regions: readonly RegionStatus[];
  readonly links: readonly LinkStatus[];
  readonly decisions: readonly string[];
  /** The scheduler's last move or hold, in words. */
  readonly lastDecision: string;
  /** Why the run is degraded (a store write failing), or undefined. */
  readonly degraded: string | undefined;
  readonly alerts: readonly string[];
  readonly running: number;
  readonly queued: number;
  /** The planner's health in one line: passes, last pass time, skipped or failed passes. */
  readonly planner: string;
}

export function regionStatus(twin: Twin): RegionStatus[] {
  const f = twin.fabric;
  return f.regions.map((r) => {
    let util = 0;
    let temp = 0;
    let n = 0;
    let busy = 0;
    let throttled = 0;
    for (let g = r.gpuStart; g < r.gpuStart + r.gpuCount; g++) {
      if (f.hostFailed[f.gpuHost[g] as number] === 1) continue;
      n++;
      util += f.util[g] as number;
      temp += f.temp[g] as number;
      if (f.job[g] !== -1) busy++;
      if (((f.throttle[g] as number) & THERMAL_SLOWDOWN_MASK) !== 0) throttled++;
    }
    return {
      name: r.name,
      gpus: n,
      busy,
      util: n ? util / n : 0,
      temp: n ? temp / n : 0,
      throttledPct: n ? (100 * throttled) / n : 0,
    };
  });
}

export function linkStatus(twin: Twin, lastRows: readonly SampleRow[]): LinkStatus[] {
  return twin.fabric.links.map((l) => {
    const row = lastRows.find((r) => r.link_id === l.id);
    const rtt = row?.rtt_avg;
    const cap = l.capacityBps * l.capacityFactor;
    return {
      id: l.id,
      rttMs: typeof rtt === 'number' ? rtt : null,
      lossPct: l.lossPct,
      loadPct: l.cut || cap <= 0 ? 100 : (100 * l.carriedBps) / cap,
    };
  });
}

const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const num = (x: number, d = 1): string => x.toFixed(d);

/** One line per item keeps the block's height fixed, which is what makes an in-place refresh clean. */
function clip(text: string, width = (process.stdout.columns ?? 160) - 4): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(20, width - 1))}…`;
}

/** The block refreshed in place on a terminal. */
export function renderStatus(s: StatusSnapshot): string {
  const lines: string[] = [];
  lines.push(
    `meridian up · ${s.scenario} · sim ${s.simNow} (t+${formatDurationS(s.simTimeS)}) · speed ${s.speed}× (achieved ${num(s.achievedSpeed, 2)}×) · wall ${formatDurationS(s.wallS)}`,
  );
  lines.push(
    `rows ingested ${s.rowsIngested.toLocaleString('en-US')} · ${Math.round(s.rowsPerS).toLocaleString('en-US')} rows/s · workloads running ${s.running}, queued ${s.queued}`,
  );
  lines.push('');
  lines.push(
    `${pad('region', 16)}${pad('GPUs', 7)}${pad('busy', 7)}${pad('util %', 9)}${pad('temp °C', 9)}throttled %`,
  );
  for (const r of s.regions) {
    lines.push(
      `${pad(r.name, 16)}${pad(String(r.gpus), 7)}${pad(String(r.busy), 7)}${pad(num(r.util), 9)}${pad(num(r.temp), 9)}${num(r.throttledPct)}`,
    );
  }
  lines.push('');
  lines.push(`${pad('link', 30)}${pad('RTT ms', 10)}${pad('loss %', 9)}load %`);
  for (const l of s.links) {
    lines.push(
      `${pad(l.id, 30)}${pad(l.rttMs === null ? '—' : num(l.rttMs, 2), 10)}${pad(num(l.lossPct, 3), 9)}${num(l.loadPct)}`,
    );
  }
  lines.push('');
  if (s.degraded) lines.push(`DEGRADED: ${s.degraded}`);
  lines.push(`planner: ${s.planner}`);
  lines.push('last decisions:');
  for (const d of s.decisions.length ? s.decisions : ['(none yet)']) lines.push(`  ${clip(d)}`);
  lines.push('alerts and events:');
  for (const a of s.alerts.length ? s.alerts : ['(none)']) lines.push(`  ${clip(a)}`);
  return lines.join('\n');
}

/** One line, for logs and pipes (stdout is not a TTY). */
export function renderStatusLine(s: StatusSnapshot): string {
  const regions = s.regions.map((r) => `${r.name} ${num(r.util, 0)}%/${num(r.temp, 0)}°C`).join(' ');
  const links = s.links
    .map((l) => `${l.id} ${l.rttMs === null ? '—' : num(l.rttMs, 1)}ms/${num(l.lossPct, 2)}%`)
    .join(' ');
  const health = s.degraded ? ` | DEGRADED: ${s.degraded}` : '';
  return `[t+${formatDurationS(s.simTimeS)} ${num(s.achievedSpeed, 1)}×] rows ${s.rowsIngested} (${Math.round(s.rowsPerS)}/s)${health} | ${regions} | last decision: ${s.lastDecision} | ${links}`;
}
