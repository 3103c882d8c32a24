/**
 * Alert rules for GPU interconnect and memory health, as SQL over the store, ready for the generated
 * alert rules (dashboards/src/alerts) to wrap into Grafana alert rules: NVLink CRC and replay error
 * rates, the PCIe replay rate, and row-remap failure. Each query returns one row per whole GPU that
 * breaches, with `region`, `host`, `gpu_uuid` as labels and `value` as the figure compared with the
 * threshold (Grafana's reduce/threshold expressions, or the rule's own condition, read `value`).
 * Rates come from the writer's per-sample increases in the 1-minute rollup (`<counter>_inc`), so a
 * counter reset counts from zero and a restart never reads as a burst.
 */
import { increaseColumn, label, readExprOf, rollupTableName } from './alerts-dcgm-sql.js';

export interface DcgmAlertRule {
  /** Stable rule id (Grafana uid material). */
  readonly id: string;
  readonly title: string;
  readonly severity: 'warning' | 'critical';
  /** How long the condition must hold before the rule fires, Grafana `for`. */
  readonly forDuration: string;
  /** The window the SQL looks back over, minutes; the same number is baked into `sql`. */
  readonly windowMinutes: number;
  /** Fires when `value` is above this. */
  readonly threshold: number;
  readonly summary: string;
  /** ClickHouse SQL (no Grafana macros): one row per breaching GPU, columns region, host, gpu_uuid, value. */
  readonly sql: string;
}

const keys = () => [label('region'), label('host'), label('gpu_uuid')];

/** Errors per hour of one or more counters over the last `minutes`, per whole GPU, above `threshold`. */
function rateSql(counters: readonly string[], minutes: number, threshold: number): string {
  const k = keys();
  const sum = counters.map((c) => `coalesce(sum(${increaseColumn(c)}), 0)`).join(' + ');
  return [
    `SELECT ${k.join(', ')}, toFloat64(${sum}) * 60 / ${minutes} AS value`,
    `FROM ${rollupTableName()}`,
    `WHERE ts >= now() - INTERVAL ${minutes} MINUTE AND ${label('mig_instance')} = ''`,
    `GROUP BY ${k.join(', ')}`,
    `HAVING value > ${threshold}`,
    'ORDER BY value DESC',
  ].join(' ');
}

/** The rules, with their SQL. Thresholds are per GPU and per hour. */
export function dcgmAlertRules(): DcgmAlertRule[] {
  const k = keys();
  return [
    {
      id: 'meridian-nvlink-crc',
      title: 'NVLink CRC errors',
      severity: 'warning',
      forDuration: '10m',
      windowMinutes: 15,
      threshold: 60,
      summary:
        'NVLink flit or data CRC errors above 60 per hour on a GPU: a marginal link (cable, connector or NVSwitch port) that slows every collective crossing it.',
      sql: rateSql(['nvlink_crc_flit_errors', 'nvlink_crc_data_errors'], 15, 60),
    },
    {
      id: 'meridian-nvlink-replay',
      title: 'NVLink replay errors',
      severity: 'warning',
      forDuration: '10m',
      windowMinutes: 15,
      threshold: 10,
      summary: 'NVLink replays (retransmissions) above 10 per hour on a GPU: the link is correcting errors at a cost.',
      sql: rateSql(['nvlink_replay_errors'], 15, 10),
    },
    {
      id: 'meridian-nvlink-recovery',
      title: 'NVLink recoveries',
      severity: 'critical',
      forDuration: '0m',
      windowMinutes: 15,
      threshold: 0,
      summary: 'An NVLink link had to retrain (recovery): traffic on it stalled; drain the GPU if it repeats.',
      sql: rateSql(['nvlink_recovery_errors'], 15, 0),
    },
    {
      id: 'meridian-pcie-replay',
      title: 'PCIe replays',
      severity: 'warning',
      forDuration: '10m',
      windowMinutes: 15,
      threshold: 100,
      summary: 'PCIe replays above 100 per hour on a GPU: a degrading host link (riser, slot, retimer).',
      sql: rateSql(['pcie_replay'], 15, 100),
    },
    {
      id: 'meridian-row-remap-failure',
      title: 'Row remapping failed',
      severity: 'critical',
      forDuration: '0m',
      windowMinutes: 10,
      threshold: 0,
      summary: 'A row remapping failed: the GPU cannot retire more bad memory rows and needs service.',
      sql: [
        `SELECT ${k.join(', ')}, toFloat64(${readExprOf('remapped_rows_failed', 'max')}) AS value`,
        `FROM ${rollupTableName()}`,
        `WHERE ts >= now() - INTERVAL 10 MINUTE AND ${label('mig_instance')} = ''`,
        `GROUP BY ${k.join(', ')}`,
        'HAVING value > 0',
      ].join(' '),
    },
  ];
}
