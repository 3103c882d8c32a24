/**
 * One alert rule, as Meridian ships it: the SQL Grafana runs on the ClickHouse data source, the
 * threshold its value is compared with, how long it must hold, and the twin scenario the tests fire
 * it in. Adding a rule is one entry in RULES (rules.ts); the Grafana provisioning file, the tests and
 * the README's list follow from it.
 */

/** A twin scenario the tests run, and when its event starts (simulated seconds after t=0). */
export interface FiresIn {
  /** A shipped scenario (sim/scenarios), or `inject:<name>` for a fault the twin does not model (tests write the rows). */
  readonly scenario: string;
  /** The rule must be firing (condition true and held `forS`) this many seconds after the event starts. */
  readonly withinS: number;
}

export type Severity = 'critical' | 'warning';

export interface AlertRule {
  /** Stable uid (Grafana keys provisioned rules by it); `meridian-` + a slug. */
  readonly uid: string;
  readonly title: string;
  /** Rule group (Grafana evaluates a group's rules together, every `interval`). */
  readonly group: 'gpu' | 'fabric' | 'links';
  readonly severity: Severity;
  /**
   * ClickHouse SQL, table format: string columns become the alert instance's labels and the one
   * numeric column, `value`, is compared with the threshold. Only the data source backend's macros
   * ($__timeFilter, $__toTime …): Grafana expands nothing else in an alert query.
   */
  readonly sql: string;
  /** How far back the query looks (the rule's relativeTimeRange), seconds. */
  readonly windowS: number;
  /** Fires when value > threshold. */
  readonly threshold: number;
  /** How long the condition must hold before the alert fires (Grafana's `for`), seconds. */
  readonly forS: number;
  /** One line, with {{ $labels.x }} templates. */
  readonly summary: string;
  /** What it means and what to do. */
  readonly description: string;
  readonly firesIn: FiresIn;
}

/** A rule for Prometheus (or Grafana's Prometheus-compatible ruler) on the collector's and scheduler's /metrics. */
export interface PromRule {
  readonly alert: string;
  readonly expr: string;
  readonly forS: number;
  readonly severity: Severity;
  readonly summary: string;
  readonly description: string;
  /** Metric names the expression reads; the tests check each is one the process exports. */
  readonly metrics: readonly string[];
}
