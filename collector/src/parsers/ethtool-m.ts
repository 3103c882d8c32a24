/**
 * `ethtool -m <if>` (SFF-8472 SFP, SFF-8636 QSFP, CMIS) → one link record per optical lane.
 *
 * Per-lane readings (bias, Tx and Rx power) go to their lane; module-wide readings (temperature,
 * Vcc, module flags and thresholds) are repeated on every lane so each row stands alone. Lanes are
 * numbered as ethtool prints them (Channel 1..N); a single-lane SFP is lane 0, as the catalog says.
 * A dark lane (Rx "0.0000 mW / -inf dBm") is optic_dark=1 with no optic_rx_power. A -inf that is not
 * a lane reading (a threshold) is a field error. Alarm/warning flags fold into OPTIC_FLAG_BITS.
 */
import { OPTIC_FLAG_BITS } from '@meridian/catalog';
import { catalogMetric, RecordBuilder, type ParsedRecord, type ParseResult, type FieldError } from './record.js';
import { normalise } from './values.js';

const BIAS = catalogMetric('optic_bias').name;
const TX = catalogMetric('optic_tx_power').name;
const RX = catalogMetric('optic_rx_power').name;
const DARK = catalogMetric('optic_dark').name;
const TEMP = catalogMetric('optic_temp').name;
const VCC = catalogMetric('optic_vcc').name;
const ALARMS = catalogMetric('optic_alarms').name;

type Quantity = 'bias' | 'tx_power' | 'rx_power' | 'temp' | 'vcc';
type FlagName = keyof typeof OPTIC_FLAG_BITS;

/** How each ethtool label family names the five DOM quantities (SFF-8472, SFF-8636 and CMIS wording). */
const QUANTITY_LABELS: readonly (readonly [RegExp, Quantity])[] = [
  [/^laser (tx )?bias current/, 'bias'],
  [/^(laser output power|transmit avg optical power|laser tx power)/, 'tx_power'],
  [/^(receiver signal average optical power|rcvr signal avg optical power|laser rx power)/, 'rx_power'],
  [/^module temperature/, 'temp'],
  [/^module voltage/, 'vcc'],
];

const READING_METRIC: Record<Quantity, string> = { bias: BIAS, tx_power: TX, rx_power: RX, temp: TEMP, vcc: VCC };

interface Line {
  readonly key: string;
  readonly lane?: number;
  readonly value: string;
}

function splitLine(raw: string): Line | undefined {
  const i = raw.indexOf(':');
  if (i < 0) return undefined;
  let key = normalise(raw.slice(0, i)).toLowerCase();
  const value = normalise(raw.slice(i + 1));
  const ch = /\s*\((?:channel|chan|lane)\s*(\d+)\)$/.exec(key);
  let lane: number | undefined;
  if (ch?.[1]) {
    lane = Number(ch[1]);
    key = key.slice(0, ch.index).trim();
  }
  return { key, value, ...(lane !== undefined ? { lane } : {}) };
}

/** "0.6367 mW / -1.96 dBm" → dBm, or 'dark' for "-inf", or undefined when unreadable. */
function readPower(v: string): number | 'dark' | undefined {
  const dbm = /(-?inf|[-+]?\d+(?:\.\d+)?)\s*dBm/i.exec(v);
  if (dbm?.[1]) return /inf/i.test(dbm[1]) ? 'dark' : Number(dbm[1]);
  const mw = /([-+]?\d+(?:\.\d+)?)\s*mW/.exec(v);
  if (mw?.[1]) {
    const p = Number(mw[1]);
    return p > 0 ? 10 * Math.log10(p) : 'dark';
  }
  return undefined;
}

function readScalar(v: string, unit: RegExp): number | undefined {
  const m = new RegExp(`^([-+]?\\d+(?:\\.\\d+)?)\\s*${unit.source}`, 'i').exec(v);
  return m?.[1] ? Number(m[1]) : undefined;
}

interface LaneState {
  readings: Partial<Record<Quantity, string>>;
  flags: number;
  flagsSeen: boolean;
}

export interface EthtoolOptions {
  /** Interface name; default: taken from a "# ethtool -m eth2" line in the capture, if any. */
  readonly iface?: string;
}

