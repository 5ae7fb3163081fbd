/**
 * The steps' activity stubs, one proxy per retry/timeout profile (the seed's "individual
 * RetryPolicy per step" and "step lock TTL": a short start-to-close timeout means a crashed
 * worker's step is picked up again quickly).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

/** Database steps: short, and retried for as long as it takes — a database outage must not fail a payment. */
export const database = proxyActivities<Pick<Activities, 'recordTransaction' | 'assignAccountId' | 'finalizeTransaction'>>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/**
 * Calls that create something at Zuz. Safe to retry (idempotency keys), but bounded: after
 * the last attempt the flow decides (fails the transaction, or reads the payment's state).
 */
export const zuzCommands = proxyActivities<Pick<Activities, 'createAuthorization' | 'capturePayment'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8 },
});

/**
 * Calls that must eventually go through, so their retries never give up: a void (an open
 * authorization holds the customer's money) and the read that settles a capture of unknown fate.
 */
export const zuzPersistent = proxyActivities<Pick<Activities, 'voidAuthorization' | 'readPaymentState'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

/** A poll is cheap and repeated by the flow itself, so each one retries only briefly. */
export const zuzQueries = proxyActivities<Pick<Activities, 'readPaymentState'>>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 3 },
});
