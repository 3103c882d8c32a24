/**
 * Executors that need no cluster: dry-run (the default: records what it would have done) and
 * webhook (POSTs each move, and each change of the placement weights, as JSON signed with
 * HMAC-SHA256; a 2xx means accepted).
 */
import { weightsObject, type Executor, type Move, type MoveOutcome, type PlaceOutcome } from './executor.js';
import { signBody } from '../record/sinks.js';

export class DryRunExecutor implements Executor {
  readonly name = 'dry-run';
  async execute(_move: Move): Promise<MoveOutcome> {
    return { status: 'recorded' };
  }

  /** Placement weights are recorded (action `place`) and served on the API, and set nowhere. */
  async place(_weights: ReadonlyMap<string, number>): Promise<PlaceOutcome> {
    return 'recorded';
  }
}

export interface WebhookExecutorOptions {
  readonly url: string;
  readonly secret: string;
  readonly timeoutMs: number;
  /** How long the receiver is expected to take, reported back as the move's expected duration. */
  readonly expectedDurationMs?: number;
}

export class WebhookExecutor implements Executor {
  readonly name = 'webhook';
  constructor(private readonly opts: WebhookExecutorOptions) {}

  /** The last weights the receiver accepted, as sent: the same weights again are not re-sent. */
  private lastPlacement: string | null = null;

  async execute(move: Move): Promise<MoveOutcome> {
    try {
      const status = await this.post(JSON.stringify({ type: 'meridian.scheduler.move', move }));
      if (status >= 300) return { status: 'failed', error: `webhook answered ${status}` };
      return { status: 'started', expectedDurationMs: this.opts.expectedDurationMs ?? 0 };
    } catch (err) {
      return { status: 'failed', error: `webhook unreachable: ${(err as Error).message}` };
    }
  }

  /**
   * POSTs `{type: 'meridian.scheduler.placement', weights: {region: weight}}`, signed like a move,
   * when the weights differ from the last ones accepted. A region left out takes no new work; an
   * empty object means no region can take any now. Throws on a non-2xx answer (the pass logs it).
   */
  async place(weights: ReadonlyMap<string, number>): Promise<PlaceOutcome> {
    const body = JSON.stringify({ type: 'meridian.scheduler.placement', weights: weightsObject(weights) });
    if (body === this.lastPlacement) return 'unchanged';
    const status = await this.post(body);
    if (status >= 300) throw new Error(`webhook answered ${status} to the placement weights`);
    this.lastPlacement = body;
    return 'set';
  }

  private async post(body: string): Promise<number> {
    const res = await fetch(this.opts.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-meridian-signature': signBody(this.opts.secret, body) },
      body,
      signal: AbortSignal.timeout(this.opts.timeoutMs),
    });
    await res.arrayBuffer();
    return res.status;
  }
}
