/**
 * `nvidia-smi -q -x` → one gpu record per GPU and one per MIG instance, plus inventory facts.
 *
 * DTD v10..v13 differ (power_readings → gpu_power_readings, clocks_throttle_reasons →
 * clocks_event_reasons, v13 drops power_draw): the catalog lists every known path per metric and the
 * first element present wins, so the parser keys off element presence, never the DTD number.
 * Records are sorted by minor number because the XML lists GPUs in PCI order, not minor order.
 */
import { isThrottled, CLOCK_EVENT_BITS } from '@meridian/catalog';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { NVIDIA_SMI_XML_FIELDS } from './catalog-fields.js';
import {
  boundedMessage,
  catalogMetric,
  exactNumber,
  RecordBuilder,
  type DocumentError,
  type ParsedRecord,
  type ParseResult,
} from './record.js';
import type { InventoryRow } from '@meridian/store';
import { isAbsentToken, normalise, readValue } from './values.js';

/** A node as fast-xml-parser returns it with parseTagValue off: text, or an object of children. */
type XmlNode = string | { [key: string]: XmlNode | XmlNode[] | undefined };

/** Inventory facts for one GPU or MIG instance; the source adds ts/source/region/host. */
export type GpuInventory = Omit<InventoryRow, 'ts' | 'source' | 'region' | 'host'>;

/** How to find a GPU from its PCI address (XID lines in the kernel log name GPUs that way). */
export interface GpuAddress {
  readonly gpu_uuid: string;
  readonly gpu_index?: number;
  readonly pci_bus_id: string;
}

export interface NvidiaSmiXmlResult extends ParseResult {
  readonly inventory: GpuInventory[];
  readonly addresses: GpuAddress[];
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  isArray: (name) => name === 'gpu' || name === 'mig_device',
});

const THROTTLE = catalogMetric('throttle_reasons');
const THROTTLED = catalogMetric('throttled');
const MEMORY_TOTAL = catalogMetric('memory_total');
const POWER_LIMIT = catalogMetric('power_limit');
const XML_THROTTLE_PATHS = THROTTLE.sources?.nvidiaSmiXml ?? [];
/** Containers of the per-reason elements, taken from the catalog's bitmask paths (first segment). */
const REASON_CONTAINERS = XML_THROTTLE_PATHS.map((p) => p.field.split('/')[0] ?? '');

function child(node: XmlNode | undefined, key: string): XmlNode | undefined {
  if (node === undefined || typeof node === 'string') return undefined;
  const v = node[key];
  return Array.isArray(v) ? v[0] : v;
}

function at(node: XmlNode | undefined, path: string): XmlNode | undefined {
  return path.split('/').reduce<XmlNode | undefined>((n, k) => child(n, k), node);
}

/** Text of an element; an element with attributes keeps its text under #text. */
function text(node: XmlNode | undefined): string | undefined {
  if (node === undefined) return undefined;
  if (typeof node === 'string') return normalise(node);
  const t = node['#text'];
  return typeof t === 'string' ? normalise(t) : undefined;
}

function textAt(node: XmlNode | undefined, path: string): string | undefined {
  const t = text(at(node, path));
  return t === undefined || isAbsentToken(t) ? undefined : t;
}

function numberAt(node: XmlNode | undefined, path: string, scale = 1): number | undefined {
  const t = textAt(node, path);
  if (t === undefined) return undefined;
  const r = readValue(t);
  return r.kind === 'number' && Number.isFinite(r.value) ? r.value * scale : undefined;
}

/** Sets every catalog metric whose path exists under `node` (a <gpu> or a <mig_device>). */
function readCatalogFields(b: RecordBuilder, node: XmlNode): void {
  for (const { metric, paths } of NVIDIA_SMI_XML_FIELDS) {
    const hit = paths.find((p) => [p.field, ...(p.plus ?? [])].some((f) => at(node, f) !== undefined));
    if (!hit) continue;
    if (hit.plus?.length && readSum(b, metric.name, node, [hit.field, ...hit.plus], hit.scale ?? 1)) continue;
    const el = at(node, hit.field);
    // An element with children where a value was expected (e.g. <remapped_rows> on a newer DTD) is not a reading.
    const raw = text(el);
    if (raw === undefined) continue;
    if (metric.name === THROTTLE.name) {
      const r = readValue(raw);
      if (r.kind === 'bigint') b.setNumber(THROTTLED.name, isThrottled(r.value) ? 1 : 0);
    }
    b.setRaw(metric.name, raw, { scale: hit.scale ?? 1 });
  }
}

/**
 * One reading split across elements: the sum of those that hold a number. Where none does (all N/A,
 * say), returns false and the first element present is read as usual, so N/A and garbage are
 * reported the same way as for a single element.
 */
function readSum(b: RecordBuilder, name: string, node: XmlNode, fields: readonly string[], scale: number): boolean {
  let sum = 0;
  let seen = 0;
  for (const f of fields) {
    const v = numberAt(node, f);
    if (v === undefined) continue;
    sum += v;
    seen++;
  }
  if (seen === 0) return false;
  b.setNumber(name, sum * scale);
  return true;
}

