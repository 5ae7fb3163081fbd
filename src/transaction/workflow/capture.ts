/**
 * After a successful authorization: tell the merchant (beside the rest, since v9), and capture (at
 * once, or when the client asks for it), or release the money by voiding. Whatever ends the flow without a capture voids the
 * authorization; a capture whose fate is unknown is read back from Zuz, never sent again.
 */
import { condition, log } from '@temporalio/workflow';
import type { FlowOptions } from '../../workflows/options';
import type { TransactionState } from './transaction-state';
import { stepActivities } from '../../workflows/activities';
import { awaitZuzResult, toMs } from '../../workflows/await-zuz-result';
import { unreachable } from '../../workflows/exhaustive';
import { settleBeforeFinalStatus, voidWhenCaptureNeverArrived } from '../../workflows/patches';
import { voidAuthorization } from './release';
import { tellMerchantOfAuthorization } from './tell-merchant';
import { formatDuration, formatMoney, type Failure, type ZuzOperationResult } from '../model';

/** Whether to take the money, and how much; a release has already failed the transaction with its reason. */
export type CaptureDecision = { kind: 'capture'; amount: number } | { kind: 'release' };

/** What became of the capture. */
export type CaptureOutcome =
  /** Every attempt failed and Zuz shows no capture: nothing was charged. */
  | { kind: 'never-arrived' }
  /** Zuz took the capture but gave no final answer before the deadline. */
  | { kind: 'still-pending' }
  /** Zuz's final answer: Succeed (the customer was charged) or Failed. */
  | { kind: 'answered'; result: ZuzOperationResult };

export async function captureOrRelease(tx: TransactionState, options: FlowOptions): Promise<void> {
  // The merchant is told that the money is held, beside the capture and never in its way (tell-merchant.ts).
  const told = tellMerchantOfAuthorization(tx, options);
  await takeOrReleaseTheMoney(tx, options);
  // Told before the outcome is recorded: the authorized event always precedes the terminal one.
  await told;
}

async function takeOrReleaseTheMoney(tx: TransactionState, options: FlowOptions): Promise<void> {
  const decision = await decideCapture(tx, options);
  switch (decision.kind) {
    case 'release':
      return voidAuthorization(tx, options);
    case 'capture': {
      tx.moveTo('capturing');
      const outcome = await capture(tx, decision.amount, options);
      return settleCapture(tx, outcome, options);
    }
    default:
      return unreachable(decision);
  }
}

async function settleCapture(tx: TransactionState, outcome: CaptureOutcome, options: FlowOptions): Promise<void> {
  switch (outcome.kind) {
    case 'never-arrived':
      if (voidWhenCaptureNeverArrived()) {
        return releaseAfterFailedCapture(
          tx,
          { code: 'capture_failed', message: 'The capture could not reach Zuz; the authorization is released' },
          options,
        );
      }
      // Transactions that started before that change end as if the capture were still pending.
      return failWithoutFinalAnswer(tx);
    case 'still-pending':
      return failWithoutFinalAnswer(tx);
    case 'answered':
      if (outcome.result.status === 'Succeed') return tx.captured(outcome.result.amount);
      return releaseAfterFailedCapture(
        tx,
        { code: 'capture_failed', message: outcome.result.description ?? 'Zuz refused the capture' },
        options,
      );
    default:
      return unreachable(outcome);
  }
}

/**
 * The capture failed or never arrived: void the authorization, then publish the failure — unless
 * the void shows the capture landed after all, in which case the transaction succeeded. Runs that
 * started before v4 published the failure first.
 */
async function releaseAfterFailedCapture(tx: TransactionState, failure: Failure, options: FlowOptions): Promise<void> {
  if (!settleBeforeFinalStatus()) {
    tx.fail('failed', failure);
    return voidAuthorization(tx, options);
  }
  tx.moveTo('releasing');
  await voidAuthorization(tx, options);
  if (tx.status === 'releasing') tx.fail('failed', failure);
}

/** Still pending at Zuz after the deadline: voiding is no longer allowed, so say so plainly. */
function failWithoutFinalAnswer(tx: TransactionState): void {
  tx.fail('failed', { code: 'capture_failed', message: 'Zuz gave no final answer on the capture in time' });
}

/** Auto capture takes the authorized amount; manual capture waits for the client, up to the expiry. */
async function decideCapture(tx: TransactionState, options: FlowOptions): Promise<CaptureDecision> {
  if (tx.request.capture === 'auto') {
    if (tx.decision?.action !== 'cancel') return { kind: 'capture', amount: tx.authorizedAmount };
    return cancelledByClient(tx);
  }

  tx.moveTo('authorized');
  const decided = await tx.step(
    'awaitCaptureRequest',
    () =>
      condition(() => tx.decision !== undefined, options.authorizationExpiry, {
        summary: `wait up to ${formatDuration(toMs(options.authorizationExpiry))} for the capture or cancel request`,
      }),
    (arrived) => (arrived ? tx.decision!.action : 'expired'),
  );
  const decision = tx.decision;
  if (!decided || !decision) {
    tx.fail('cancelled', { code: 'authorization_expired', message: 'No capture was requested before the authorization expired' });
    return { kind: 'release' };
  }
  switch (decision.action) {
    case 'cancel':
      return cancelledByClient(tx);
    case 'capture':
      return { kind: 'capture', amount: decision.amount ?? tx.authorizedAmount };
    default:
      return unreachable(decision);
  }
}

function cancelledByClient(tx: TransactionState): CaptureDecision {
  tx.fail('cancelled', { code: 'cancelled_by_client', message: 'Cancelled before capture' });
  return { kind: 'release' };
}

async function capture(tx: TransactionState, amount: number, options: FlowOptions): Promise<CaptureOutcome> {
  const answer = await tx.step(
    'capturePayment',
    () => sendCaptureOnce(tx, amount, options),
    (result) => (result ? result.status.toLowerCase() : 'fate-unknown'),
  );
  if (!answer) return { kind: 'never-arrived' };
  tx.operationReported(answer);
  const awaited = await tx.step(
    'awaitCaptureResult',
    () => awaitZuzResult(tx, 'capture', answer.operationId, options.captureDeadline, options),
    ({ via }) => via,
  );
  return awaited.result ? { kind: 'answered', result: awaited.result } : { kind: 'still-pending' };
}

/**
 * Sends the capture (its retries reuse one idempotency key). If every attempt failed, Zuz may
 * still have performed it: read the payment and take what is there; never send a second capture.
 * Returns undefined when Zuz shows no capture at all.
 */
async function sendCaptureOnce(tx: TransactionState, amount: number, options: FlowOptions): Promise<ZuzOperationResult | undefined> {
  const { zuzCommands, zuzPersistent } = stepActivities(options.steps);
  const paymentId = tx.zuz.paymentId!;
  try {
    return await zuzCommands.capturePayment.executeWithOptions({ summary: `capture ${formatMoney(amount, tx.request.currency)} at Zuz` }, [
      { transactionId: tx.key, paymentId, amount },
    ]);
  } catch (err) {
    log.warn('Capture fate unknown; reading the payment from Zuz', { error: String(err) });
    const state = await zuzPersistent.readPaymentState({ paymentId });
    return state.capture;
  }
}
