/**
 * One refund, durably: ask Zuz to refund (retried until Zuz answers: the customer is owed the
 * money), wait for Zuz's answer (the webhook, or polling when none comes), record the outcome.
 * The amount was reserved by the record before this workflow started, so the workflow never
 * decides how much may be refunded; it only carries out one refund.
 */
import { log, metricMeter, setHandler } from '@temporalio/workflow';
import type { RefundOrder, RefundOutcome } from './model';
import type { ZuzEvent, ZuzOperationKind, ZuzOperationResult } from '../transaction/model';
import { REFUND_REFUSED } from '../shared/failure-codes';
import { stepActivities } from '../workflows/activities';
import { activityFailedWith } from '../workflows/activity-failure';
import { awaitZuzResult, type ZuzResultInbox } from '../workflows/await-zuz-result';
import { ZuzInbox } from '../workflows/zuz-inbox';
import { zuzEventSignal } from '../transaction/workflow/messages';
import { flowOptions, type FlowOverrides } from '../workflows/options';

export interface ProcessRefundInput {
  order: RefundOrder;
  options?: FlowOverrides;
}

export async function processRefund({ order, options }: ProcessRefundInput): Promise<RefundOutcome> {
  const flow = flowOptions(options);
  const { database } = stepActivities(flow.steps);
  const inbox = new RefundInbox(order.paymentId);
  setHandler(zuzEventSignal, (event: ZuzEvent) => inbox.accept(event));

  const outcome = await refundAtZuz(order, inbox, flow);
  // Counted in the task that decided it, not in the one after the last step: that one completes the
  // workflow, and runs again (counting again) when a late webhook makes the server refuse its completion.
  if (outcome.status === 'pending') {
    log.warn('Refund still pending at Zuz after the deadline; its amount stays reserved', { refundId: order.refundId });
    metricMeter.createCounter('pos_refund_unresolved', '1', 'Refunds with no final answer from Zuz by the deadline').add(1);
  }
  await database.finalizeRefund({ order, outcome });
  return outcome;
}

/** Zuz's answer to the refund: at once, by webhook, or by polling until the deadline. */
async function refundAtZuz(order: RefundOrder, inbox: RefundInbox, flow: ReturnType<typeof flowOptions>): Promise<RefundOutcome> {
  const { zuzPersistent } = stepActivities(flow.steps);
  let answer: ZuzOperationResult;
  try {
    answer = await zuzPersistent.requestRefund.executeWithOptions({ summary: `refund ${order.amount} minor units at Zuz` }, [order]);
  } catch (err) {
    const refused = activityFailedWith(err, REFUND_REFUSED);
    if (refused) return { status: 'failed', message: refused.message };
    throw err;
  }
  inbox.record(answer);
  const awaited = await awaitZuzResult(inbox, 'refund', answer.operationId, flow.refundDeadline, flow);
  if (!awaited.result) return { status: 'pending', zuz: answer };
  const result = awaited.result;
  return result.status === 'Succeed'
    ? { status: 'succeeded', zuz: result }
    : { status: 'failed', message: result.description ?? 'Zuz declined the refund', zuz: result };
}

/** What Zuz said about this refund, by operation id; webhooks about other operations are ignored. */
class RefundInbox implements ZuzResultInbox {
  /** A payment may have several refunds: each is its own operation. */
  readonly #inbox = new ZuzInbox((result) => result.operationId);

  constructor(readonly paymentId: string) {}

  get zuz(): { paymentId: string } {
    return { paymentId: this.paymentId };
  }

  accept(event: ZuzEvent): void {
    if (event.kind !== 'refund' || event.paymentId !== this.paymentId || !this.#inbox.firstSight(event.eventId)) return;
    this.record(event);
  }

  record(result: ZuzOperationResult): boolean {
    return this.#inbox.record(result);
  }

  finalResult(kind: ZuzOperationKind, operationId?: string): ZuzOperationResult | undefined {
    return kind === 'refund' && operationId ? this.#inbox.final(operationId) : undefined;
  }
}
