/**
 * `meridian schedule --whatif <what> [--minutes N]`: one what-if against the store, printed as JSON.
 * <what> is `plan` (the moves a pass would make now), `cooling_loss:<region>[:<severity>]`,
 * `region_failure:<region>` or `link_cut:<from>-><to>`. The engine is injected by the `meridian`
 * command (the twin's, through @meridian/app), as for the API: the scheduler never imports the twin.
 */
import type { Store } from '@meridian/store';
import type { SchedulerConfig } from '../config.js';
import { readObservation } from '../observe/reader.js';
import {
  checkWhatIf,
  projectPlanner,
  WhatIfError,
  type WhatIfEngine,
  type WhatIfEvent,
  type WhatIfResult,
} from './whatif.js';

/** Parses --whatif; an error names the flag and the forms it takes. */
export function parseWhatIf(text: string): { event?: WhatIfEvent; usePendingPlan: boolean } {
  const forms = 'plan, cooling_loss:<region>[:<severity 0–1>], region_failure:<region> or link_cut:<from>-><to>';
  if (text === 'plan') return { usePendingPlan: true };
  const [type, target, extra] = text.split(':');
  if (!target) throw new WhatIfError(`--whatif: "${text}" is not one of ${forms}`);
  if (type === 'region_failure' && extra === undefined)
    return { event: { type, region: target }, usePendingPlan: false };
  if (type === 'link_cut' && extra === undefined) return { event: { type, link: target }, usePendingPlan: false };
  if (type === 'cooling_loss') {
    const severity = extra === undefined ? undefined : Number(extra);
    if (severity !== undefined && !(severity >= 0 && severity <= 1))
      throw new WhatIfError(`--whatif: severity "${extra}" is not a number from 0 to 1`);
    return {
      event: { type, region: target, ...(severity !== undefined ? { severity } : {}) },
      usePendingPlan: false,
    };
  }
  throw new WhatIfError(`--whatif: "${text}" is not one of ${forms}`);
}

/** --minutes: 1–240. */
export function parseMinutes(text: string | undefined): number {
  const m = Number(text ?? '30');
  if (!Number.isInteger(m) || m < 1 || m > 240)
    throw new WhatIfError(`--minutes: "${text}" is not a whole number from 1 to 240`);
  return m;
}

export async function whatIfOnce(
  store: Store,
  cfg: SchedulerConfig,
  engine: WhatIfEngine,
  req: { what: string; minutes: number; now: number },
): Promise<WhatIfResult> {
  const { event, usePendingPlan } = parseWhatIf(req.what);
  const observation = await readObservation(store, req.now, {
    windowSeconds: cfg.windowSeconds,
    recentSeconds: cfg.recentSeconds,
    ...(cfg.store.source ? { source: cfg.store.source } : {}),
  });
  const request = { minutes: req.minutes, usePendingPlan, ...(event ? { event } : {}) };
  checkWhatIf(request, observation);
  const planner = projectPlanner(cfg);
  // A process of its own has no pending plan: `plan` projects the moves a pass would make now.
  return engine({ ...request, observation, pendingMoves: usePendingPlan ? planner(observation) : [], planner });
}
