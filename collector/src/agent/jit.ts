/**
 * How far V8 may optimise the agent's code. A collector that is not a STAMP prober does a little
 * work a few times a second: its functions reach TurboFan's thresholds one by one over many
 * minutes, and compiling them costs more CPU than the optimised code then saves. Capped at V8's
 * baseline compiler (Sparkplug), that CPU is saved and code memory stays small. A prober sends
 * and matches 80 probes a second, hot code that TurboFan pays for, so the cap is lifted while the
 * STAMP sender runs (bench:collector measures both; collector/README.md).
 *
 * `--max-opt` is not allowed in NODE_OPTIONS, so the collect command sets it itself before the
 * agent's code runs hot; a tier given to node on its command line wins, and then nothing is changed.
 */
import { setFlagsFromString } from 'node:v8';

/**
 * V8's tiers: 0 the interpreter, 1 Sparkplug (baseline), 2 Maglev, 3 TurboFan; above 3, all.
 * `--max-opt` turns the optimising compilers off only by implication, when it is set, and an
 * implication is not undone by raising it again: so each way names TurboFan itself
 * (test/agent-jit.test.ts checks cap, lift and cap again in a process of their own).
 */
export const CAPPED = '--max-opt=1 --no-turbofan';
export const UNCAPPED = '--max-opt=999 --turbofan';

/** The process's JIT tier, as the agent changes it. */
export interface JitTier {
  /** Lifts the cap while this host probes, and sets it again when it stops. */
  probing(on: boolean): void;
}

/**
 * Whether node's own command line already chose a tier (`--max-opt`, `--jitless`, `--[no-]turbofan`,
 * `--[no-]opt`): then the command leaves it alone.
 */
export function tierChosen(execArgv: readonly string[]): boolean {
  return execArgv.some((a) => /^--(max[-_]opt|jitless|(no-)?turbofan|(no-)?opt)(=|$)/.test(a));
}

/**
 * Caps this process (the collect command only: never a process that embeds the agent, such as the
 * tests or `meridian up`), or returns undefined where the command line chose a tier.
 */
export function capJit(execArgv: readonly string[] = process.execArgv): JitTier | undefined {
  if (tierChosen(execArgv)) return undefined;
  setFlagsFromString(CAPPED);
  return { probing: (on) => setFlagsFromString(on ? UNCAPPED : CAPPED) };
}
