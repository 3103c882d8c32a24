import {
  FIRST_IN_HOUR,
  FIRST_IN_MINUTE,
  increaseColumn,
  keyLabelsOf,
  metricsOf,
  type Entity,
  type MetricDef,
} from '@meridian/catalog';
import type { Cells, DerivedInput } from './native.js';
import type { SampleRow } from './types.js';

interface SeriesState {
  /** Epoch ms of the latest sample written. */
  readonly ts: number;
  /** Latest value of each counter (undefined until seen). */
  readonly values: readonly (number | undefined)[];
}

/**
 * What the encoder takes (per row: `<counter>_inc` where known and the two first-in-bucket flags;
 * `present`: the increase columns some row has a value for), and the step that keeps it.
 */
export interface Derived extends DerivedInput {
  /** Makes these rows the new "previous sample" of their series; call once the write succeeded. */
  commit(): void;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

/**
 * Per-series memory of the previous sample, which turns cumulative counters into increases and marks
 * each series' first sample in a minute and an hour (see increaseColumn in the catalog for why).
 *
 * - A value below the previous one is a reset (driver reload, NIC reset): the increase is the new
 *   value, counted from zero, as Prometheus' increase() does.
 * - The first sample of a series this process sees has no increase (NULL): the writer cannot know
 *   what happened before it started. Rows at or before the series' latest instant (a replay, a late
 *   batch) get no increase and no flags, so nothing is counted twice.
 * - State moves on only when a write succeeds (commit), so a batch that failed and is retried from
 *   the spool gets the same increases the second time.
 * - Memory is bounded: past `maxSeries` the least recently written series are forgotten.
 */
export class IncreaseTracker {
  private readonly last = new Map<string, SeriesState>();
  private readonly keys: string[];
  private readonly counters: { metric: MetricDef; column: string }[];

  constructor(
    entity: Entity,
    private readonly maxSeries = 250_000,
  ) {
    this.keys = keyLabelsOf(entity).map((l) => l.name);
    this.counters = metricsOf(entity).flatMap((metric) => {
      const column = increaseColumn(metric);
      return column ? [{ metric, column }] : [];
    });
  }

  get size(): number {
    return this.last.size;
  }

  derive(rows: readonly SampleRow[]): Derived {
    const pending = new Map<string, SeriesState>();
    const present = new Set<string>();
    const out: Cells[] = new Array<Cells>(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      let key = '';
      for (const k of this.keys) key += `${row[k] ?? ''}\u001f`;
      const prev = pending.get(key) ?? this.last.get(key);
      const ts = row.ts;
      if (prev && ts <= prev.ts) {
        out[r] = { [FIRST_IN_MINUTE]: 0, [FIRST_IN_HOUR]: 0 };
        continue;
      }
      const d: Record<string, number> = {
        [FIRST_IN_MINUTE]: !prev || Math.floor(ts / MINUTE) !== Math.floor(prev.ts / MINUTE) ? 1 : 0,
        [FIRST_IN_HOUR]: !prev || Math.floor(ts / HOUR) !== Math.floor(prev.ts / HOUR) ? 1 : 0,
      };
      const values = prev ? prev.values.slice() : new Array<number | undefined>(this.counters.length);
      for (let i = 0; i < this.counters.length; i++) {
        const c = this.counters[i]!;
        const v = row[c.metric.name];
        if (typeof v !== 'number') continue;
        const p = values[i];
        if (p !== undefined) {
          d[c.column] = v >= p ? v - p : v;
          present.add(c.column);
        }
        values[i] = v;
      }
      pending.set(key, { ts, values });
      out[r] = d;
    }
    return {
      rows: out,
      present,
      commit: () => {
        for (const [k, s] of pending) {
          // Re-inserting moves the series to the back, so eviction drops the least recently written.
          this.last.delete(k);
          this.last.set(k, s);
        }
        for (const k of this.last.keys()) {
          if (this.last.size <= this.maxSeries) break;
          this.last.delete(k);
        }
      },
    };
  }
}
