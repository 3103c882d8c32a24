/**
 * Executors that need no cluster: dry-run (the default: records what it would have done) and
 * webhook (POSTs each move as JSON signed with HMAC-SHA256; a 2xx means accepted and started).
 */
import type { Executor, Move, MoveOutcome } from './executor.js';
import { signBody } from './sinks.js';

export class DryRunExecutor implements Executor {
  readonly name = 'dry-run';
  async execute(_move: Move): Promise<MoveOutcome> {
    return { status: 'recorded' };
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

  async execute(move: Move): Promise<MoveOutcome> {
    const body = JSON.stringify({ type: 'meridian.scheduler.move', move });
    try {
      const res = await fetch(this.opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-meridian-signature': signBody(this.opts.secret, body) },
        body,
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      await res.arrayBuffer();
      if (!res.ok) return { status: 'failed', error: `webhook answered ${res.status}` };
      return { status: 'started', expectedDurationMs: this.opts.expectedDurationMs ?? 0 };
    } catch (err) {
      return { status: 'failed', error: `webhook unreachable: ${(err as Error).message}` };
    }
  }
}
