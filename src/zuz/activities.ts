/**
 * Activities on the payment provider Zuz (and PMS, whose card token only Zuz may see).
 * Idempotency keys derive from the transaction id and the operation, so every retry of a step
 * is the same request to Zuz. Card tokens stay inside these functions: nothing returned or
 * thrown from here carries one, so none reaches workflow history or logs.
 */
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import type { PmsClient } from '../pms';
import type { ZuzClient, ZuzPaymentState } from '.';
import { UpstreamError } from '../shared/http';
import type { ZuzOperationResult } from '../transaction/model';
import { refundKey, type RefundOrder } from '../refund/model';
import { parseTransactionKey } from '../merchants/model';
import {
  PAYMENT_METHOD_NOT_FOUND,
  PAYMENT_METHOD_UNUSABLE,
  REFUND_REFUSED,
  UPSTREAM_REFUSED,
  UPSTREAM_UNAVAILABLE,
} from '../shared/failure-codes';

export interface PaymentRequest {
  /** The transaction's key (merchant and id, src/merchants/model.ts): it names the payment's idempotency keys and reconciliation id at Zuz. */
  transactionId: string;
  customerId: string;
  amount: number;
  currency: string;
}

export interface AuthorizationRequest extends PaymentRequest {
  paymentMethodId: string;
}

/**
 * What the record learns from these steps as they happen: the payment's id as soon as Zuz names it
 * (so the reconciliation and late events find any payment the flow touched, even if the flow never
 * finalizes), and that a refund is about to be asked of Zuz (so it is never asked twice).
 */
export interface ZuzStepRecorder {
  paymentOpened(transactionKey: string, paymentId: string): Promise<void>;
  refundAsked(order: RefundOrder): Promise<void>;
}

const RECORDS_NOTHING: ZuzStepRecorder = { paymentOpened: async () => {}, refundAsked: async () => {} };

export function createZuzActivities(zuz: ZuzClient, pms: PmsClient, recorder: ZuzStepRecorder = RECORDS_NOTHING) {
  const open = async (input: PaymentRequest) => {
    const opened = await openPayment(zuz, input);
    await recorder.paymentOpened(input.transactionId, opened.paymentId);
    return opened;
  };
  return {
    /** Opens the payment at Zuz: it holds no money until an authorization succeeds on it. */
    async createPayment(input: PaymentRequest): Promise<{ paymentId: string }> {
      return open(input);
    },

    /**
     * Asks PMS for the card token (the transaction's merchant's customer's card) and Zuz for an
     * authorization on the payment. Executions started before v3 pass no paymentId: for them this
     * opens the payment too (same idempotency key).
     */
    async createAuthorization(
      input: AuthorizationRequest & { paymentId?: string },
    ): Promise<{ paymentId: string; authorization: ZuzOperationResult }> {
      const token = await cardToken(pms, input.transactionId, input.customerId, input.paymentMethodId);
      const paymentId = input.paymentId ?? (await open(input)).paymentId;
      const authorization = await upstream(
        () =>
          zuz.createAuthorization(
            paymentId,
            { token, reconciliationId: input.transactionId },
            idempotencyKey(input.transactionId, 'authorization'),
          ),
        // Zuz refusing the token (4xx) means this card cannot pay, not that Zuz is down.
        (error) => businessFailure(PAYMENT_METHOD_UNUSABLE, `Zuz refused the payment method (${error.status})`),
      );
      return { paymentId, authorization };
    },

    async capturePayment(input: { transactionId: string; paymentId: string; amount: number }): Promise<ZuzOperationResult> {
      return upstream(() =>
        zuz.createCapture(
          input.paymentId,
          { amount: input.amount, reconciliationId: input.transactionId },
          idempotencyKey(input.transactionId, 'capture'),
        ),
      );
    },

    /** `round` 2 is a second, new void request (after Zuz refused the first while a capture was pending). */
    async voidAuthorization(input: { transactionId: string; paymentId: string; round?: 1 | 2 }): Promise<ZuzOperationResult> {
      const key = idempotencyKey(input.transactionId, 'void') + (input.round === 2 ? ':2' : '');
      return upstream(() => zuz.createVoid(input.paymentId, key));
    },

    requestRefund: (order: RefundOrder): Promise<ZuzOperationResult> => requestRefund(zuz, recorder, order),

    /**
     * What Zuz currently says about each operation of the payment (the polling fallback). A read
     * changes nothing, and the payment is one Zuz itself named: a 4xx here (a key being rotated, a
     * lagging replica) is passing, so it is retried like an outage, never taken as the flow's answer.
     */
    async readPaymentState(input: { paymentId: string }): Promise<ZuzPaymentState> {
      return upstream(
        () => zuz.readPayment(input.paymentId),
        (error) => ApplicationFailure.create({ type: UPSTREAM_UNAVAILABLE, message: `${error.message} (a read: retried)` }),
      );
    },
  };
}

