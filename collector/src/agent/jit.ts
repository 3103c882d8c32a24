/**
 * How far V8 may optimise the agent's code. A collector that is not a STAMP prober does a little
 * work a few times a second: its functions reach TurboFan's thresholds one by one over many
 * minutes, and compiling them costs more CPU than the optimised code then saves. Capped at V8's
 * baseline compiler (Sparkplug), that CPU is saved and code memory stays small. A prober's STAMP
 * sender, hot code that TurboFan pays for, runs in a process of its own that is not capped
 * (sources/stamp-sender/sender-process.ts; bench:collector measures both; collector/README.md).
 *
 * `--max-opt` is not allowed in NODE_OPTIONS, so the collect command sets it itself before the
 * agent's code runs hot; a tier given to node on its command line wins, and then nothing is changed.
 */
import { setFlagsFromString } from 'node:v8';

/**
 * V8's tiers: 0 the interpreter, 1 Sparkplug (baseline), 2 Maglev, 3 TurboFan; above 3, all.
 * `--max-opt` turns the optimising compilers off only by implication, when it is set from the
 * command line; set at run time it must name TurboFan itself (test/agent-jit.test.ts).
 */
export const CAPPED = '--max-opt=1 --no-turbofan';

/**
 * Whether node's own command line already chose a tier (`--max-opt`, `--jitless`, `--[no-]turbofan`,
 * `--[no-]opt`): then the command leaves it alone.
 */
export function tierChosen(execArgv: readonly string[]): boolean {
  return execArgv.some((a) => /^--(max[-_]opt|jitless|(no-)?turbofan|(no-)?opt)(=|$)/.test(a));
}

/**
 * Caps this process (the collect command only: never a process that embeds the agent, such as the
 * tests or `meridian up`). False where the command line chose a tier and nothing was changed.
 */
export function capJit(execArgv: readonly string[] = process.execArgv): boolean {
  if (tierChosen(execArgv)) return false;
  setFlagsFromString(CAPPED);
  return true;
}
