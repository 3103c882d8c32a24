import { dateMath, dateTime, type TimeRange } from '@grafana/data';
import { useCallback, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router-dom';

export const DEFAULT_FROM = 'now-6h';
export const DEFAULT_TO = 'now';

function parseEdge(raw: string, roundUp: boolean) {
  // Grafana URLs carry either relative expressions (now-6h) or epoch milliseconds.
  if (/^\d+$/.test(raw)) return dateTime(Number(raw));
  const parsed = dateMath.toDateTime(raw, { roundUp });
  return parsed && parsed.isValid() ? parsed : undefined;
}

export interface TimeRangeState {
  range: TimeRange;
  fromMs: number;
  toMs: number;
  /** Bumped by refresh: a dependency that makes every query run again. */
  refreshKey: number;
  setRange: (r: TimeRange) => void;
  refresh: () => void;
  /** `from` and `to` as URL parameters, so links between pages keep the range. */
  query: string;
}

/** The page's time range, kept in the URL's from/to like every Grafana page. */
export function useTimeRange(): TimeRangeState {
  const [params, setParams] = useSearchParams();
  const [refreshKey, setRefreshKey] = useState(0);
  const rawFrom = params.get('from') ?? DEFAULT_FROM;
  const rawTo = params.get('to') ?? DEFAULT_TO;

  const range = useMemo<TimeRange>(() => {
    const from = parseEdge(rawFrom, false) ?? parseEdge(DEFAULT_FROM, false)!;
    const to = parseEdge(rawTo, true) ?? parseEdge(DEFAULT_TO, true)!;
    return { from, to, raw: { from: rawFrom, to: rawTo } };
    // refreshKey re-evaluates relative ranges such as now-6h at each refresh.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rawFrom, rawTo, refreshKey]);

  const setRange = useCallback(
    (r: TimeRange) => {
      const next = new URLSearchParams(params);
      next.set('from', typeof r.raw.from === 'string' ? r.raw.from : String(r.from.valueOf()));
      next.set('to', typeof r.raw.to === 'string' ? r.raw.to : String(r.to.valueOf()));
      setParams(next);
    },
    [params, setParams],
  );

  const query = `from=${encodeURIComponent(rawFrom)}&to=${encodeURIComponent(rawTo)}`;
  return {
    range,
    fromMs: range.from.valueOf(),
    toMs: range.to.valueOf(),
    refreshKey,
    setRange,
    refresh: () => setRefreshKey((k) => k + 1),
    query,
  };
}
