/**
 * `nvidia-smi nvlink -e` (NVLink error counters) → one gpu record per GPU: each catalog NVLink error
 * counter summed over the GPU's links, and each link's own count as an extra metric under the same
 * name with an `nvlink` label (see catalog nvlink.ts). Hosts without DCGM get NVLink health from
 * here; the command runs on the inventory cadence, never once per sample.
 *
 * The output, one block per GPU (indented with a tab and a space; blank lines may separate links):
 *   GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-…)
 *   	 Link 0: Replay Errors: 0
 *   	 Link 0: Recovery Errors: 0
 *   	 Link 0: CRC Errors: 0
 * Counter names differ by driver ("CRC Errors" from R535, "CRC Flit Errors"/"CRC Data Errors"
 * elsewhere); which name feeds which column is the catalog's `sources.nvidiaSmiNvlink`. A counter the
 * catalog does not know is kept as an extra metric `nvidia_smi_nvlink_<name>`; N/A is absent.
 */
import { metricsOf, NVLINK_LINK_LABEL } from '@meridian/catalog';
import type { MetricDef } from '@meridian/catalog';
import { boundedMessage, RecordBuilder, type DocumentError, type ParseResult } from './record.js';
import { isAbsentToken } from './values.js';

/** Counter name as printed (lower case) → catalog metric. */
const BY_NAME = new Map<string, MetricDef>(
  metricsOf('gpu').flatMap((m) => (m.sources?.nvidiaSmiNvlink ?? []).map((n) => [n.toLowerCase(), m] as const)),
);

const GPU_LINE = /^GPU (\d{1,4}): (.*?)(?: \(UUID: ([^)\s]{1,96})\))?\s*$/;
const LINK_LINE = /^\s+Link (\d{1,3}): ([A-Za-z][A-Za-z ]{0,60}?):\s*(\S.{0,40}?)\s*$/;
const COUNT = /^\d{1,15}$/;

interface Gpu {
  readonly builder: RecordBuilder;
  readonly sums: Map<MetricDef, number>;
}

function startGpu(match: RegExpExecArray): Gpu {
  const b = new RecordBuilder('gpu', 'nvidia-smi');
  b.label('gpu_index', Number(match[1])).label('model', match[2]?.trim()).label('gpu_uuid', match[3]);
  if (!match[3]) {
    b.error({ field: 'gpu_uuid', reason: 'unparseable', message: 'gpu_uuid: the GPU line names no UUID' });
  }
  return { builder: b, sums: new Map() };
}

/** One `Link N: Name: value` line into the GPU's sums and extras. */
function readLink(gpu: Gpu, link: string, name: string, raw: string): void {
  const m = BY_NAME.get(name.toLowerCase());
  const extraName = m ? m.name : `nvidia_smi_nvlink_${name.toLowerCase().replace(/\s+/g, '_')}`;
  if (isAbsentToken(raw)) return;
  if (!COUNT.test(raw)) {
    gpu.builder.error({
      field: extraName,
      reason: 'unparseable',
      message: boundedMessage(`${extraName}: link ${link} reads "${raw}", not a count`),
    });
    return;
  }
  const value = Number(raw);
  gpu.builder.addExtra({ name: extraName, labels: { [NVLINK_LINK_LABEL]: link }, value });
  if (m) gpu.sums.set(m, (gpu.sums.get(m) ?? 0) + value);
}

export function parseNvidiaSmiNvlink(text: string): ParseResult {
  const gpus: Gpu[] = [];
  const errors: DocumentError[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').replace(/\r$/, '');
    const gpuMatch = GPU_LINE.exec(line);
    if (gpuMatch) {
      gpus.push(startGpu(gpuMatch));
      continue;
    }
    const linkMatch = LINK_LINE.exec(line);
    if (!linkMatch) continue; // blank lines, "[...]" and anything else carry no counter
    const gpu = gpus.at(-1);
    if (!gpu) {
      errors.push({ line: i + 1, field: 'line', reason: 'malformed', message: 'a Link line before any GPU line' });
      continue;
    }
    readLink(gpu, linkMatch[1] ?? '', linkMatch[2] ?? '', linkMatch[3] ?? '');
  }
  for (const g of gpus) for (const [m, sum] of g.sums) g.builder.setMetric(m, sum);
  return { records: gpus.map((g) => g.builder.build()), errors };
}
