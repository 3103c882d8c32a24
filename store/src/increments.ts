import { increaseColumn, keyLabelsOf, metricsOf, type Entity } from '@meridian/catalog';
import { isStringColumn, type NumberColumn, type SampleColumn, type SampleColumns } from './columns.js';
import type { RowOrder } from './gather.js';

interface SeriesState {
  /** Epoch ms of the latest sample written. */
  readonly ts: number;
  /** Latest value of each counter, NaN until seen. */
  readonly values: Float64Array;
}

/** Each row's series: an index into `keys` (the key labels' values joined, in key order). */
export interface SeriesSlots {
  readonly slotOf: Uint32Array;
  readonly keys: readonly string[];
}

/**
 * What the encoder takes beside the batch: each counter's increase (only counters some row has an
 * increase for; `nulls` marks the rows without one), the two first-in-bucket flags, and the step that
 * makes this batch the tracker's memory.
 */
export interface Derived {
  readonly increases: ReadonlyMap<string, Required<NumberColumn>>;
  readonly firstInMinute: Uint8Array;
  readonly firstInHour: Uint8Array;
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
 *
 * It works on columns: rows are mapped to a per-batch series slot through their key labels'
 * dictionary codes, so the series' text key is built once per series and batch, not once per row.
 */
export class IncreaseTracker {
  private readonly last = new Map<string, SeriesState>();
  private readonly keys: { name: string; numeric: boolean }[];
  private readonly counters: { metric: string; column: string }[];

  constructor(
    entity: Entity,
    private readonly maxSeries = 250_000,
  ) {
    this.keys = keyLabelsOf(entity).map((l) => ({ name: l.name, numeric: l.type === 'UInt16' }));
    this.counters = metricsOf(entity).flatMap((m) => {
      const column = increaseColumn(m);
      return column ? [{ metric: m.name, column }] : [];
    });
  }

  get size(): number {
    return this.last.size;
  }

  /**
   * Increases and flags for `batch`, from what this tracker remembers. `series` is
   * seriesOf(batch), when the caller already has it (it depends on the rows only, not on the
   * tracker's memory, so it can be worked out before the previous batch is written). With `order`
   * the rows are walked, and the columns returned, in that order (the block's: see gather.ts); an
   * order that keeps each series' rows in their order gives every row what arrival order would,
   * since the memory is per series.
   */
  derive(batch: SampleColumns, series: SeriesSlots = this.seriesOf(batch), order: RowOrder = null): Derived {
    const n = batch.rows;
    const { slotOf, keys } = series;
    const nc = this.counters.length;
    const slots = keys.length;
    const known = new Uint8Array(slots);
    const touched = new Uint8Array(slots);
    const slotTs = new Float64Array(slots);
    const slotVals = new Float64Array(slots * nc).fill(NaN);
    for (let s = 0; s < slots; s++) {
      const prev = this.last.get(keys[s]!);
      if (!prev) continue;
      known[s] = 1;
      slotTs[s] = prev.ts;
      slotVals.set(prev.values, s * nc);
    }
    const fm = new Uint8Array(n);
    const fh = new Uint8Array(n);
    const ts = batch.ts;
    // Which rows are the series' newest so far (not a replay or late row): increases only for them.
    const fresh = new Uint8Array(n);
    for (let j = 0; j < n; j++) {
      const i = order ? order[j]! : j;
      const s = slotOf[i]!;
      const t = ts[i]!;
      if (known[s] === 1) {
        const p = slotTs[s]!;
        if (t <= p) continue;
        fm[j] = Math.floor(t / MINUTE) !== Math.floor(p / MINUTE) ? 1 : 0;
        fh[j] = Math.floor(t / HOUR) !== Math.floor(p / HOUR) ? 1 : 0;
      } else {
        fm[j] = 1;
        fh[j] = 1;
        known[s] = 1;
      }
      fresh[j] = 1;
      touched[s] = 1;
      slotTs[s] = t;
    }
    const increases = new Map<string, Required<NumberColumn>>();
    for (let c = 0; c < nc; c++) {
      const col = batch.columns[this.counters[c]!.metric];
      if (!col || isStringColumn(col)) continue;
      const inc = this.increase(col, n, slotOf, order, fresh, slotVals, c, nc);
      if (inc) increases.set(this.counters[c]!.column, inc);
    }
    return {
      increases,
      firstInMinute: fm,
      firstInHour: fh,
      commit: () => this.remember(keys, touched, slotTs, slotVals, nc),
    };
  }

