/** Activities on the application database. Each is idempotent: a retry after a crash changes nothing twice. */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { MetricMeter } from '@temporalio/common';
import type { Database } from '../shared/database';
import { countOutcome } from './outcome-metrics';
import type { TransactionRequest, TransactionView } from './model';
import { requestFingerprint } from './request-fingerprint';
import { TRANSACTION_ALREADY_PROCESSED, TRANSACTION_CONFLICT } from '../shared/failure-codes';
import { TransactionRecords } from './record';
import { RefundRecords } from '../refund/record';
import type { RefundOrder, RefundOutcome } from '../refund/model';
import { parseTransactionKey, transactionKey } from '../merchants/model';

/** The velocity and amount limits of risk screening, per customer. */
export interface RiskLimits {
  maxTransactionsPerHour: number;
  /** In minor units, summed over the customer's transactions of the last 24 h that did not fail. */
  maxAmountPerDay: number;
}

export type RiskVerdict = { cleared: true } | { cleared: false; reason: string };

export function createDatabaseActivities(
  db: Database,
  risk: RiskLimits,
  currentRunId = () => Context.current().info.workflowExecution?.runId,
  outcomeMeter = (): MetricMeter => Context.current().metricMeter,
) {
  const records = new TransactionRecords(db);
  const refunds = new RefundRecords(db);
  return {
    recordTransaction: (request: TransactionRequest): Promise<void> => recordTransaction(records, request, currentRunId),

    assignAccountId: (input: { transactionId: string; customerId: string }): Promise<string> => assignAccountId(db, input),

    screenTransaction: (input: { transactionId: string; customerId: string; amount: number }): Promise<RiskVerdict> =>
      screenTransaction(db, risk, input),

    /**
     * Zuz approved the authorization: the record notes it and the merchant is told
     * (`transaction.authorized`), both in one database transaction. `transactionId` is the
     * transaction's key. Idempotent: a retry writes no second event.
     */
    async noteAuthorized(input: {
      transactionId: string;
      authorizedAmount: number;
      paymentId?: string;
      authorizationId?: string;
    }): Promise<void> {
      const { transactionId, ...authorization } = input;
      await records.noteAuthorized(transactionId, authorization);
    },

    /** Writes the outcome into the record, once: a finalized record is never rewritten; and counts it then, once. */
    async finalizeTransaction(view: TransactionView): Promise<void> {
      if (await records.finalize(view)) countOutcome(outcomeMeter(), view);
    },

    /** Writes a refund's outcome, once; a failed refund's amount becomes refundable again. */
    async finalizeRefund(input: { order: RefundOrder; outcome: RefundOutcome }): Promise<void> {
      await refunds.finalize(input.order.transactionKey, input.order.refundId, input.outcome);
    },
  };
}

/**
 * Records the request (the API usually has already) and binds the transaction to this workflow
 * run. A transaction bound to another run was processed before — perhaps by a run Temporal has
 * since forgotten — so this run must not act: it fails before reaching Zuz.
 */
async function recordTransaction(
  records: TransactionRecords,
  request: TransactionRequest,
  currentRunId: () => string | undefined,
): Promise<void> {
  const fingerprint = requestFingerprint(request);
  const claim = await records.claim(request, fingerprint);
  if (claim.kind === 'known' && claim.fingerprint !== fingerprint) {
    throw ApplicationFailure.create({
      type: TRANSACTION_CONFLICT,
      message: `Transaction ${request.transactionId} was recorded before with a different request`,
      nonRetryable: true,
    });
  }
  const runId = currentRunId();
  if (!runId) throw new Error('recordTransaction runs only as a step of a transaction workflow');
  if (!(await records.bindRun(transactionKey(request.merchantId, request.transactionId), runId))) {
    throw ApplicationFailure.create({
      type: TRANSACTION_ALREADY_PROCESSED,
      message: `Transaction ${request.transactionId} was processed by another workflow run; this run does nothing`,
      nonRetryable: true,
    });
  }
}

/**
 * The customer's account, created on first use; the same customer of the same merchant always
 * gets the same account (customer ids are the merchant's, so they are keyed like transactions).
 * `transactionId` is the transaction's key (src/merchants/model.ts), as in every step's input.
 */
async function assignAccountId(db: Database, input: { transactionId: string; customerId: string }): Promise<string> {
  const customerKey = transactionKey(parseTransactionKey(input.transactionId).merchantId, input.customerId);
  await db.query(
    `INSERT INTO accounts (customer_id, account_id) VALUES ($1, 'acct_' || replace(gen_random_uuid()::text, '-', ''))
     ON CONFLICT (customer_id) DO NOTHING`,
    [customerKey],
  );
  const { rows } = await db.query<{ account_id: string }>(
    `UPDATE transactions SET account_id = a.account_id, updated_at = now()
       FROM accounts a WHERE a.customer_id = $2 AND transactions.transaction_id = $1
     RETURNING a.account_id`,
    [input.transactionId, customerKey],
  );
  if (!rows[0]) throw new Error(`Transaction ${input.transactionId} is not recorded`);
  return rows[0].account_id;
}

/** Too many transactions in an hour, or too much money in a day, for this customer of this merchant: declined before Zuz is asked. */
async function screenTransaction(
  db: Database,
  risk: RiskLimits,
  input: { transactionId: string; customerId: string; amount: number },
): Promise<RiskVerdict> {
  const { rows } = await db.query<{ last_hour: string; last_day_amount: string }>(
    // Attempts count (card testing shows as many declines), but not those this check refused:
    // a client retrying against the limit must not keep extending its own block.
    `SELECT count(*) FILTER (WHERE created_at > now() - interval '1 hour'
                               AND failure_code IS DISTINCT FROM 'risk_rejected') AS last_hour,
            coalesce(sum(amount) FILTER (WHERE created_at > now() - interval '24 hours'
                                          AND status NOT IN ('declined', 'failed', 'cancelled')), 0) AS last_day_amount
       FROM transactions
      WHERE customer_id = $1 AND merchant_id = $3 AND transaction_id <> $2`,
    [input.customerId, input.transactionId, parseTransactionKey(input.transactionId).merchantId],
  );
  const lastHour = Number(rows[0]?.last_hour ?? 0);
  const lastDayAmount = Number(rows[0]?.last_day_amount ?? 0);
  if (lastHour >= risk.maxTransactionsPerHour) {
    return { cleared: false, reason: `More than ${risk.maxTransactionsPerHour} transactions in the last hour` };
  }
  if (lastDayAmount + input.amount > risk.maxAmountPerDay) {
    return { cleared: false, reason: "The amount exceeds the customer's daily limit" };
  }
  return { cleared: true };
}
