/**
 * NVML `nvmlClocksEventReasons` bits (nvml.h, formerly "clocks throttle reasons"): the value of the
 * `throttle_reasons` metric. The collector rebuilds the mask from nvidia-smi's XML, the twin sets
 * it, the dashboards and the plugin decode it; all of them read these.
 */
export const CLOCK_EVENT_BITS = {
  gpu_idle: 0x1,
  applications_clocks_setting: 0x2,
  sw_power_cap: 0x4,
  hw_slowdown: 0x8,
  sync_boost: 0x10,
  sw_thermal_slowdown: 0x20,
  hw_thermal_slowdown: 0x40,
  hw_power_brake_slowdown: 0x80,
  display_clocks_setting: 0x100,
} as const satisfies Record<string, number>;

export type ClockEventReason = keyof typeof CLOCK_EVENT_BITS;

/** How each reason reads to a person (the plugin's GPU detail, alert text). */
export const CLOCK_EVENT_LABELS: Readonly<Record<ClockEventReason, string>> = {
  gpu_idle: 'GPU idle',
  applications_clocks_setting: 'applications clocks setting',
  sw_power_cap: 'SW power cap',
  hw_slowdown: 'HW slowdown',
  sync_boost: 'sync boost',
  sw_thermal_slowdown: 'SW thermal slowdown',
  hw_thermal_slowdown: 'HW thermal slowdown',
  hw_power_brake_slowdown: 'HW power brake slowdown',
  display_clocks_setting: 'display clock setting',
};

/** Thermal slowdown, software or hardware: the GPU is too hot. */
export const THERMAL_SLOWDOWN_MASK = CLOCK_EVENT_BITS.sw_thermal_slowdown | CLOCK_EVENT_BITS.hw_thermal_slowdown;

/**
 * Reasons that mean the GPU is being slowed against its will (power cap, thermal, power brake, HW
 * slowdown); idle, application clocks, sync boost and display clocks are not throttling. The
 * `throttled` metric is 1 when any of these is active.
 */
export const SLOWDOWN_MASK =
  CLOCK_EVENT_BITS.sw_power_cap |
  CLOCK_EVENT_BITS.hw_slowdown |
  THERMAL_SLOWDOWN_MASK |
  CLOCK_EVENT_BITS.hw_power_brake_slowdown;

/** Whether a reasons bitmask contains a slowdown reason. BigInt so that bits above 2^53 are not lost. */
export function isThrottled(mask: bigint | number): boolean {
  return typeof mask === 'bigint' ? (mask & BigInt(SLOWDOWN_MASK)) !== 0n : (mask & SLOWDOWN_MASK) !== 0;
}

/** The names of the reasons set in a mask, in bit order. */
export function clockEventReasons(mask: number): ClockEventReason[] {
  return (Object.keys(CLOCK_EVENT_BITS) as ClockEventReason[]).filter((r) => (mask & CLOCK_EVENT_BITS[r]) !== 0);
}