  /** One counter's increases, walking the rows in `order`; null when no row has one. */
  private increase(
    col: NumberColumn,
    n: number,
    slotOf: Uint32Array,
    order: RowOrder,
    fresh: Uint8Array,
    slotVals: Float64Array,
    c: number,
    nc: number,
  ): Required<NumberColumn> | null {
    const { values, nulls } = col;
    const out = new Float64Array(n);
    const outNulls = new Uint8Array(n).fill(1);
    let any = false;
    for (let j = 0; j < n; j++) {
      const i = order ? order[j]! : j;
      if (fresh[j] !== 1 || (nulls && nulls[i] === 1)) continue;
      const at = slotOf[i]! * nc + c;
      const v = values[i]!;
      const p = slotVals[at]!;
      if (p === p) {
        out[j] = v >= p ? v - p : v;
        outNulls[j] = 0;
        any = true;
      }
      slotVals[at] = v;
    }
    return any ? { values: out, nulls: outNulls } : null;
  }

  private remember(
    keys: readonly string[],
    touched: Uint8Array,
    slotTs: Float64Array,
    slotVals: Float64Array,
    nc: number,
  ): void {
    for (let s = 0; s < keys.length; s++) {
      if (touched[s] !== 1) continue;
      const k = keys[s]!;
      // Re-inserting moves the series to the back, so eviction drops the least recently written.
      this.last.delete(k);
      this.last.set(k, { ts: slotTs[s]!, values: slotVals.slice(s * nc, (s + 1) * nc) });
    }
    for (const k of this.last.keys()) {
      if (this.last.size <= this.maxSeries) break;
      this.last.delete(k);
    }
  }

  /**
   * Maps each row to a series slot. The key labels' codes are combined into one number (mixed radix
   * over the dictionaries' sizes) while that stays exact; past 2^53 combinations, into a string.
   */
  seriesOf(batch: SampleColumns): SeriesSlots {
    const n = batch.rows;
    const cols = this.keys.map((k) => ({ key: k, col: batch.columns[k.name] }));
    const radix = cols.map(({ col }) => (!col ? 1 : isStringColumn(col) ? Math.max(col.dict.length, 1) : 65536));
    const exact = radix.reduce((a, b) => a * b, 1) <= Number.MAX_SAFE_INTEGER;
    const slotOf = new Uint32Array(n);
    const keys: string[] = [];
    const bySlot = new Map<number | string, number>();
    const byKey = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      let id: number | string = exact ? 0 : '';
      for (let k = 0; k < cols.length; k++) {
        const code = codeAt(cols[k]!.col, i);
        id = exact ? (id as number) * radix[k]! + code : `${id as string}${code},`;
      }
      let s = bySlot.get(id);
      if (s === undefined) {
        let key = '';
        for (const { col } of cols) key += `${valueAt(col, i)}\u001f`;
        // A dictionary may hold a string twice: both codes are the same series.
        s = byKey.get(key);
        if (s === undefined) {
          s = keys.length;
          keys.push(key);
          byKey.set(key, s);
        }
        bySlot.set(id, s);
      }
      slotOf[i] = s;
    }
    return { slotOf, keys };
  }
}

function codeAt(col: SampleColumn | undefined, i: number): number {
  if (!col) return 0;
  return isStringColumn(col) ? col.codes[i]! : col.values[i]!;
}

function valueAt(col: SampleColumn | undefined, i: number): string {
  if (!col) return '';
  return isStringColumn(col) ? col.dict[col.codes[i]!]! : String(col.values[i]!);
}