/** Rebuilds the NVML bitmask from per-reason Active / Not Active elements (all v11..v13 print). */
function readReasonElements(b: RecordBuilder, gpu: XmlNode): void {
  if (b.values[THROTTLE.name] !== undefined || b.errors.some((e) => e.field === THROTTLE.name)) return;
  for (const container of REASON_CONTAINERS) {
    const node = child(gpu, container);
    if (node === undefined || typeof node === 'string') continue;
    const prefix = `${container.replace(/s$/, '')}_`;
    let mask = 0n;
    let seen = 0;
    for (const [reason, bit] of Object.entries(CLOCK_EVENT_BITS)) {
      const t = text(child(node, prefix + reason));
      if (t === undefined || isAbsentToken(t)) continue;
      if (t === 'Active') mask |= BigInt(bit);
      else if (t !== 'Not Active') {
        b.error({ field: THROTTLE.name, reason: 'unparseable', message: `${THROTTLE.name}: ${reason} reads "${t}"` });
        return;
      }
      seen++;
    }
    if (seen === 0) return;
    const exact = exactNumber(mask);
    if (exact !== undefined) b.setNumber(THROTTLE.name, exact);
    b.setNumber(THROTTLED.name, isThrottled(mask) ? 1 : 0);
    return;
  }
}

