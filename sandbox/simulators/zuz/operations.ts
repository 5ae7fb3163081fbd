/**
 * What each API call does to the simulator's state: validate, check the transition, record the
 * transaction (and the ledger entry), schedule a Pending one's resolution, announce it by webhook.
 * Errors are thrown as ZuzApiError; the HTTP layer turns them into answers.
 */
import type { z } from 'zod';
import {
  createAuthorizationBody,
  createCaptureBody,
  createPaymentBody,
  createRefundBody,
  type ZuzTransaction,
} from '../../../src/zuz/wire';
import { cardNumberForToken } from '../cards';
import { describeIssues } from '../shared/zodIssues';
import { badRequest, conflict, notFound } from './errors';
import type { Reply } from './idempotency';
import { newId, type IdPrefix } from './ids';
import { amountOutcome, authorizationOutcome, initialStatus, resultParts, type FinalStatus, type Outcome } from './outcomes';
import { paymentToWire, snapshot, type PaymentRecord, type TransactionKind } from './payments';
import type { ZuzState } from './state';
import { authorizationRefusal, capturableAmount, captureRefusal, refundableAmount, refundRefusal, voidRefusal } from './transitions';
import { buildEvent } from './webhooks/event';

export interface OperationResult {
  reply: Reply;
  /** Settles when the API call may be answered (see the 'before-response' webhook fault). */
  webhooksSent: Promise<void>;
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) throw badRequest('Invalid request body', describeIssues(parsed.error.issues));
  return parsed.data;
}

function findPayment(state: ZuzState, paymentId: string): PaymentRecord {
  const payment = state.payments.get(paymentId);
  if (!payment) throw notFound(`Payment ${paymentId} was not found`);
  return payment;
}

function refuseIf(reason: string | undefined): void {
  if (reason !== undefined) throw conflict(reason);
}

export function createPayment(state: ZuzState, body: unknown): Reply {
  const input = parseBody(createPaymentBody, body);
  const payment: PaymentRecord = {
    id: newId('pay'),
    amount: input.amount,
    currency: input.currency,
    created: new Date().toISOString(),
    ...(input.customer_id !== undefined ? { customer_id: input.customer_id } : {}),
    ...(input.order !== undefined ? { order: input.order } : {}),
    transactions: { authorization: [], capture: [], void: [], refund: [] },
  };
  state.payments.add(payment);
  return { status: 201, body: paymentToWire(payment) };
}

export function getPayment(state: ZuzState, paymentId: string, expand: ReadonlySet<TransactionKind>): Reply {
  return { status: 200, body: paymentToWire(findPayment(state, paymentId), expand) };
}

export function getAuthorization(state: ZuzState, paymentId: string, authorizationId: string): Reply {
  const authorization = findPayment(state, paymentId).transactions.authorization.find((t) => t.id === authorizationId);
  if (!authorization) throw notFound(`Authorization ${authorizationId} was not found on payment ${paymentId}`);
  return { status: 200, body: snapshot(authorization) };
}

export function authorize(state: ZuzState, paymentId: string, body: unknown, requestId: string): OperationResult {
  const payment = findPayment(state, paymentId);
  const input = parseBody(createAuthorizationBody, body);
  const cardNumber = cardNumberForToken(input.payment_method.token);
  if (cardNumber === undefined)
    throw badRequest('Unknown payment method token', `No card is known for token ${input.payment_method.token}`);
  refuseIf(authorizationRefusal(payment));
  return performTransaction(state, payment, 'authorization', {
    amount: payment.amount,
    reconciliationId: input.reconciliation_id,
    outcome: authorizationOutcome(cardNumber),
    requestId,
  });
}

export function capture(state: ZuzState, paymentId: string, body: unknown, requestId: string): OperationResult {
  const payment = findPayment(state, paymentId);
  const input = parseBody(createCaptureBody, body);
  // No amount: capture whatever is left of the authorization.
  const amount = input.amount ?? capturableAmount(payment);
  refuseIf(captureRefusal(payment, amount));
  return performTransaction(state, payment, 'capture', {
    amount,
    reconciliationId: input.reconciliation_id,
    outcome: amountOutcome(amount),
    requestId,
  });
}

export function voidPayment(state: ZuzState, paymentId: string, requestId: string): OperationResult {
  const payment = findPayment(state, paymentId);
  refuseIf(voidRefusal(payment));
  // A void has no body; it releases the whole authorization, so the payment's amount decides its outcome.
  return performTransaction(state, payment, 'void', { amount: payment.amount, outcome: amountOutcome(payment.amount), requestId });
}

export function refund(state: ZuzState, paymentId: string, body: unknown, requestId: string): OperationResult {
  const payment = findPayment(state, paymentId);
  const input = parseBody(createRefundBody, body);
  if (input.capture_id !== undefined && !payment.transactions.capture.some((c) => c.id === input.capture_id)) {
    throw notFound(`Capture ${input.capture_id} was not found on payment ${paymentId}`);
  }
  const amount = input.amount ?? refundableAmount(payment);
  refuseIf(refundRefusal(payment, amount, input.capture_id));
  return performTransaction(state, payment, 'refund', {
    amount,
    reconciliationId: input.reconciliation_id,
    outcome: amountOutcome(amount),
    requestId,
  });
}

const ID_PREFIX: Record<TransactionKind, IdPrefix> = { authorization: 'auth', capture: 'cap', void: 'void', refund: 'ref' };

interface TransactionInput {
  amount: number;
  reconciliationId?: string;
  outcome: Outcome;
  requestId: string;
}

function performTransaction(state: ZuzState, payment: PaymentRecord, kind: TransactionKind, input: TransactionInput): OperationResult {
  const providerReference = newId('txn');
  const isAuthorization = kind === 'authorization';
  const transaction: ZuzTransaction = {
    id: newId(ID_PREFIX[kind]),
    created: new Date().toISOString(),
    amount: input.amount,
    currency: payment.currency,
    ...(input.reconciliationId !== undefined ? { reconciliation_id: input.reconciliationId } : {}),
    ...resultParts(initialStatus(input.outcome), providerReference, isAuthorization),
  };
  payment.transactions[kind].push(transaction);
  state.ledger.record(payment.id, kind, transaction);

  const { outcome } = input;
  if (outcome.kind === 'pending') {
    const resolveInMs = state.scheduler.scale(outcome.resolveAfterMs) + state.faults.lateAnswerMs(payment.id);
    state.scheduler.afterRealDelay(resolveInMs, () =>
      resolvePending(state, payment.id, kind, transaction, outcome.finalStatus, providerReference),
    );
  }
  const webhooksSent = state.webhooks.emit(buildEvent(state.config, payment.id, kind, 'create', transaction, input.requestId));
  return { reply: { status: 201, body: snapshot(transaction) }, webhooksSent };
}

/** The provider's later answer: the transaction changes in place (so the payment status follows) and is announced. */
function resolvePending(
  state: ZuzState,
  paymentId: string,
  kind: TransactionKind,
  transaction: ZuzTransaction,
  finalStatus: FinalStatus,
  providerReference: string,
): void {
  Object.assign(transaction, resultParts(finalStatus, providerReference, kind === 'authorization'));
  void state.webhooks.emit(buildEvent(state.config, paymentId, kind, 'update', transaction));
}
