/**
 * Telling the merchant that Zuz holds the money (`transaction.authorized`, docs/merchant-events.md):
 * a manual-capture merchant learns that it may capture now. The step writes the authorization into
 * the record and the event into the outbox, in one database transaction (src/transaction/record.ts).
 *
 * It is started beside the capture and never stands in the payment's way:
 * - **Not awaited before the capture.** The capture (or, for a manual capture, the wait for the
 *   client's word, and the till's `Prefer: wait` answer) goes on at once; the flow waits for the
 *   note only before it records the outcome, so the authorized event always comes before the
 *   terminal one in the transaction's `sequence`.
 * - **An ordinary activity, not a local one.** The opening's database steps are local (v8) because
 *   the till's answer waits for them and a local activity skips the task queue. This step is
 *   different: nothing waits for it, and a local activity would hold the workflow task open until
 *   it ends — the capture's command leaves with that task, so it would wait for the database write
 *   (and, while the database is down, for the task's heartbeat every 8 s). As an ordinary activity
 *   it leaves in the same task as the capture's command and costs the capture nothing.
 * - **Retried like every database step** (the `database` policy: for as long as it takes). Should it
 *   ever fail for good, the failure is logged and the payment goes on: the merchant's notification
 *   is never a reason to fail or stop a payment.
 */
import { log } from '@temporalio/workflow';
import type { FlowOptions } from '../../workflows/options';
import type { TransactionState } from './transaction-state';
import { stepActivities } from '../../workflows/activities';
import { merchantIsToldOfAuthorization } from '../../workflows/patches';

/** Starts telling the merchant of the authorization; the promise ends when the note is written (it never rejects). */
export function tellMerchantOfAuthorization(tx: TransactionState, options: FlowOptions): Promise<void> {
  // Transactions that reached their authorization before v9 go on without the step.
  if (!merchantIsToldOfAuthorization()) return Promise.resolve();
  const { database } = stepActivities(options.steps);
  const { paymentId, authorizationId } = tx.zuz;
  return tx
    .step('noteAuthorized', () =>
      database.noteAuthorized({ transactionId: tx.key, authorizedAmount: tx.authorizedAmount, paymentId, authorizationId }),
    )
    .catch((err: unknown) => {
      log.error('The authorization could not be noted for the merchant; the payment goes on', { error: String(err) });
    });
}
