/**
 * A RecordBuilder for a parser that reads the same columns on every line (the nvidia-smi stream):
 * the record's `values` come out as a fast-mode object, built by cloning a template that has the
 * same keys in the same order, instead of one key stored after another.
 *
 * Why: V8 turns an object into a hash table (dictionary mode) once about 20 properties have been
 * added to it by computed name, which is how RecordBuilder.setMetric adds them. A GPU line has
 * 20 to 30 metrics, so every record was a hash table of about 1.5 KB, and copying it into a
 * sample row (toSampleRow's spread) cost about 4 µs, against 0.6 µs from a fast-mode object. At 8
 * GPUs a second that was most of the collector's per-sample garbage. The values, their keys and
 * their order are exactly what RecordBuilder would have made.
 */
import type { Entity, SourceTag } from '@meridian/catalog';
import { RecordBuilder, type ParsedRecord } from './record.js';

/** Templates kept per shape; a shape is the set of metrics a line had. Real streams have a few. */
const MAX_TEMPLATES = 64;

/**
 * The metrics a line may set, each with a bit: a record's shape is the sum of the bits of the
 * metrics it has. Up to 52 metrics (sums stay exact integers); more, or a metric listed twice
 * (whose key order could then depend on which of its columns was present), and the builder
 * stores values as RecordBuilder does.
 */
export class ValueShapes {
  private readonly bitOf = new Map<string, number>();
  private readonly templates = new Map<number, Record<string, unknown>>();
  readonly usable: boolean;

  /** `names`: every metric name a line can set, in the order the parser sets them. */
  constructor(names: readonly string[]) {
    let unique = true;
    for (const [i, n] of names.entries()) {
      if (this.bitOf.has(n)) unique = false;
      this.bitOf.set(n, 2 ** i);
    }
    this.usable = unique && names.length <= 52;
  }

  bit(name: string): number | undefined {
    return this.bitOf.get(name);
  }

  /** A fast-mode object with `keys` in that order (values to be overwritten), or undefined. */
  template(shape: number, keys: readonly string[]): Record<string, unknown> | undefined {
    let t = this.templates.get(shape);
    if (t) return t;
    if (this.templates.size >= MAX_TEMPLATES) return undefined;
    // Object.fromEntries defines the keys as a literal would: the object stays fast.
    t = Object.fromEntries(keys.map((k) => [k, undefined]));
    this.templates.set(shape, t);
    return t;
  }
}

export class ColumnRecordBuilder extends RecordBuilder {
  private readonly keys: string[] = [];
  private readonly nums: number[] = [];
  private shape = 0;
  /** A metric set twice, or one outside the shapes: values are then kept as RecordBuilder keeps them. */
  private plain: boolean;

  constructor(
    entity: Entity,
    source: SourceTag,
    private readonly shapes: ValueShapes,
  ) {
    super(entity, source);
    this.plain = !shapes.usable;
  }

  protected override put(name: string, value: number): void {
    if (this.plain) {
      this.values[name] = value;
      return;
    }
    const bit = this.shapes.bit(name);
    // Bits are powers of two and shapes exact integers below 2^53: this reads the metric's bit.
    if (bit === undefined || Math.floor(this.shape / bit) % 2 === 1) {
      this.toPlain();
      this.values[name] = value;
      return;
    }
    this.keys.push(name);
    this.nums.push(value);
    this.shape += bit;
  }

  /** Moves what was gathered so far into `values`, in order, and stores there from now on. */
  private toPlain(): void {
    this.plain = true;
    for (let i = 0; i < this.keys.length; i++) this.values[this.keys[i]!] = this.nums[i]!;
  }

  override build(): ParsedRecord {
    const template = this.plain || this.keys.length === 0 ? undefined : this.shapes.template(this.shape, this.keys);
    if (!template) {
      if (!this.plain) this.toPlain();
      return super.build();
    }
    // A clone of the template has its map: stores to keys it already has keep the object fast.
    const values = { ...template } as Record<string, number>;
    for (let i = 0; i < this.keys.length; i++) values[this.keys[i]!] = this.nums[i]!;
    const { entity, source, labels, errors, extra } = this;
    return { entity, source, labels, values, errors, extra };
  }
}
