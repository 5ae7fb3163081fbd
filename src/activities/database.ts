/** Activities on the application database. Each is idempotent: a retry after a crash changes nothing twice. */
import { ApplicationFailure } from '@temporalio/activity';
import type { Database } from '../infrastructure/database';
import type { TransactionRequest, TransactionView } from '../domain/transaction';
import { requestFingerprint } from '../domain/request-fingerprint';
import { TRANSACTION_CONFLICT } from '../domain/errors';

export function createDatabaseActivities(db: Database) {
  return {
    async recordTransaction(request: TransactionRequest): Promise<void> {
      const fingerprint = requestFingerprint(request);
      await db.query(
        `INSERT INTO transactions (transaction_id, request_fingerprint, customer_id, payment_method_id, amount, currency, capture_mode, description, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'processing')
         ON CONFLICT (transaction_id) DO NOTHING`,
        [request.transactionId, fingerprint, request.customerId, request.paymentMethodId, request.amount, request.currency, request.capture, request.description ?? null],
      );
      const { rows } = await db.query<{ request_fingerprint: string }>(
        `SELECT request_fingerprint FROM transactions WHERE transaction_id = $1`,
        [request.transactionId],
      );
      if (rows[0]?.request_fingerprint !== fingerprint) {
        throw ApplicationFailure.create({
          type: TRANSACTION_CONFLICT,
          message: `Transaction ${request.transactionId} was recorded before with a different request`,
          nonRetryable: true,
        });
      }
    },

    /** The customer's account, created on first use; the same customer always gets the same account. */
    async assignAccountId(input: { transactionId: string; customerId: string }): Promise<string> {
      await db.query(
        `INSERT INTO accounts (customer_id, account_id) VALUES ($1, 'acct_' || replace(gen_random_uuid()::text, '-', ''))
         ON CONFLICT (customer_id) DO NOTHING`,
        [input.customerId],
      );
      const { rows } = await db.query<{ account_id: string }>(
        `UPDATE transactions SET account_id = a.account_id, updated_at = now()
           FROM accounts a WHERE a.customer_id = $2 AND transactions.transaction_id = $1
         RETURNING a.account_id`,
        [input.transactionId, input.customerId],
      );
      if (!rows[0]) throw new Error(`Transaction ${input.transactionId} is not recorded`);
      return rows[0].account_id;
    },

    async finalizeTransaction(view: TransactionView): Promise<void> {
      await db.query(
        `UPDATE transactions
            SET status = $2, authorized_amount = $3, captured_amount = $4, zuz_payment_id = $5,
                failure_code = $6, failure_message = $7, updated_at = now()
          WHERE transaction_id = $1`,
        [view.transactionId, view.status, view.authorizedAmount, view.capturedAmount, view.zuz.paymentId ?? null, view.failure?.code ?? null, view.failure?.message ?? null],
      );
    },
  };
}
