/**
 * POST /v1/transactions/:id/refunds: a refund of a succeeded transaction, in full or in part.
 * The record reserves the amount first (several partial refunds, never beyond what was
 * captured, even when they race), then the refund's own workflow carries it out. The client's
 * `refundId` makes it idempotent: the same request again answers the first refund as it stands,
 * from the record, for ever.
 */
import { Router } from 'express';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { transactionKey } from '../merchants/model';
import { refundKey, refundWorkflowIdFor, type RefundOrder, type RefundRequest, type RefundView } from './model';
import type { RefundRecords, Reservation } from './record';
import type { TransactionRecords } from '../transaction/record';
import type { ProcessRefundInput } from './workflow';
import { merchantOf } from '../api/auth';
import { allowOnly, ApiError, validationError } from '../api/errors';
import { requestIdOf } from '../api/request-id';
import { createRefundSchema, transactionIdParam } from '../api/schemas';
import { fingerprintOf } from '../shared/fingerprint';

export interface RefundsRouterOptions {
  client: Client;
  records: TransactionRecords;
  refunds: RefundRecords;
  taskQueue: string;
  flowOptions?: ProcessRefundInput['options'];
}

export function refundsRouter({ client, records, refunds, taskQueue, flowOptions }: RefundsRouterOptions): Router {
  const router = Router({ mergeParams: true });

  router.post('/', async (req, res) => {
    const id = transactionIdParam.safeParse((req.params as { id?: string }).id);
    if (!id.success) throw validationError(id.error, 'id');
    const parsed = createRefundSchema.safeParse(req.body ?? {});
    if (!parsed.success) throw validationError(parsed.error);
    const request: RefundRequest = parsed.data;
    const key = transactionKey(merchantOf(res), id.data);
    const transaction = await records.find(key);
    if (!transaction) throw new ApiError(404, 'not_found', `No transaction ${id.data}`);

    const reservation = await askForRefund(
      { client, refunds, taskQueue, flowOptions },
      key,
      transaction.zuz.paymentId!,
      request,
      requestIdOf(res),
    );
    switch (reservation.kind) {
      case 'conflict':
        throw new ApiError(409, 'refund_conflict', `Refund ${request.refundId} exists with a different request`);
      case 'not_refundable':
        throw new ApiError(409, 'invalid_state', `Only a succeeded transaction can be refunded; this one is ${reservation.status}`);
      case 'exceeds':
        throw new ApiError(409, 'refund_exceeds_refundable', `The refundable amount is ${reservation.refundable}`, [
          { field: 'amount', message: `must be at most ${reservation.refundable}, the amount still refundable` },
        ]);
      case 'reserved':
      case 'repeat':
        res.status(reservation.kind === 'reserved' ? 202 : 200).json(reservation.refund satisfies RefundView);
    }
  });

  router.all('/', allowOnly('POST'));
  return router;
}

/** What carries out a refund: the record that decides it, and the Temporal that runs its workflow. */
export type RefundDesk = Pick<RefundsRouterOptions, 'client' | 'refunds' | 'taskQueue' | 'flowOptions'>;

/**
 * Asks for a refund of a recorded transaction (its key, and its payment at Zuz): the record
 * reserves the amount, then the refund's own workflow is started. A repeat of a refund whose start
 * failed (Temporal unreachable, say) starts it now. One that may have reached Zuz never starts
 * again: once Temporal has forgotten its workflow and Zuz its idempotency key, a new start would be
 * a second refund; the record answers it, and the reconciliation follows it at Zuz. The API's
 * route and the deterministic simulation both ask through here. `requestId`: the API request that
 * asks (in the workflow's memo and the refund's event).
 */
export async function askForRefund(
  desk: RefundDesk,
  key: string,
  paymentId: string,
  request: RefundRequest,
  requestId?: string,
): Promise<Reservation> {
  const reservation = await desk.refunds.reserve(key, request, refundFingerprint(request), requestId);
  if (reservation.kind !== 'reserved' && reservation.kind !== 'repeat') return reservation;
  const neverSent = reservation.kind === 'reserved' || !reservation.askedZuz;
  if (reservation.refund.status === 'pending' && neverSent) {
    const order: RefundOrder = {
      transactionKey: key,
      refundId: request.refundId,
      paymentId,
      amount: reservation.refund.amount,
      reason: request.reason,
    };
    await startRefund(desk.client, desk.taskQueue, order, desk.flowOptions, requestId);
  }
  return reservation;
}

async function startRefund(
  client: Client,
  taskQueue: string,
  order: RefundOrder,
  options: ProcessRefundInput['options'],
  requestId?: string,
): Promise<void> {
  try {
    await client.workflow.start('processRefund', {
      workflowId: refundWorkflowIdFor(refundKey(order.transactionKey, order.refundId)),
      taskQueue,
      args: [{ order, options } satisfies ProcessRefundInput],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      staticSummary: `refund ${order.amount} minor units of ${order.transactionKey}: ${order.reason}`,
      ...(requestId && { memo: { requestId } }),
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

/** The same refund id with another amount or reason is another request (409). */
export function refundFingerprint(request: RefundRequest): string {
  return fingerprintOf([request.refundId, request.amount ?? null, request.reason]);
}
