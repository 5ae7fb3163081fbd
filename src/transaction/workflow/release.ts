/**
 * Releasing held money: voiding an authorization the flow will not capture, and making sure an
 * authorization the flow gave up on (its answer never came) does not stay held at Zuz.
 */
import { log, sleep } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { FlowOptions } from '../../workflows/options';
import type { TransactionState } from './transaction-state';
import { stepActivities } from '../../workflows/activities';
import { activityFailedWith } from '../../workflows/activity-failure';
import { awaitZuzResult, DoublingPauses } from '../../workflows/await-zuz-result';
import { unreachable } from '../../workflows/exhaustive';
import {
  releaseUnansweredAuthorizations,
  rereadAfterLostAuthorizationAnswers,
  rereadMissingKnownAuthorization,
  rereadUnexplainedVoidRefusals,
} from '../../workflows/patches';
import { formatDuration, formatMoney, type ReleaseOutcome, type ZuzOperationResult } from '../model';
import type { ZuzPaymentState } from '../../zuz';
import { UPSTREAM_REFUSED } from '../../shared/failure-codes';

/** A void's answer, as the release's outcome: a pending void is followed up by the daily reconciliation. */
const RELEASE_BY_VOID_STATUS: Record<ZuzOperationResult['status'], ReleaseOutcome> = {
  Succeed: 'released',
  Pending: 'release_pending',
  Failed: 'release_failed',
};

/** What became of a void request. */
export type VoidOutcome =
  /** Zuz took the request and answered: Succeed (the money is released) or Failed (Zuz declined to void). */
  | { kind: 'answered'; result: ZuzOperationResult }
  /** Zuz refused the request outright (409): the payment's state does not allow a void. */
  | { kind: 'refused' };

/** Releases the held money; the caller has already said why. */
export function voidAuthorization(tx: TransactionState, options: FlowOptions): Promise<void> {
  return voidInRound(tx, options, 1);
}

/**
 * Sends the void and takes Zuz's answer. A refusal of round 1 is settled from the payment's
 * state; round 2 is sent only by that settling, so its refusal is logged and ends there (never
 * an endless void loop).
 */
async function voidInRound(tx: TransactionState, options: FlowOptions, round: 1 | 2): Promise<void> {
  const outcome = await sendVoid(tx, options, round);
  switch (outcome.kind) {
    case 'answered':
      tx.operationReported(outcome.result);
      tx.releaseEnded(RELEASE_BY_VOID_STATUS[outcome.result.status]);
      if (outcome.result.status === 'Failed')
        log.error('Zuz refused the void; the authorization stays open until it expires', { paymentId: tx.zuz.paymentId });
      return;
    case 'refused':
      if (round === 1) return settleRefusedVoid(tx, options);
      tx.releaseEnded('release_failed');
      log.error('Zuz refused the void twice; the authorization stays open until it expires', { paymentId: tx.zuz.paymentId });
      return;
    default:
      return unreachable(outcome);
  }
}

/**
 * Round 2 is a new request (a new idempotency key): Zuz replays its first answer to a repeated key.
 * A refusal fails the workflow in transactions that started before refusals were settled.
 */
async function sendVoid(tx: TransactionState, options: FlowOptions, round: 1 | 2): Promise<VoidOutcome> {
  const { zuzPersistent } = stepActivities(options.steps);
  try {
    const answer = await tx.step(
      round === 1 ? 'voidAuthorization' : 'voidAuthorizationAgain',
      () =>
        zuzPersistent.voidAuthorization.executeWithOptions(
          { summary: `release the held ${formatMoney(tx.authorizedAmount || tx.request.amount, tx.request.currency)} (void at Zuz)` },
          [{ transactionId: tx.key, paymentId: tx.zuz.paymentId!, round }],
        ),
      (result) => result.status.toLowerCase(),
      'voidAuthorization',
    );
    return { kind: 'answered', result: answer };
  } catch (err) {
    if (!refusedByZuz(err) || !releaseUnansweredAuthorizations()) throw err;
    return { kind: 'refused' };
  }
}