export function parseEthtoolM(text: string, opts: EthtoolOptions = {}): ParseResult {
  const lines = text.split(/\r?\n/);
  const iface = opts.iface ?? /ethtool\s+(?:-m|--module-info|--dump-module-eeprom)\s+(\S+)/.exec(text)?.[1];
  const module: LaneState = { readings: {}, flags: 0, flagsSeen: false };
  const lanes = new Map<number, LaneState>();
  const thresholds: { name: string; value: string; quantity: Quantity }[] = [];

  const laneState = (n: number): LaneState => {
    let s = lanes.get(n);
    if (!s) lanes.set(n, (s = { readings: {}, flags: 0, flagsSeen: false }));
    return s;
  };

  for (const raw of lines) {
    const l = splitLine(raw);
    if (!l) continue;
    // CMIS prints per-lane states as a list: "Rx loss of signal : [ Yes, No, No, No ]".
    if (/^rx loss of signal/.test(l.key) && l.value.startsWith('[')) {
      l.value
        .replace(/[[\]]/g, '')
        .split(',')
        .forEach((v, i) => {
          const s = laneState(i + 1);
          s.flagsSeen = true;
          if (v.trim().toLowerCase() === 'yes') s.flags |= 1 << OPTIC_FLAG_BITS.los;
        });
      continue;
    }
    const q = QUANTITY_LABELS.find(([re]) => re.test(l.key))?.[1];
    if (!q) continue;
    const flag = /\b(high|low) (alarm|warning)( threshold)?$/.exec(l.key);
    if (flag?.[1] && flag[2]) {
      const name = `${q}_${flag[1]}_${flag[2]}` as FlagName;
      if (flag[3]) {
        thresholds.push({ name: `optic_${name}_threshold`, value: l.value, quantity: q });
        continue;
      }
      const target = l.lane !== undefined ? laneState(l.lane) : module;
      target.flagsSeen = true;
      if (l.value.toLowerCase() === 'on') target.flags |= 1 << OPTIC_FLAG_BITS[name];
      continue;
    }
    if (/(alarm|warning|threshold)/.test(l.key)) continue;
    (l.lane !== undefined ? laneState(l.lane) : module).readings[q] = l.value;
  }

  const hasDom = Object.keys(module.readings).length > 0 || lanes.size > 0;
  if (!hasDom) return { records: [], errors: [] };
  const laneNumbers = lanes.size > 0 ? [...lanes.keys()].sort((a, b) => a - b) : [0];

  const records: ParsedRecord[] = laneNumbers.map((n) => {
    const lane = lanes.get(n) ?? { readings: {}, flags: 0, flagsSeen: false };
    const b = new RecordBuilder('link', 'ethtool');
    b.label('link_id', iface).label('lane', n).label('method', 'ethtool');
    const readings = { ...module.readings, ...lane.readings };
    for (const [q, v] of Object.entries(readings) as [Quantity, string][]) {
      const metric = READING_METRIC[q];
      if (q === 'tx_power' || q === 'rx_power') {
        const p = readPower(v);
        if (p === 'dark') {
          // No light is a state, not a number: -inf never reaches the store.
          if (q === 'rx_power') b.setNumber(DARK, 1);
        } else if (p === undefined) {
          b.error({ field: metric, reason: 'unparseable', message: `${metric}: cannot read "${v}"` });
        } else {
          b.setNumber(metric, p);
          if (q === 'rx_power') b.setNumber(DARK, 0);
        }
        continue;
      }
      const unit = q === 'bias' ? /mA/ : q === 'temp' ? /degrees C/ : /V/;
      const n2 = readScalar(v, unit);
      if (n2 === undefined) b.error({ field: metric, reason: 'unparseable', message: `${metric}: cannot read "${v}"` });
      else b.setNumber(metric, n2);
    }
    if (module.flagsSeen || lane.flagsSeen) b.setNumber(ALARMS, module.flags | lane.flags);
    for (const t of thresholds) addThreshold(b, t);
    return b.build();
  });
  return { records, errors: [] };
}

/** Thresholds are not catalog columns: they travel as extra metrics, in the catalog's units. */
function addThreshold(b: RecordBuilder, t: { name: string; value: string; quantity: Quantity }): void {
  let v: number | 'dark' | undefined;
  if (t.quantity === 'tx_power' || t.quantity === 'rx_power') v = readPower(t.value);
  else v = readScalar(t.value, t.quantity === 'bias' ? /mA/ : t.quantity === 'temp' ? /degrees C/ : /V/);
  if (v === 'dark' || v === undefined) {
    const e: FieldError = {
      field: t.name,
      reason: v === 'dark' ? 'out_of_range' : 'unparseable',
      message: `${t.name}: "${t.value}" is not a usable threshold`,
    };
    b.error(e);
    return;
  }
  b.addExtra({ name: t.name, labels: {}, value: v });
}