function asArray(v: XmlNode | XmlNode[] | undefined): XmlNode[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function firstPathNumber(node: XmlNode, paths: readonly { field: string; scale?: number }[]): number | undefined {
  const hit = paths.find((p) => at(node, p.field) !== undefined);
  return hit ? numberAt(node, hit.field, hit.scale ?? 1) : undefined;
}

function parseDocument(doc: XmlNode): NvidiaSmiXmlResult {
  const root = child(doc, 'nvidia_smi_log');
  const driver = textAt(root, 'driver_version');
  const cuda = textAt(root, 'cuda_version');
  const gpus = root && typeof root !== 'string' ? asArray(root.gpu) : [];
  const entries: { index: number; records: ParsedRecord[]; inventory: GpuInventory[]; address?: GpuAddress }[] = [];

  gpus.forEach((gpu, order) => {
    const uuid = textAt(gpu, 'uuid');
    const minor = numberAt(gpu, 'minor_number');
    const model = textAt(gpu, 'product_name');
    const b = new RecordBuilder('gpu', 'nvidia-smi');
    b.label('gpu_uuid', uuid).label('gpu_index', minor).label('model', model);
    if (!uuid) b.error({ field: 'gpu_uuid', reason: 'unparseable', message: 'gpu_uuid: <uuid> missing or N/A' });
    readCatalogFields(b, gpu);
    readReasonElements(b, gpu);
    const records = [b.build()];

    const inv: GpuInventory[] = [];
    const base: GpuInventory = {
      gpu_uuid: uuid ?? '',
      ...(minor !== undefined ? { gpu_index: minor } : {}),
      ...(model ? { model } : {}),
      ...(driver ? { driver_version: driver } : {}),
      ...(cuda ? { cuda_version: cuda } : {}),
    };
    const serial = textAt(gpu, 'serial');
    const migMode = textAt(gpu, 'mig_mode/current_mig');
    const ecc = textAt(gpu, 'ecc_mode/current_ecc');
    const genMax = numberAt(gpu, 'pci/pci_gpu_link_info/pcie_gen/max_link_gen');
    const widthMax = numberAt(gpu, 'pci/pci_gpu_link_info/link_widths/max_link_width');
    const tdp =
      numberAt(gpu, 'gpu_power_readings/default_power_limit') ?? numberAt(gpu, 'power_readings/default_power_limit');
    const memTotal = b.values[MEMORY_TOTAL.name];
    const powerLimit = b.values[POWER_LIMIT.name];
    inv.push({
      ...base,
      ...(serial ? { serial } : {}),
      ...(memTotal !== undefined ? { memory_total: memTotal } : {}),
      ...(migMode ? { mig_mode: migMode } : {}),
      ...(ecc ? { ecc_mode: ecc } : {}),
      ...(powerLimit !== undefined ? { power_limit: powerLimit } : {}),
      ...(genMax !== undefined ? { pcie_gen_max: genMax } : {}),
      ...(widthMax !== undefined ? { pcie_width_max: widthMax } : {}),
      ...(tdp !== undefined ? { tdp } : {}),
    });

    // "None" (a string) when MIG is off; a list of <mig_device> when it is on.
    const migContainer = child(gpu, 'mig_devices');
    const migs = migContainer !== undefined && typeof migContainer !== 'string' ? asArray(migContainer.mig_device) : [];
    for (const mig of migs) {
      const gi = textAt(mig, 'gpu_instance_id');
      const ci = textAt(mig, 'compute_instance_id');
      const instance = gi !== undefined ? migInstanceName(gi, ci) : undefined;
      const profile = textAt(mig, 'profile') ?? textAt(mig, 'mig_profile');
      const m = new RecordBuilder('gpu', 'nvidia-smi');
      m.label('gpu_uuid', uuid).label('gpu_index', minor).label('model', model);
      m.label('mig_instance', instance).label('mig_profile', profile);
      readCatalogFields(m, mig);
      records.push(m.build());
      const migMem = firstPathNumber(mig, MEMORY_TOTAL.sources?.nvidiaSmiXml ?? []);
      inv.push({
        ...base,
        // The v12/v13 XML carries no MIG UUID: the instance is named by its parent and GI/CI.
        gpu_uuid: textAt(mig, 'uuid') ?? `${uuid ?? ''}/${instance ?? ''}`,
        mig_parent_uuid: uuid ?? '',
        ...(profile ? { mig_profile: profile } : {}),
        ...(migMem !== undefined ? { memory_total: migMem } : {}),
      });
    }
    const busId =
      textAt(gpu, 'pci/pci_bus_id') ?? (typeof gpu === 'string' ? undefined : (gpu['@_id'] as string | undefined));
    const address =
      uuid && busId
        ? { gpu_uuid: uuid, pci_bus_id: busId, ...(minor !== undefined ? { gpu_index: minor } : {}) }
        : undefined;
    entries.push({ index: minor ?? 1e6 + order, records, inventory: inv, ...(address ? { address } : {}) });
  });

  entries.sort((a, b) => a.index - b.index);
  return {
    records: entries.flatMap((e) => e.records),
    inventory: entries.flatMap((e) => e.inventory),
    addresses: entries.flatMap((e) => (e.address ? [e.address] : [])),
    errors: [],
  };
}

/**
 * `<supported_clocks>` lists every memory × graphics clock pair a GPU allows: 74 % of the RTX A5000
 * fixture's bytes, and nothing here reads it. Cut before the document is validated and parsed, it
 * builds no tree: the collector's inventory read (every 5 minutes) then raises its peak RSS less
 * (bench:collector). Its newlines stay, so an error's line number still points into the original
 * document. A block cut off by truncation has no closing tag, stays, and fails validation as before.
 */
const UNREAD_BLOCK = /<supported_clocks>[\s\S]*?<\/supported_clocks>/g;
const withoutUnreadBlocks = (text: string): string =>
  text.replace(UNREAD_BLOCK, (block) => block.replace(/[^\n]/g, ''));

const NOTHING = (error: DocumentError): NvidiaSmiXmlResult => ({
  records: [],
  inventory: [],
  addresses: [],
  errors: [error],
});

/**
 * Parses the document. Truncated or otherwise malformed XML is reported as a document error and the
 * <gpu> elements that did arrive whole and well-formed are still parsed, so one cut-off read or one
 * garbled GPU loses only that GPU. Never throws: what the XML parser refuses (an external entity,
 * an entity over its 10,000-character limit, nesting past its depth limit) is a document error too,
 * and every message is cut to a few hundred characters (the validator's message for a deep document
 * quotes its whole tag stack: megabytes).
 */
/**
 * A MIG instance's name in `mig_instance`: "GI/CI", the compute instance 0 when the XML names none.
 * The inventory's GPU rows and attribution's MIG directory both name instances this way, so a
 * holder's assignment joins the instance's samples.
 */
export function migInstanceName(gi: string, ci: string | undefined): string {
  return `${gi}/${ci ?? '0'}`;
}

export function parseNvidiaSmiXml(document: string): NvidiaSmiXmlResult {
  if (document.trim() === '') {
    return NOTHING({ field: 'document', reason: 'malformed', message: 'nvidia-smi -q -x: empty document' });
  }
  try {
    return parseChecked(withoutUnreadBlocks(document));
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return NOTHING({
      field: 'document',
      reason: 'malformed',
      message: `nvidia-smi -q -x: document refused by the XML parser: ${boundedMessage(why)}`,
    });
  }
}

function parseChecked(text: string): NvidiaSmiXmlResult {
  const valid = XMLValidator.validate(text);
  if (valid === true) return parseDocument(parser.parse(text) as XmlNode);

  const where = `line ${valid.err.line}${valid.err.col === undefined ? '' : `, column ${valid.err.col}`}`;
  const error: DocumentError = {
    line: valid.err.line,
    field: 'document',
    reason: 'malformed',
    message: `malformed XML at ${where}: ${boundedMessage(valid.err.msg)}`,
  };
  const start = text.indexOf('<nvidia_smi_log>');
  const firstGpu = text.indexOf('<gpu', start);
  if (start < 0 || firstGpu < 0) return NOTHING(error);
  const header = text.slice(start + '<nvidia_smi_log>'.length, firstGpu);
  // Closed and well-formed on its own: a GPU with a broken tag inside is dropped, not its neighbours.
  const whole = (text.slice(firstGpu).match(/<gpu\b[^>]*>[\s\S]*?<\/gpu>/g) ?? []).filter(
    (gpu) => XMLValidator.validate(gpu) === true,
  );
  const salvage = `<nvidia_smi_log>${header}${whole.join('\n')}</nvidia_smi_log>`;
  if (XMLValidator.validate(salvage) !== true) return NOTHING(error);
  const r = parseDocument(parser.parse(salvage) as XmlNode);
  return { ...r, errors: [error] };
}