/**
 * The flow gave up on an authorization without its final answer (no answer in time, or every
 * attempt to send it failed): Zuz may still have approved it. Read the payment until Zuz answers;
 * an approved authorization is voided, a pending one is watched until it ends or expires.
 */
export async function releaseUnansweredAuthorization(tx: TransactionState, options: FlowOptions): Promise<void> {
  if (!tx.zuz.paymentId) return; // no payment, no authorization
  const state = await readAuthorizationFate(tx, options);
  if (!state.authorization) return;
  tx.operationReported(state.authorization);
  // Zuz refuses to void a pending authorization: wait for its answer, as long as it could hold money.
  const authorization = await untilFinal(tx, 'awaitLateAuthorizationResult', state.authorization, options.authorizationExpiry, options);
  if (authorization?.status !== 'Succeed') return;
  // Zuz did hold the money after all: the record says how much, and that it was released.
  tx.authorized(authorization.amount);
  await voidAuthorization(tx, options);
}

/**
 * The payment's authorization as Zuz shows it. A read without the authorization Zuz gave an id
 * to lags behind Zuz's ledger (it cannot mean that none was held): from v6 the payment is read
 * again until the authorization shows, or until it would have expired at Zuz anyway. From v7 a
 * read without one after the request's answers were lost is not trusted either.
 */
async function readAuthorizationFate(tx: TransactionState, options: FlowOptions): Promise<ZuzPaymentState> {
  const state = await readPayment(tx, options, 'readAuthorizationFate', authorizationStatus);
  if (state.authorization) return state;
  if (tx.zuz.authorizationId) {
    if (!rereadMissingKnownAuthorization()) return state;
    return rereadPaymentUntil(tx, options, {
      stepName: 'rereadAuthorizationFate',
      branch: authorizationStatus,
      shows: (read) => !!read.authorization,
      within: options.authorizationExpiry,
      because: 'Zuz gave the authorization an id, the read does not show it yet',
    });
  }
  // Only lost answers leave an authorization the flow cannot name; a refusal (PMS: no such card) was an answer.
  if (tx.failure?.code !== 'provider_unavailable' || !rereadAfterLostAuthorizationAnswers()) return state;
  return lookForAuthorizationWithLostAnswers(tx, options);
}

/**
 * Every answer to the authorization request was lost, so the flow has no id to look for, and the
 * read shows none. A webhook Zuz sent about an authorization on this payment settles it (the
 * flow only accepts events of its own payment); otherwise the payment is read again with growing
 * pauses for one longest polling interval: the flow's polling already counts on a read catching
 * up with Zuz within that time, so a read still empty then is taken as "none was made".
 */
async function lookForAuthorizationWithLostAnswers(tx: TransactionState, options: FlowOptions): Promise<ZuzPaymentState> {
  const reported = () => tx.finalResult('authorization');
  const alreadyReported = reported();
  if (alreadyReported) return { authorization: alreadyReported };
  const state = await rereadPaymentUntil(tx, options, {
    stepName: 'rereadAuthorizationFate',
    branch: authorizationStatus,
    shows: (read) => !!read.authorization || !!reported(),
    within: options.pollMaxInterval,
    because: "the authorization's answers were lost, and the read may lag behind Zuz",
  });
  return state.authorization ? state : { ...state, authorization: reported() };
}

function authorizationStatus({ authorization }: ZuzPaymentState): string {
  return authorization?.status.toLowerCase() ?? 'none';
}

/**
 * Zuz refused the void (409): the payment's state says why. Already voided is done; a capture
 * that landed after all (its earlier attempts looked lost) means the customer was charged, so
 * the transaction succeeded; a pending capture is awaited first and, should it fail, the void is
 * sent once more.
 */
