/**
 * After a successful authorization: capture (at once, or when the client asks for it), or
 * release the money by voiding. Whatever ends the flow without a capture voids the
 * authorization; a capture whose fate is unknown is read back from Zuz, never sent again.
 */
import { condition, log } from '@temporalio/workflow';
import type { FlowOptions } from './options';
import type { TransactionState } from './transaction-state';
import { stepActivities } from './activities';
import { awaitZuzResult } from './await-zuz-result';
import { voidWhenCaptureNeverArrived } from './patches';
import { voidAuthorization } from './release';
import type { ZuzOperationResult } from '../domain/transaction';

export async function captureOrRelease(tx: TransactionState, options: FlowOptions): Promise<void> {
  const amount = await decideCaptureAmount(tx, options);
  if (amount === undefined) return voidAuthorization(tx, options);

  tx.moveTo('capturing');
  const result = await capture(tx, amount, options);
  if (result === NEVER_ARRIVED && voidWhenCaptureNeverArrived()) {
    tx.fail('failed', { code: 'capture_failed', message: 'The capture could not reach Zuz; the authorization is released' });
    await voidAuthorization(tx, options);
    return;
  }
  if (result === NEVER_ARRIVED || result === undefined) {
    // Still pending at Zuz after the deadline: voiding is no longer allowed, so say so plainly.
    tx.fail('failed', { code: 'capture_failed', message: 'Zuz gave no final answer on the capture in time' });
    return;
  }
  if (result.status === 'Succeed') {
    tx.capturedAmount = result.amount;
    tx.moveTo('succeeded');
    return;
  }
  tx.fail('failed', { code: 'capture_failed', message: result.description ?? 'Zuz refused the capture' });
  await voidAuthorization(tx, options);
}

/** Auto capture takes the authorized amount; manual capture waits for the client, up to the expiry. */
async function decideCaptureAmount(tx: TransactionState, options: FlowOptions): Promise<number | undefined> {
  if (tx.request.capture === 'auto') {
    if (tx.decision?.action !== 'cancel') return tx.authorizedAmount;
    tx.fail('cancelled', { code: 'cancelled_by_client', message: 'Cancelled before capture' });
    return undefined;
  }

  tx.moveTo('authorized');
  const decided = await tx.step(
    'awaitCaptureRequest',
    () => condition(() => tx.decision !== undefined, options.authorizationExpiry),
    (arrived) => (arrived ? tx.decision!.action : 'expired'),
  );
  if (!decided) {
    tx.fail('cancelled', { code: 'authorization_expired', message: 'No capture was requested before the authorization expired' });
    return undefined;
  }
  if (tx.decision!.action === 'cancel') {
    tx.fail('cancelled', { code: 'cancelled_by_client', message: 'Cancelled before capture' });
    return undefined;
  }
  return tx.decision!.amount ?? tx.authorizedAmount;
}

/** Every attempt failed and Zuz shows no capture: nothing was charged. */
const NEVER_ARRIVED = 'never-arrived';

async function capture(tx: TransactionState, amount: number, options: FlowOptions): Promise<ZuzOperationResult | typeof NEVER_ARRIVED | undefined> {
  const answer = await tx.step(
    'capturePayment',
    () => sendCaptureOnce(tx, amount, options),
    (result) => (result ? result.status.toLowerCase() : 'fate-unknown'),
  );
  if (!answer) return NEVER_ARRIVED;
  tx.zuz.captureId = answer.operationId;
  tx.record(answer);
  const awaited = await tx.step(
    'awaitCaptureResult',
    () => awaitZuzResult(tx, 'capture', answer.operationId, options.captureDeadline, options),
    ({ via }) => via,
  );
  return awaited.result;
}

/**
 * Sends the capture (its retries reuse one idempotency key). If every attempt failed, Zuz may
 * still have performed it: read the payment and take what is there; never send a second capture.
 */
async function sendCaptureOnce(tx: TransactionState, amount: number, options: FlowOptions): Promise<ZuzOperationResult | undefined> {
  const { zuzCommands, zuzPersistent } = stepActivities(options.steps);
  const paymentId = tx.zuz.paymentId!;
  try {
    return await zuzCommands.capturePayment({ transactionId: tx.request.transactionId, paymentId, amount });
  } catch (err) {
    log.warn('Capture fate unknown; reading the payment from Zuz', { error: String(err) });
    const state = await zuzPersistent.readPaymentState({ paymentId });
    return state.capture;
  }
}
