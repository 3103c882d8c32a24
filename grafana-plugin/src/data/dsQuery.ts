import { getBackendSrv } from '@grafana/runtime';
import { lastValueFrom } from 'rxjs';
import { CLICKHOUSE_DS_TYPE } from '../constants';
import { DataError, toDataError } from './errors';

/** grafana-clickhouse-datasource's query model (src/types/sql.ts): SQL editor, table format. */
export interface ClickHouseQuery {
  refId: string;
  datasource: { type: string; uid: string };
  editorType: 'sql';
  rawSql: string;
  /** 0 time series, 1 table (grafana/sqlds). Rows are read back as objects, so always table. */
  format: 1;
  intervalMs: number;
  maxDataPoints: number;
}

interface FrameField {
  name: string;
  type?: string;
}
interface DataFrameJSON {
  schema?: { fields: FrameField[] };
  data?: { values: unknown[][] };
}
interface DsQueryResponse {
  results: Record<string, { frames?: DataFrameJSON[]; error?: string; status?: number }>;
}

export type Row = Record<string, unknown>;

/** Columnar frames (Grafana's wire format) to row objects keyed by column name. */
export function framesToRows(frames: DataFrameJSON[] | undefined): Row[] {
  const rows: Row[] = [];
  for (const frame of frames ?? []) {
    const fields = frame.schema?.fields ?? [];
    const values = frame.data?.values ?? [];
    const n = values[0]?.length ?? 0;
    for (let i = 0; i < n; i++) {
      const row: Row = {};
      fields.forEach((f, j) => {
        row[f.name] = values[j]?.[i] ?? null;
      });
      rows.push(row);
    }
  }
  return rows;
}

export interface RangeMs {
  from: number;
  to: number;
}

/**
 * Runs SQL through Grafana's /api/ds/query against the configured ClickHouse data source. Several
 * statements go in one request (one refId each) so a page costs one round trip.
 */
export async function runQueries(
  dsUid: string | undefined,
  sqls: Record<string, string>,
  range: RangeMs,
  intervalMs: number,
): Promise<Record<string, Row[]>> {
  if (!dsUid) {
    throw new DataError('not-configured', 'No ClickHouse data source is selected in the Meridian app configuration');
  }
  const queries: ClickHouseQuery[] = Object.entries(sqls).map(([refId, rawSql]) => ({
    refId,
    datasource: { type: CLICKHOUSE_DS_TYPE, uid: dsUid },
    editorType: 'sql',
    rawSql,
    format: 1,
    intervalMs,
    maxDataPoints: Math.max(1, Math.round((range.to - range.from) / intervalMs)),
  }));
  let res: DsQueryResponse;
  try {
    const r = await lastValueFrom(
      getBackendSrv().fetch<DsQueryResponse>({
        url: '/api/ds/query',
        method: 'POST',
        data: { queries, from: String(range.from), to: String(range.to) },
        showErrorAlert: false,
      }),
    );
    res = r.data;
  } catch (e) {
    // /api/ds/query answers 4xx with per-refId errors in the body too; surface the first one.
    const body = (e as { data?: DsQueryResponse }).data;
    const first = body?.results ? Object.values(body.results).find((x) => x.error) : undefined;
    const status = (e as { status?: number }).status;
    if (first?.error && status !== 403) {
      throw new DataError('query', `ClickHouse query failed: ${first.error}`, status);
    }
    // Grafana answers 404 with no `results` when no data source has the uid (removed, or another org's).
    if (status === 404 && !body?.results) {
      throw new DataError(
        'datasource-missing',
        `The ClickHouse data source "${dsUid}" named in the Meridian app configuration does not exist`,
        404,
      );
    }
    throw toDataError(e, 'ClickHouse data source');
  }
  const out: Record<string, Row[]> = {};
  for (const refId of Object.keys(sqls)) {
    const r = res.results?.[refId];
    if (r?.error) throw new DataError('query', `ClickHouse query ${refId} failed: ${r.error}`, r.status);
    out[refId] = framesToRows(r?.frames);
  }
  return out;
}

export function num(v: unknown): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

export function str(v: unknown): string {
  return v === null || v === undefined ? '' : String(v);
}

/** Frame time values are epoch ms; tolerate ClickHouse's 'YYYY-MM-DD hh:mm:ss' text (UTC) as well. */
export function timeMs(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v !== 'string' || v === '') return null;
  if (/^\d+$/.test(v)) return Number(v);
  const iso = v.includes('T') ? v : `${v.replace(' ', 'T')}Z`;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : null;
}