async function settleRefusedVoid(tx: TransactionState, options: FlowOptions): Promise<void> {
  const state = await readPaymentAfterRefusedVoid(tx, options);
  if (state.void) {
    tx.operationReported(state.void);
    return tx.releaseEnded(RELEASE_BY_VOID_STATUS[state.void.status]);
  }
  if (!state.capture) {
    tx.releaseEnded('release_failed');
    log.error('Zuz refused the void and the payment shows no reason; the authorization stays open until it expires', {
      paymentId: tx.zuz.paymentId,
    });
    return;
  }
  tx.operationReported(state.capture);
  const capture = await untilFinal(tx, 'awaitLateCaptureResult', state.capture, options.captureDeadline, options);
  if (capture?.status === 'Succeed') {
    tx.capturedAfterAll(capture.amount);
    log.warn('A capture thought lost had landed at Zuz: the transaction succeeded', { paymentId: tx.zuz.paymentId });
    return;
  }
  if (capture?.status === 'Failed') {
    // The void was refused while the capture was pending; with the capture failed it is allowed.
    return voidInRound(tx, options, 2);
  }
  log.error('A capture of unknown fate is still pending at Zuz after its deadline', { paymentId: tx.zuz.paymentId });
}

/** What a read of the payment says about a refused void: voided already, a capture in the way, or nothing. */
function refusalReason({ void: voided, capture }: ZuzPaymentState): string {
  return voided ? 'voided' : capture ? `capture-${capture.status.toLowerCase()}` : 'unexplained';
}

/** The payment as it explains the refusal; an unexplained refusal is read again until it is explained or the capture deadline passes. */
async function readPaymentAfterRefusedVoid(tx: TransactionState, options: FlowOptions): Promise<ZuzPaymentState> {
  const state = await readPayment(tx, options, 'readPaymentAfterRefusedVoid', refusalReason);
  if (refusalReason(state) !== 'unexplained' || !rereadUnexplainedVoidRefusals()) return state;
  // Zuz refused for a reason its read does not show yet: a capture whose answers were all lost is the likeliest.
  return rereadPaymentUntil(tx, options, {
    stepName: 'rereadPaymentAfterRefusedVoid',
    branch: refusalReason,
    shows: (read) => refusalReason(read) !== 'unexplained',
    within: options.captureDeadline,
    because: 'the void was refused without a visible reason',
  });
}

/** What a read of the payment is waited for, and for how long. */
interface Reread {
  stepName: string;
  /** The step journal's branch for each read. */
  branch: (state: ZuzPaymentState) => string;
  shows: (state: ZuzPaymentState) => boolean;
  within: Duration;
  /** Why the flow reads again, in the pause's summary. */
  because: string;
}

/**
 * A read of the payment can lag behind Zuz's ledger. Reads again after growing durable pauses,
 * as polling does, and returns the first read that shows what the flow knows must be there, or
 * the last one once `within` has passed.
 */
async function rereadPaymentUntil(tx: TransactionState, options: FlowOptions, reread: Reread): Promise<ZuzPaymentState> {
  const pauses = new DoublingPauses(options, reread.within);
  for (;;) {
    const wait = Math.max(1, pauses.next());
    await sleep(wait, { summary: `wait ${formatDuration(wait)} before reading the payment again (${reread.because})` });
    const state = await readPayment(tx, options, reread.stepName, reread.branch);
    if (reread.shows(state) || pauses.remaining() === 0) return state;
  }
}

function readPayment(
  tx: TransactionState,
  options: FlowOptions,
  stepName: string,
  branch: (state: ZuzPaymentState) => string,
): Promise<ZuzPaymentState> {
  const { zuzPersistent } = stepActivities(options.steps);
  return tx.step(stepName, () => zuzPersistent.readPaymentState({ paymentId: tx.zuz.paymentId! }), branch, 'readPaymentState');
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
  const awaited = await tx.step(
    stepName,
    () => awaitZuzResult(tx, known.kind, known.operationId, deadline, options),
    ({ via }) => via,
  );
  return awaited.result;
}

function refusedByZuz(err: unknown): boolean {
  return activityFailedWith(err, UPSTREAM_REFUSED) !== undefined;
}
