/**
 * The messages a transaction workflow understands, defined once and shared by the workflow
 * (which handles them) and the API (which sends them).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { TransactionView, ZuzEvent } from '../model';

/** A Zuz webhook, verified and handed over by the API. */
export const zuzEventSignal = defineSignal<[ZuzEvent]>('zuzEvent');

/** The transaction's current state and step journal. */
export const transactionQuery = defineQuery<TransactionView>('transaction');

/** Manual capture: capture the final amount (<= authorized; default: all of it). */
export const captureUpdate = defineUpdate<TransactionView, [{ amount?: number }]>('capture');

/** Cancel before capture: the authorization is voided. */
export const cancelUpdate = defineUpdate<TransactionView, []>('cancel');

/**
 * The till's one-request answer: the transaction once its authorization is decided (authorized,
 * capturing, succeeded, declined or failed), or as it stands after `waitSeconds`. Sent with the
 * start (update-with-start), so the start and the wait are one call to Temporal.
 */
/** The longest a till may wait in one request (the API caps `Prefer: wait` at the same). */
export const MAX_DECISION_WAIT_SECONDS = 30;

export const decisionUpdate = defineUpdate<TransactionView, [{ waitSeconds: number }]>('decision');
