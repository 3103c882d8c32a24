import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';

/**
 * A grafana-clickhouse-datasource query, as its SQL editor saves it. The foundation SDK has builders
 * for Grafana's core data sources but not this plugin, so this one implements the SDK's
 * cog.Builder<cog.Dataquery> contract itself; the fields are the plugin's CHQuery for the SQL editor.
 */
export const CLICKHOUSE_TYPE = 'grafana-clickhouse-datasource';
export const PROMETHEUS_TYPE = 'prometheus';

/** Dashboard variables that pick the data sources, so the JSON names no installation-specific uid. */
export const DS_VAR = 'datasource';
export const PROM_VAR = 'prometheus';

export const clickhouseRef: DataSourceRef = { type: CLICKHOUSE_TYPE, uid: `\${${DS_VAR}}` };
export const prometheusRef: DataSourceRef = { type: PROMETHEUS_TYPE, uid: `\${${PROM_VAR}}` };

/** The plugin's Format enum: how the backend shapes the result frame. */
export enum Format {
  TimeSeries = 0,
  Table = 1,
}

export interface ClickHouseQuery {
  refId: string;
  datasource: DataSourceRef;
  editorType: 'sql';
  /** `timeseries` or `table`: which query type the editor shows. */
  queryType: 'timeseries' | 'table';
  format: Format;
  rawSql: string;
}

type BuiltQuery = ClickHouseQuery & cog.Dataquery;

export class ClickHouseQueryBuilder implements cog.Builder<cog.Dataquery> {
  private readonly q: ClickHouseQuery;

  constructor(rawSql: string, format: Format = Format.TimeSeries, refId = 'A') {
    this.q = {
      refId,
      datasource: clickhouseRef,
      editorType: 'sql',
      queryType: format === Format.TimeSeries ? 'timeseries' : 'table',
      format,
      rawSql,
    };
  }

  build(): cog.Dataquery {
    const built: BuiltQuery = {
      ...this.q,
      // The SDK marks data queries with this method; it disappears when the dashboard is serialised.
      _implementsDataqueryVariant() {},
    };
    return built;
  }
}

export const timeSeriesQuery = (sql: string, refId = 'A') => new ClickHouseQueryBuilder(sql, Format.TimeSeries, refId);
export const tableQuery = (sql: string, refId = 'A') => new ClickHouseQueryBuilder(sql, Format.Table, refId);
