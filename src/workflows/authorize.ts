/**
 * Authorization: ask PMS for the card token and Zuz for an authorization (one activity, so the
 * token never enters the workflow), then wait for Zuz's final answer.
 */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { FlowOptions } from './options';
import type { TransactionState } from './transaction-state';
import { stepActivities } from './activities';
import { awaitZuzResult } from './await-zuz-result';
import { PAYMENT_METHOD_NOT_FOUND, PAYMENT_METHOD_UNUSABLE } from '../domain/errors';

/** Returns true when the money is held for us; otherwise the transaction has its failure. */
export async function authorize(tx: TransactionState, options: FlowOptions): Promise<boolean> {
  const authorizationId = await createAuthorization(tx, options);
  if (!authorizationId) return false;

  const awaited = await tx.step(
    'awaitAuthorizationResult',
    () => awaitZuzResult(tx, 'authorization', authorizationId, options.authorizationDeadline, options),
    ({ via }) => via,
  );
  const result = awaited.result;
  if (!result) {
    tx.fail('failed', { code: 'authorization_timeout', message: 'Zuz gave no final answer on the authorization in time' });
    return false;
  }
  if (result.status === 'Failed') {
    tx.fail('declined', { code: 'authorization_declined', message: result.description ?? 'The card was declined' });
    return false;
  }
  tx.authorizedAmount = result.amount;
  return true;
}

async function createAuthorization(tx: TransactionState, options: FlowOptions): Promise<string | undefined> {
  const { zuzCommands } = stepActivities(options.steps);
  const { transactionId, customerId, paymentMethodId, amount, currency } = tx.request;
  try {
    const created = await tx.step(
      'createAuthorization',
      () => zuzCommands.createAuthorization({ transactionId, customerId, paymentMethodId, amount, currency }),
      ({ authorization }) => authorization.status.toLowerCase(),
    );
    tx.zuz.paymentId = created.paymentId;
    tx.zuz.authorizationId = created.authorization.operationId;
    tx.record(created.authorization);
    return created.authorization.operationId;
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : undefined;
    const type = cause instanceof ApplicationFailure ? cause.type : undefined;
    if (type === PAYMENT_METHOD_NOT_FOUND) {
      tx.fail('failed', { code: 'payment_method_not_found', message: cause!.message });
    } else if (type === PAYMENT_METHOD_UNUSABLE) {
      tx.fail('failed', { code: 'payment_method_unusable', message: cause!.message });
    } else {
      tx.fail('failed', { code: 'provider_unavailable', message: 'Could not create the authorization at Zuz' });
    }
    return undefined;
  }
}
