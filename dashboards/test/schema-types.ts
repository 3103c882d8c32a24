/**
 * The types the schema test turns into JSON Schema, re-exported under unique names so that one
 * TypeScript program (one generator run) covers them all: the foundation SDK's dashboard model, the
 * Options of each panel plugin the dashboards use, and the two query types.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import type * as barchart from '@grafana/grafana-foundation-sdk/barchart';
import type * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import type * as stat from '@grafana/grafana-foundation-sdk/stat';
import type * as statushistory from '@grafana/grafana-foundation-sdk/statushistory';
import type * as table from '@grafana/grafana-foundation-sdk/table';
import type * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import type { ClickHouseQuery } from '../src/clickhouse.js';

export type GrafanaDashboard = Dashboard;
export type TimeseriesOptions = timeseries.Options;
export type StatOptions = stat.Options;
export type TableOptions = table.Options;
export type StatushistoryOptions = statushistory.Options;
export type BarchartOptions = barchart.Options;
export type PrometheusQuery = prometheus.Dataquery;
export type MeridianClickHouseQuery = ClickHouseQuery;
