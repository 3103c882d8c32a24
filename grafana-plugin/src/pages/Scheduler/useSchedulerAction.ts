import { useState } from 'react';
import { toDataError } from '../../data/errors';

export interface ActionResult {
  ok: boolean;
  text: string;
}

export interface SchedulerAction {
  /** True while an action runs: the controls are disabled so an action is not sent twice. */
  busy: boolean;
  /** What the last action did, shown above the sections until dismissed. */
  result: ActionResult | null;
  clearResult: () => void;
  /** Bumped after every action, done or failed: the data hooks reload on it. */
  version: number;
  act: (label: string, fn: () => Promise<unknown>) => Promise<void>;
}

/** Runs the page's control actions (rebalance, pause, resume, approve, reject) and reports their outcome. */
export function useSchedulerAction(): SchedulerAction {
  const [version, setVersion] = useState(0);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ActionResult | null>(null);

  const act = async (label: string, fn: () => Promise<unknown>) => {
    setBusy(true);
    setResult(null);
    try {
      await fn();
      setResult({ ok: true, text: `${label}: done` });
    } catch (e) {
      const err = toDataError(e, label);
      setResult({
        ok: false,
        text:
          err.kind === 'permission'
            ? `${label}: the scheduler refused (permission denied). The app's token may be a viewer token; an admin can set an operator token in the configuration.`
            : err.message,
      });
    } finally {
      setBusy(false);
      setVersion((v) => v + 1);
    }
  };

  return { busy, result, clearResult: () => setResult(null), version, act };
}
