/**
 * Names of the bits of NVML's clock event (throttle) reason mask, nvmlClocksEventReason* in nvml.h,
 * which the catalog's throttle_reasons metric stores as is. The catalog names the metric but not its
 * bits (it does for optics, OPTIC_FLAG_BITS), so they are listed here once.
 */
const REASONS: ReadonlyArray<[bit: number, name: string]> = [
  [0x1, 'GPU idle'],
  [0x2, 'applications clocks setting'],
  [0x4, 'SW power cap'],
  [0x8, 'HW slowdown'],
  [0x10, 'sync boost'],
  [0x20, 'SW thermal slowdown'],
  [0x40, 'HW thermal slowdown'],
  [0x80, 'HW power brake slowdown'],
  [0x100, 'display clock setting'],
];

/** The reasons set in `mask`, in bit order; bits NVML does not define are shown as hex. */
export function throttleReasonNames(mask: number): string[] {
  const names: string[] = [];
  let rest = mask;
  for (const [bit, name] of REASONS) {
    if (mask & bit) {
      names.push(name);
      rest &= ~bit;
    }
  }
  if (rest) names.push(`0x${rest.toString(16)}`);
  return names;
}
