import { CLOCK_EVENT_BITS, CLOCK_EVENT_LABELS, clockEventReasons } from '@meridian/catalog';

/** The reasons set in `mask`, in bit order, as a person reads them; bits NVML does not define are shown as hex. */
export function throttleReasonNames(mask: number): string[] {
  const reasons = clockEventReasons(mask);
  const known = reasons.reduce((m, r) => m | CLOCK_EVENT_BITS[r], 0);
  const rest = mask & ~known;
  return [...reasons.map((r) => CLOCK_EVENT_LABELS[r]), ...(rest ? [`0x${rest.toString(16)}`] : [])];
}
