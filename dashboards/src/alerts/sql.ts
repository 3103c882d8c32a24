/**
 * SQL fragments the alert rules share, built from the catalog so a renamed metric or a changed
 * constant changes the rules with it.
 */
import {
  CLOCK_EVENT_BITS,
  FIBER_MS_PER_KM,
  THERMAL_SLOWDOWN_MASK,
  XIDS,
  XID_ACTION_TEXT,
  increaseColumn,
  metricByName,
  rawTable,
} from '@meridian/catalog';

const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** A counter's per-sample increase column; throws when the catalog no longer stores one. */
export function inc(name: string): string {
  const m = metricByName(name);
  const col = m ? increaseColumn(m) : undefined;
  if (!col) throw new Error(`alert rules: "${name}" is not a catalog counter with stored increases`);
  return col;
}

/** A catalog metric's column name; throws when the catalog has no such metric. */
export function col(name: string): string {
  if (!metricByName(name)) throw new Error(`alert rules: no catalog metric "${name}"`);
  return name;
}

export const GPU = rawTable('gpu');
export const HOST = rawTable('host');
export const LINK = rawTable('link');

/** `transform(code, [codes], [texts], fallback)`: an Xid's meaning or NVIDIA's action, from catalog/src/xid.ts. */
export function xidLookup(codeExpr: string, what: 'meaning' | 'action'): string {
  const codes = XIDS.map((x) => x.code).join(', ');
  const texts = XIDS.map((x) => quote(what === 'meaning' ? x.meaning : `${x.action}: ${XID_ACTION_TEXT[x.action]}`));
  const fallback =
    what === 'meaning' ? quote('not in NVIDIA’s Xid catalogue table') : quote('look the Xid up in NVIDIA’s catalogue');
  return `transform(toUInt32(${codeExpr}), [${codes}], [${texts.join(', ')}], ${fallback})`;
}

export const THERMAL_MASK = THERMAL_SLOWDOWN_MASK;
/**
 * Power slowdown the GPU did not choose: the hardware power brake and HW slowdown. The SW power cap
 * is left out on purpose: a GPU at full load sits at its power cap as a matter of course.
 */
export const POWER_MASK = CLOCK_EVENT_BITS.hw_power_brake_slowdown | CLOCK_EVENT_BITS.hw_slowdown;

/** catalog/src/fiber.ts's floor, 2 × (km × c + equipment delay one way), as SQL on the topology table's columns. */
export const FIBER_FLOOR_SQL = `2 * (t.route_km * ${FIBER_MS_PER_KM} + t.equipment_delay_ms)`;
