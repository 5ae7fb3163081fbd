/**
 * Authorization: open the payment at Zuz, ask for an authorization on it (PMS's card token goes
 * to Zuz inside that one activity, so it never enters the workflow), then wait for Zuz's final
 * answer. Whenever the flow gives up without that answer, any money Zuz did hold is released.
 */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { FlowOptions } from './options';
import type { TransactionState } from './transaction-state';
import { stepActivities } from './activities';
import { awaitZuzResult } from './await-zuz-result';
import { releaseUnansweredAuthorizations } from './patches';
import { releaseUnansweredAuthorization } from './release';
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
    if (releaseUnansweredAuthorizations()) await releaseUnansweredAuthorization(tx, options);
    return false;
  }
  if (result.status === 'Failed') {
    tx.fail('declined', { code: 'authorization_declined', message: result.description ?? 'The card was declined' });
    return false;
  }
  tx.authorizedAmount = result.amount;
  return true;
}

/** Returns the authorization's id at Zuz, or undefined when the transaction has failed. */
async function createAuthorization(tx: TransactionState, options: FlowOptions): Promise<string | undefined> {
  const { zuzCommands } = stepActivities(options.steps);
  const { transactionId, customerId, paymentMethodId, amount, currency } = tx.request;
  const separatePayment = releaseUnansweredAuthorizations();
  if (separatePayment) {
    const opened = await tryStep(tx, 'createPayment', () => zuzCommands.createPayment({ transactionId, customerId, amount, currency }));
    if (!opened) return undefined; // no payment, so nothing can be held
    tx.zuz.paymentId = opened.paymentId;
  }
  const created = await tryStep(tx, 'createAuthorization', () =>
    zuzCommands.createAuthorization({ transactionId, customerId, paymentMethodId, amount, currency, paymentId: tx.zuz.paymentId }),
    ({ authorization }) => authorization.status.toLowerCase(),
  );
  if (!created) {
    // Every attempt failed, yet one of them may have reached Zuz.
    if (separatePayment && tx.failure?.code === 'provider_unavailable') await releaseUnansweredAuthorization(tx, options);
    return undefined;
  }
  tx.zuz.paymentId = created.paymentId;
  tx.zuz.authorizationId = created.authorization.operationId;
  tx.record(created.authorization);
  return created.authorization.operationId;
}

/** Runs a Zuz command step; when it fails for good, fails the transaction with the reason and returns undefined. */
async function tryStep<T>(tx: TransactionState, name: string, run: () => Promise<T>, branchOf?: (result: T) => string): Promise<T | undefined> {
  try {
    return await tx.step(name, run, branchOf);
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