/**
 * Asks Zuz to refund part of a captured payment. The refund's key names it at Zuz twice: as the
 * idempotency key (a retry is the same refund) and as the reconciliation id (Zuz's webhooks about
 * it find the refund's workflow).
 */
async function requestRefund(zuz: ZuzClient, recorder: ZuzStepRecorder, order: RefundOrder): Promise<ZuzOperationResult> {
  const key = refundKey(order.transactionKey, order.refundId);
  await recorder.refundAsked(order);
  try {
    return await zuz.createRefund(order.paymentId, { amount: order.amount, reason: order.reason, reconciliationId: key }, `pos:${key}`);
  } catch (err) {
    if (!(err instanceof UpstreamError)) throw err;
    if (err.retryable) throw ApplicationFailure.create({ type: UPSTREAM_UNAVAILABLE, message: err.message });
    return refundDespiteRefusal(zuz, order.paymentId, key, err);
  }
}

function openPayment(zuz: ZuzClient, input: PaymentRequest): Promise<{ paymentId: string }> {
  return upstream(() =>
    zuz.createPayment(
      { amount: input.amount, currency: input.currency, customerId: input.customerId, orderId: input.transactionId },
      idempotencyKey(input.transactionId, 'payment'),
    ),
  );
}

/**
 * What an answer that is not a refund (a 4xx, or a 2xx whose body could not be read) means is read
 * from the payment before anything is concluded: Zuz may have performed the refund all the same
 * (an earlier attempt's, say), and recording it failed would make its amount refundable again. A
 * refund under this refund's reconciliation id is the answer; a 2xx with none shown yet is retried
 * (the same idempotency key); only a 4xx with none is the refusal, the refund's final answer.
 */
async function refundDespiteRefusal(zuz: ZuzClient, paymentId: string, key: string, refusal: UpstreamError): Promise<ZuzOperationResult> {
  const state = await upstream(
    () => zuz.readPayment(paymentId),
    (error) => ApplicationFailure.create({ type: UPSTREAM_UNAVAILABLE, message: `${error.message} (a read: retried)` }),
  );
  const performed = state.refunds?.find((refund) => refund.reconciliationId === key);
  if (performed) {
    const { reconciliationId: _id, ...result } = performed;
    return result;
  }
  const accepted = refusal.status !== undefined && refusal.status < 300;
  if (accepted)
    throw ApplicationFailure.create({ type: UPSTREAM_UNAVAILABLE, message: `${refusal.message}; Zuz shows no such refund yet` });
  throw businessFailure(REFUND_REFUSED, `Zuz refused the refund (${refusal.status}): ${refusal.message}`);
}

function idempotencyKey(transactionId: string, operation: 'payment' | 'authorization' | 'capture' | 'void'): string {
  return `pos:${transactionId}:${operation}`;
}

/** The card's token, asked of PMS for the transaction's merchant: customers (and their cards) are each merchant's own. */
async function cardToken(pms: PmsClient, transactionKey: string, customerId: string, paymentMethodId: string): Promise<string> {
  const { merchantId } = parseTransactionKey(transactionKey);
  const card = await upstream(() => pms.findPaymentMethod(merchantId, customerId, paymentMethodId));
  if (!card) throw businessFailure(PAYMENT_METHOD_NOT_FOUND, `Payment method ${paymentMethodId} was not found for this customer`);
  if (card.status !== 'active') throw businessFailure(PAYMENT_METHOD_UNUSABLE, `Payment method ${paymentMethodId} is ${card.status}`);
  return card.token;
}

/**
 * Runs an upstream call and sorts its errors: what a retry may fix is rethrown as is (the
 * step's retry policy takes over); a definite refusal becomes a non-retryable failure.
 */
async function upstream<T>(call: () => Promise<T>, onRefusal?: (error: UpstreamError) => ApplicationFailure): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!(err instanceof UpstreamError)) throw err;
    if (err.retryable) throw ApplicationFailure.create({ type: UPSTREAM_UNAVAILABLE, message: err.message });
    throw onRefusal ? onRefusal(err) : ApplicationFailure.create({ type: UPSTREAM_REFUSED, message: err.message, nonRetryable: true });
  }
}

/** An expected business outcome: not retried, and logged as benign rather than as an error. */
function businessFailure(type: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, category: ApplicationFailureCategory.BENIGN });
}
