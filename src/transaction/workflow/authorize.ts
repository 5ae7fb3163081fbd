/**
 * Authorization: open the payment at Zuz, ask for an authorization on it (PMS's card token goes
 * to Zuz inside that one activity, so it never enters the workflow), then wait for Zuz's final
 * answer. Whenever the flow gives up without that answer, any money Zuz did hold is released.
 */
import type { FlowOptions } from '../../workflows/options';
import type { TransactionState } from './transaction-state';
import type { ZuzRequestStubs } from '../../workflows/activities';
import { activityFailedWith } from '../../workflows/activity-failure';
import { awaitZuzResult } from '../../workflows/await-zuz-result';
import { unreachable } from '../../workflows/exhaustive';
import { readFateOnAnyAuthorizationFailure, releaseUnansweredAuthorizations } from '../../workflows/patches';
import { releaseUnansweredAuthorization } from './release';
import { formatMoney, type Failure } from '../model';
import { PAYMENT_METHOD_NOT_FOUND, PAYMENT_METHOD_UNUSABLE } from '../../shared/failure-codes';

/** What became of the request for an authorization. */
export type AuthorizationRequestOutcome =
  /** Zuz took it; its final answer may still be to come. */
  | { kind: 'sent'; authorizationId: string }
  /** It could not be made. When every attempt was lost on the way, one of them may still have been approved. */
  | { kind: 'not-sent'; failure: Failure; mayHaveReachedZuz: boolean };

/** A Zuz command step: done, or failed for good with the reason the transaction fails for. */
type CommandOutcome<T> = { kind: 'done'; value: T } | { kind: 'failed'; failure: Failure };

/** Returns true when the money is held for us; otherwise the transaction has its failure. */
export async function authorize(tx: TransactionState, options: FlowOptions, zuzRequests: ZuzRequestStubs): Promise<boolean> {
  const request = await requestAuthorization(tx, zuzRequests);
  switch (request.kind) {
    case 'sent':
      return awaitAuthorization(tx, request.authorizationId, options);
    case 'not-sent':
      tx.fail('failed', request.failure);
      if (request.mayHaveReachedZuz) await releaseUnansweredAuthorization(tx, options);
      return false;
    default:
      return unreachable(request);
  }
}

async function awaitAuthorization(tx: TransactionState, authorizationId: string, options: FlowOptions): Promise<boolean> {
  const awaited = await tx.step(
    'awaitAuthorizationResult',
    () => awaitZuzResult(tx, 'authorization', authorizationId, options.authorizationDeadline, options),
    ({ via }) => via,
  );
  const result = awaited.result;
  if (!result) {
    tx.fail('failed', { code: 'authorization_timeout', message: 'Zuz gave no final answer on the authorization in time' });
    if (releaseUnansweredAuthorizations()) await releaseUnansweredAuthorization(tx, options);
    return false;
  }
  if (result.status === 'Failed') {
    tx.fail('declined', { code: 'authorization_declined', message: result.description ?? 'The card was declined' });
    return false;
  }
  tx.authorized(result.amount);
  return true;
}

async function requestAuthorization(tx: TransactionState, zuzRequests: ZuzRequestStubs): Promise<AuthorizationRequestOutcome> {
  const { customerId, paymentMethodId, amount, currency } = tx.request;
  const transactionId = tx.key;
  const separatePayment = releaseUnansweredAuthorizations();
  if (separatePayment) {
    const opened = await zuzCommand(tx, 'createPayment', () =>
      zuzRequests.createPayment.executeWithOptions({ summary: `open a payment of ${formatMoney(amount, currency)} at Zuz` }, [
        { transactionId, customerId, amount, currency },
      ]),
    );
    // No payment, so nothing can be held.
    if (opened.kind === 'failed') return { kind: 'not-sent', failure: opened.failure, mayHaveReachedZuz: false };
    tx.openedPayment(opened.value.paymentId);
  }
  const created = await zuzCommand(
    tx,
    'createAuthorization',
    () =>
      zuzRequests.createAuthorization.executeWithOptions({ summary: `authorize ${formatMoney(amount, currency)} at Zuz` }, [
        { transactionId, customerId, paymentMethodId, amount, currency, paymentId: tx.zuz.paymentId },
      ]),
    ({ authorization }) => authorization.status.toLowerCase(),
  );
  if (created.kind === 'failed') {
    // Only a payment opened beforehand lets the flow look for an authorization whose answer was lost.
    const mayHaveReachedZuz = separatePayment && (created.failure.code === 'provider_unavailable' || readFateOnAnyAuthorizationFailure());
    return { kind: 'not-sent', failure: created.failure, mayHaveReachedZuz };
  }
  tx.authorizationSent(created.value);
  return { kind: 'sent', authorizationId: created.value.authorization.operationId };
}

async function zuzCommand<T>(
  tx: TransactionState,
  name: string,
  run: () => Promise<T>,
  branchOf?: (result: T) => string,
): Promise<CommandOutcome<T>> {
  try {
    return { kind: 'done', value: await tx.step(name, run, branchOf) };
  } catch (err) {
    return { kind: 'failed', failure: commandFailure(err) };
  }
}

/** PMS's verdict on the card when it gave one; otherwise Zuz could not be reached. */
function commandFailure(err: unknown): Failure {
  const notFound = activityFailedWith(err, PAYMENT_METHOD_NOT_FOUND);
  if (notFound) return { code: 'payment_method_not_found', message: notFound.message };
  const unusable = activityFailedWith(err, PAYMENT_METHOD_UNUSABLE);
  if (unusable) return { code: 'payment_method_unusable', message: unusable.message };
  return { code: 'provider_unavailable', message: 'Could not create the authorization at Zuz' };
}
