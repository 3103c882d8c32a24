/**
 * The scheduler's Prometheus metrics, on a registry of its own (so two schedulers in one process, as
 * in tests, never collide on the global one). Names follow the descheduler/Kueue conventions.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export class SchedulerMetrics {
  readonly registry = new Registry();
  readonly loopDuration = new Histogram({
    name: 'meridian_scheduler_loop_duration_seconds',
    help: 'Duration of one observe→record pass.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly phaseDuration = new Histogram({
    name: 'meridian_scheduler_phase_duration_seconds',
    help: 'Duration of each phase of a pass.',
    labelNames: ['phase'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly moves = new Counter({
    name: 'meridian_scheduler_moves_total',
    help: 'Moves handed to the executor, by the condition that triggered them and the outcome.',
    labelNames: ['reason', 'outcome'],
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: 'meridian_scheduler_moves_rejected_total',
    help: 'Moves considered and refused, by the rule or limit that refused them.',
    labelNames: ['limit'],
    registers: [this.registry],
  });
  readonly flapsPrevented = new Counter({
    name: 'meridian_scheduler_flaps_prevented_total',
    help: 'A→B→A returns refused.',
    registers: [this.registry],
  });
  readonly passes = new Counter({
    name: 'meridian_scheduler_passes_total',
    help: 'Passes run, by result.',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly sinkErrors = new Counter({
    name: 'meridian_scheduler_sink_errors_total',
    help: 'Failed deliveries to a record sink.',
    labelNames: ['sink'],
    registers: [this.registry],
  });
  readonly paused = new Gauge({
    name: 'meridian_scheduler_paused',
    help: '1 while the kill switch is on.',
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({
    name: 'meridian_scheduler_moves_in_flight',
    help: 'Moves started and not yet verified.',
    registers: [this.registry],
  });
}

/** The trigger text's first words, as a low-cardinality label. */
export function reasonLabel(trigger: string): string {
  if (trigger.startsWith('evacuate')) return 'evacuate';
  if (trigger.startsWith('link')) return 'link-degraded';
  if (trigger.startsWith('manual')) return 'manual';
  if (trigger.includes(' unhealthy')) return 'region-unhealthy';
  if (trigger.includes(' hot')) return 'region-hot';
  return 'other';
}
