/**
 * Durations as people write them: "30s", "5m", "1.5h", "2d", "250ms", or a bare number of seconds.
 * Small enough that a dependency would cost more than it saves.
 */
const UNIT_S: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds, or an Error naming what was wrong. */
export function parseDurationS(text: string | number, what = 'duration'): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text) || text < 0)
      throw new Error(`${what}: expected a non-negative number of seconds, got ${text}`);
    return text;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!m || m[1] === undefined)
    throw new Error(`${what}: cannot read "${text}" as a duration (examples: 30s, 5m, 1.5h, 250ms)`);
  return Number(m[1]) * (UNIT_S[m[2] ?? 's'] ?? 1);
}

export function formatDurationS(s: number): string {
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
