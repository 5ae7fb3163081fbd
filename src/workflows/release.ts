/**
 * Releasing held money: voiding an authorization the flow will not capture, and making sure an
 * authorization the flow gave up on (its answer never came) does not stay held at Zuz.
 */
import { ActivityFailure, ApplicationFailure, log } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { FlowOptions } from './options';
import type { TransactionState } from './transaction-state';
import { stepActivities } from './activities';
import { awaitZuzResult } from './await-zuz-result';
import { releaseUnansweredAuthorizations } from './patches';
import type { ZuzOperationResult } from '../domain/transaction';
import { UPSTREAM_REFUSED } from '../domain/errors';

/** Releases the held money; the caller has already said why. */
export async function voidAuthorization(tx: TransactionState, options: FlowOptions): Promise<void> {
  const voided = await sendVoid(tx, options, 1);
  if (voided === REFUSED) return settleRefusedVoid(tx, options);
  recordVoid(tx, voided);
}

const REFUSED = 'refused';

/** Round 2 is a new request (a new idempotency key): Zuz replays its first answer to a repeated key. */
async function sendVoid(tx: TransactionState, options: FlowOptions, round: 1 | 2): Promise<ZuzOperationResult | typeof REFUSED> {
  const { zuzPersistent } = stepActivities(options.steps);
  try {
    return await tx.step(
      round === 1 ? 'voidAuthorization' : 'voidAuthorizationAgain',
      () => zuzPersistent.voidAuthorization({ transactionId: tx.request.transactionId, paymentId: tx.zuz.paymentId!, round }),
      (result) => result.status.toLowerCase(),
    );
  } catch (err) {
    if (!refusedByZuz(err) || !releaseUnansweredAuthorizations()) throw err;
    return REFUSED;
  }
}

function recordVoid(tx: TransactionState, voided: ZuzOperationResult): void {
  tx.zuz.voidId = voided.operationId;
  tx.record(voided);
  if (voided.status === 'Failed') log.error('Zuz refused the void; the authorization stays open until it expires', { paymentId: tx.zuz.paymentId });
}

/**
 * The flow gave up on an authorization without its final answer (no answer in time, or every
 * attempt to send it failed): Zuz may still have approved it. Read the payment until Zuz answers;
 * an approved authorization is voided, a pending one is watched until it ends or expires.
 */
export async function releaseUnansweredAuthorization(tx: TransactionState, options: FlowOptions): Promise<void> {
  if (!tx.zuz.paymentId) return; // no payment, no authorization
  const { zuzPersistent } = stepActivities(options.steps);
  const state = await tx.step(
    'readAuthorizationFate',
    () => zuzPersistent.readPaymentState({ paymentId: tx.zuz.paymentId! }),
    ({ authorization }) => authorization?.status.toLowerCase() ?? 'none',
  );
  if (!state.authorization) return;
  tx.zuz.authorizationId = state.authorization.operationId;
  tx.record(state.authorization);
  // Zuz refuses to void a pending authorization: wait for its answer, as long as it could hold money.
  const authorization = await untilFinal(tx, 'awaitLateAuthorizationResult', state.authorization, options.authorizationExpiry, options);
  if (authorization?.status === 'Succeed') await voidAuthorization(tx, options);
}

/**
 * Zuz refused the void (409): the payment's state says why. Already voided is done; a capture
 * that landed after all (its earlier attempts looked lost) means the customer was charged, so
 * the transaction succeeded; a pending capture is awaited first and, should it fail, the void is
 * sent once more.
 */
async function settleRefusedVoid(tx: TransactionState, options: FlowOptions): Promise<void> {
  const { zuzPersistent } = stepActivities(options.steps);
  const state = await tx.step(
    'readPaymentAfterRefusedVoid',
    () => zuzPersistent.readPaymentState({ paymentId: tx.zuz.paymentId! }),
    ({ void: voided, capture }) => (voided ? 'voided' : capture ? `capture-${capture.status.toLowerCase()}` : 'unexplained'),
  );
  if (state.void) {
    tx.zuz.voidId = state.void.operationId;
    tx.record(state.void);
    return;
  }
  if (!state.capture) {
    log.error('Zuz refused the void and the payment shows no reason; the authorization stays open until it expires', { paymentId: tx.zuz.paymentId });
    return;
  }
  tx.zuz.captureId = state.capture.operationId;
  tx.record(state.capture);
  const capture = await untilFinal(tx, 'awaitLateCaptureResult', state.capture, options.captureDeadline, options);
  if (capture?.status === 'Succeed') {
    tx.succeedAfterAll(capture.amount);
    log.warn('A capture thought lost had landed at Zuz: the transaction succeeded', { paymentId: tx.zuz.paymentId });
    return;
  }
  if (capture?.status === 'Failed') {
    // The void was refused while the capture was pending; with the capture failed it is allowed.
    const voided = await sendVoid(tx, options, 2);
    if (voided !== REFUSED) return recordVoid(tx, voided);
    log.error('Zuz refused the void twice; the authorization stays open until it expires', { paymentId: tx.zuz.paymentId });
    return;
  }
  log.error('A capture of unknown fate is still pending at Zuz after its deadline', { paymentId: tx.zuz.paymentId });
}

/** A result still pending at Zuz is awaited (webhook, then polling) until the deadline; a final one is returned as it is. */
async function untilFinal(
  tx: TransactionState,
  stepName: string,
  known: ZuzOperationResult,
  deadline: Duration,
  options: FlowOptions,
): Promise<ZuzOperationResult | undefined> {
  if (known.status !== 'Pending') return known;
  const awaited = await tx.step(stepName, () => awaitZuzResult(tx, known.kind, known.operationId, deadline, options), ({ via }) => via);
  return awaited.result;
}

function refusedByZuz(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === UPSTREAM_REFUSED;
}
