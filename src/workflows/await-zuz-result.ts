/**
 * "Send Zuz a request, then its result arrives as an event." How it arrives is this module's
 * business: first the webhook (a signal, possibly already in the inbox), and when it does not
 * come in time, polling Zuz with growing durable sleeps — each sleep ends early if the webhook
 * lands meanwhile — until a deadline.
 */
import { condition } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import ms from 'ms';
import { formatDuration, type ZuzOperationKind, type ZuzOperationResult } from '../transaction/model';
import type { FlowOptions } from './options';
import { stepActivities } from './activities';

/** Where a workflow keeps what Zuz said (webhooks and polls alike): a transaction's state, or a refund's. */
export interface ZuzResultInbox {
  readonly zuz: { readonly paymentId?: string };
  /** The final answer for an operation, once there is one. */
  finalResult(kind: ZuzOperationKind, operationId?: string): ZuzOperationResult | undefined;
  record(result: ZuzOperationResult): boolean;
  /** Told of each read of the payment while waiting (for the step journal): what it saw. */
  notePoll?(seen: string): void;
}

export type AwaitedResult = { result: ZuzOperationResult; via: 'answer' | 'webhook' | 'polling' } | { result: undefined; via: 'deadline' };

export async function awaitZuzResult(
  tx: ZuzResultInbox,
  kind: ZuzOperationKind,
  operationId: string,
  deadline: Duration,
  options: FlowOptions,
): Promise<AwaitedResult> {
  const final = () => tx.finalResult(kind, operationId);
  const known = final();
  if (known) return { result: known, via: 'answer' };

  const pauses = new DoublingPauses(options, deadline);
  const remaining = () => pauses.remaining();

  const grace = Math.min(toMs(options.webhookGracePeriod), remaining());
  if (await condition(() => final() !== undefined, grace, { summary: `wait up to ${formatDuration(grace)} for Zuz's ${kind} webhook` })) {
    return { result: final()!, via: 'webhook' };
  }

  while (remaining() > 0) {
    const polled = await pollOnce(tx, kind, operationId, options);
    if (polled && final()) return { result: final()!, via: 'polling' };
    const wait = pauses.next();
    if (await condition(() => final() !== undefined, wait, { summary: `wait ${formatDuration(wait)} before reading the ${kind} again` })) {
      return { result: final()!, via: 'webhook' };
    }
  }
  // One last read at the deadline, so a result that landed during the final sleep still counts.
  await pollOnce(tx, kind, operationId, options);
  const last = final();
  return last ? { result: last, via: 'polling' } : { result: undefined, via: 'deadline' };
}

/**
 * The pauses of every "read Zuz again until" loop (polling for a result, re-reading a lagging
 * payment): from `pollInitialInterval`, doubling up to `pollMaxInterval`, none past the deadline
 * set when the loop began.
 */
export class DoublingPauses {
  readonly #giveUpAt: number;
  readonly #max: number;
  #pause: number;

  constructor(options: Pick<FlowOptions, 'pollInitialInterval' | 'pollMaxInterval'>, within: Duration) {
    this.#giveUpAt = Date.now() + toMs(within);
    this.#pause = toMs(options.pollInitialInterval);
    this.#max = toMs(options.pollMaxInterval);
  }

  /** Milliseconds until the deadline; 0 once it has passed. */
  remaining(): number {
    return Math.max(0, this.#giveUpAt - Date.now());
  }

  /** The next pause (never past the deadline); the one after it is twice as long, up to the maximum. */
  next(): number {
    const wait = Math.min(this.#pause, this.remaining());
    this.#pause = Math.min(this.#pause * 2, this.#max);
    return wait;
  }
}

/** Reads the payment at Zuz and records what it says; a failed poll is only a missed chance. */
async function pollOnce(tx: ZuzResultInbox, kind: ZuzOperationKind, operationId: string, options: FlowOptions): Promise<boolean> {
  if (!tx.zuz.paymentId) return false;
  const { zuzQueries } = stepActivities(options.steps);
  try {
    const state = await zuzQueries.readPaymentState({ paymentId: tx.zuz.paymentId });
    // A payment has one operation of each kind but refunds, of which it may have several.
    const result = kind === 'refund' ? state.refunds?.find((r) => r.operationId === operationId) : state[kind];
    if (result) tx.record(result);
    tx.notePoll?.(result && result.operationId === operationId ? result.status.toLowerCase() : 'not-found');
    return true;
  } catch {
    tx.notePoll?.('read-failed');
    return false;
  }
}

/** A duration in milliseconds (`ms` is the parser the SDK itself uses; numbers are milliseconds already). */
export function toMs(duration: Duration): number {
  return typeof duration === 'number' ? duration : ms(duration);
}
