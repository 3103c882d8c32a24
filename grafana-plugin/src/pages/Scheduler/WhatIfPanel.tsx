import { Button, Field, Input, RadioButtonGroup, Stack } from '@grafana/ui';
import React, { useState } from 'react';
import { schedulerApi, type WhatIfOutcome, type WhatIfResult } from '../../data/schedulerApi';

type Kind = 'plan' | 'cooling_loss' | 'region_failure' | 'link_cut';
const KINDS: Array<{ label: string; value: Kind }> = [
  { label: 'This plan', value: 'plan' },
  { label: 'Cooling loss', value: 'cooling_loss' },
  { label: 'Region failure', value: 'region_failure' },
  { label: 'Link cut', value: 'link_cut' },
];

export const whatIfTestIds = {
  panel: 'data-testid scheduler-whatif',
  run: 'data-testid scheduler-whatif-run',
  result: 'data-testid scheduler-whatif-result',
};

/** The request body for a choice; null with the reason when the choice is incomplete. */
export function whatIfBody(kind: Kind, target: string, minutes: number): { body: object } | { error: string } {
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 240)
    return { error: 'Minutes: a whole number from 1 to 240' };
  if (kind === 'plan') return { body: { minutes, usePendingPlan: true } };
  const t = target.trim();
  if (!t) return { error: kind === 'link_cut' ? 'Link: write it as from->to' : 'Region: name the region' };
  return { body: { minutes, event: kind === 'link_cut' ? { type: kind, link: t } : { type: kind, region: t } } };
}

const gib = (b: number) => (b / 2 ** 30).toFixed(0);

function Outcomes({ r }: { r: WhatIfResult }) {
  const rows: Array<[string, (o: WhatIfOutcome) => string]> = [
    ['SLO minutes', (o) => o.sloMinutes.toFixed(1)],
    ['mean queue wait, s', (o) => o.queueSeconds.toFixed(1)],
    ['still queued', (o) => String(o.queued)],
    ['moves', (o) => String(o.moves)],
    ['GiB moved', (o) => gib(o.bytesMoved)],
  ];
  return (
    <div data-testid={whatIfTestIds.result}>
      <table>
        <thead>
          <tr>
            <th>over {r.minutes} min</th>
            <th>with the plan</th>
            <th>doing nothing</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([label, f]) => (
            <tr key={label}>
              <td>{label}</td>
              <td>{f(r.withPlan)}</td>
              <td>{f(r.doNothing)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div>
        {r.planned.length} move{r.planned.length === 1 ? '' : 's'} played
        {r.planned.length > 0 ? `: ${r.planned.map((m) => `${m.workloadId} ${m.from}→${m.to}`).join(', ')}` : ''}
      </div>
      <small>{r.notes.join('; ')}</small>
    </div>
  );
}

/**
 * "What if": beside approve, the plan's projected effect (or a hypothetical event's) on the twin,
 * against doing nothing. Operators only (POST /api/v1/whatif needs the operator role).
 */
export function WhatIfPanel({ busy }: { busy: boolean }) {
  const [kind, setKind] = useState<Kind>('plan');
  const [target, setTarget] = useState('');
  const [minutes, setMinutes] = useState(30);
  const [running, setRunning] = useState(false);
  const [result, setResult] = useState<WhatIfResult | null>(null);
  const [error, setError] = useState<string | null>(null);

  const run = async () => {
    const b = whatIfBody(kind, target, minutes);
    if ('error' in b) {
      setError(b.error);
      return;
    }
    setRunning(true);
    setError(null);
    try {
      setResult(await schedulerApi.whatIf(b.body));
    } catch (e) {
      setResult(null);
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setRunning(false);
    }
  };

  return (
    <div data-testid={whatIfTestIds.panel}>
      <h4>What if (simulated on the twin)</h4>
      <Stack direction="row" gap={1} alignItems="flex-end" wrap="wrap">
        <RadioButtonGroup options={KINDS} value={kind} onChange={(v) => setKind(v)} size="sm" />
        {kind !== 'plan' && (
          <Field label={kind === 'link_cut' ? 'Link (from->to)' : 'Region'}>
            <Input value={target} width={24} onChange={(e) => setTarget(e.currentTarget.value)} />
          </Field>
        )}
        <Field label="Minutes">
          <Input type="number" value={minutes} width={10} onChange={(e) => setMinutes(Number(e.currentTarget.value))} />
        </Field>
        <Button
          data-testid={whatIfTestIds.run}
          variant="secondary"
          disabled={busy || running}
          onClick={() => {
            // run() reports its own failure in the panel; nothing is left to reject.
            run().catch((e: unknown) => setError(String(e)));
          }}
        >
          {running ? 'Projecting…' : 'Project'}
        </Button>
      </Stack>
      {error && <div role="alert">{error}</div>}
      {result && <Outcomes r={result} />}
    </div>
  );
}
