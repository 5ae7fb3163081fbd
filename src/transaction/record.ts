/**
 * The transaction record: the database row that outlives the workflow. Temporal forgets a closed
 * run after the namespace's retention period (and Zuz its idempotency keys after a day); the
 * record does not, so it decides whether a transaction id was ever accepted, which workflow run
 * may act for it, and what the transaction's outcome was.
 */
import type { Database, Queryable } from '../shared/database';
import { LEGACY_RUN } from '../shared/migrations';
import { INSERT_MERCHANT_EVENT, insertMerchantEvent, merchantEventId, NEXT_SEQUENCE } from '../merchant-events/store';
import { DEFAULT_MERCHANT_ID, parseTransactionKey, transactionKey } from '../merchants/model';
import type { Failure, FailureCode, ReleaseOutcome, TransactionRequest, TransactionStatus, TransactionView, ZuzEvent } from './model';

/** What the record does not keep: the step journal lives only in the workflow's history. */
export const FIELDS_ONLY_IN_HISTORY = ['steps'] as const;

/** Where a page of the list ended: the list is newest first, ties broken by key. */
export interface RecordPosition {
  /** PostgreSQL's own text of the timestamp: exact to the microsecond, unlike a JavaScript Date. */
  createdAt: string;
  transactionKey: string;
}

export interface RecordedSummary {
  transactionId: string;
  transactionKey: string;
  customerId: string;
  status: TransactionStatus;
  finalized: boolean;
  amount: number;
  currency: string;
  createdAt: string;
  finalizedAt?: string;
  position: RecordPosition;
}

export type ClaimResult =
  | { kind: 'new' }
  /** The id was accepted before; `fingerprint` tells a repeat from a conflict, `runId` whether a workflow ever took it. */
  | { kind: 'known'; fingerprint: string; runId?: string; requestId?: string };

interface TransactionRow {
  transaction_id: string;
  merchant_id: string;
  request_fingerprint: string;
  customer_id: string;
  amount: string | number;
  currency: string;
  capture_mode: 'auto' | 'manual';
  account_id: string | null;
  status: TransactionStatus;
  authorized_amount: string | number;
  captured_amount: string | number;
  zuz_payment_id: string | null;
  zuz_authorization_id: string | null;
  zuz_capture_id: string | null;
  zuz_void_id: string | null;
  zuz_refund_id: string | null;
  release_outcome: ReleaseOutcome | null;
  failure_code: FailureCode | null;
  failure_message: string | null;
  workflow_run_id: string | null;
  request_id: string | null;
}

/** A merchant's transactions, newest first, by the list's filters (tools/bench/list-isolation.ts explains this very query). */
export const LIST_TRANSACTIONS_SQL = `SELECT transaction_id, customer_id, status, amount, currency, created_at, created_at::text AS created_at_exact, finalized_at FROM transactions
        WHERE merchant_id = $6
          AND ($1::text IS NULL OR customer_id = $1)
          AND ($2::text IS NULL OR (status = $2 AND finalized_at IS NOT NULL))
          AND ($3::timestamptz IS NULL OR (created_at, transaction_id) < ($3::timestamptz, $4::text))
          AND ($7::timestamptz IS NULL OR created_at >= $7::timestamptz)
          AND ($8::timestamptz IS NULL OR created_at <= $8::timestamptz)
          AND ($9::bigint IS NULL OR amount >= $9::bigint)
          AND ($10::bigint IS NULL OR amount <= $10::bigint)
          AND ($11::boolean IS NULL OR refund_succeeded = $11::boolean)
        ORDER BY created_at DESC, transaction_id DESC
        LIMIT $5`;

export class TransactionRecords {
  constructor(private readonly db: Database) {}

  /**
   * Records the request if its id is new; otherwise says what was recorded for it. Never overwrites.
   * `requestId`: the API request that started the transaction (the first to claim its id), which
   * every event the transaction causes carries; the workflow's own claim knows none and keeps the API's.
   */
  async claim(request: TransactionRequest, fingerprint: string, requestId?: string): Promise<ClaimResult> {
    const key = transactionKey(request.merchantId, request.transactionId);
    const inserted = await this.db.query(
      `INSERT INTO transactions (transaction_id, request_fingerprint, customer_id, payment_method_id, amount, currency, capture_mode, description, status, merchant_id, request_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'processing', $9, $10)
       ON CONFLICT (transaction_id) DO NOTHING
       RETURNING transaction_id`,
      [
        key,
        fingerprint,
        request.customerId,
        request.paymentMethodId,
        request.amount,
        request.currency,
        request.capture,
        request.description ?? null,
        request.merchantId ?? DEFAULT_MERCHANT_ID,
        requestId ?? null,
      ],
    );
    if (inserted.rows.length > 0) return { kind: 'new' };
    const { rows } = await this.db.query<Pick<TransactionRow, 'request_fingerprint' | 'workflow_run_id' | 'request_id'>>(
      `SELECT request_fingerprint, workflow_run_id, request_id FROM transactions WHERE transaction_id = $1`,
      [key],
    );
    const row = rows[0];
    if (!row) throw new Error(`Transaction ${key} vanished from the record`);
    return {
      kind: 'known',
      fingerprint: row.request_fingerprint,
      runId: row.workflow_run_id ?? undefined,
      ...(row.request_id ? { requestId: row.request_id } : {}),
    };
  }

  /** Withdraws a claim no workflow run has taken (its start failed). */
  async unclaim(key: string): Promise<void> {
    await this.db.query(`DELETE FROM transactions WHERE transaction_id = $1 AND workflow_run_id IS NULL`, [key]);
  }

  /**
   * Binds the transaction to one workflow run. Returns false when another run holds it: that run
   * (perhaps long gone from Temporal) already acted for this transaction, and this one must not.
   */
  async bindRun(key: string, runId: string): Promise<boolean> {
    const { rows } = await this.db.query(
      `UPDATE transactions SET workflow_run_id = $2, updated_at = now()
        WHERE transaction_id = $1 AND (workflow_run_id IS NULL OR workflow_run_id = $2)
       RETURNING transaction_id`,
      [key, runId],
    );
    return rows.length > 0;
  }

  /** Whether the id was ever accepted, and the workflow run bound to it (none for records made before runs were bound). */
  async runOf(key: string): Promise<{ known: false } | { known: true; runId?: string }> {
    const { rows } = await this.db.query<{ workflow_run_id: string | null }>(
      `SELECT workflow_run_id FROM transactions WHERE transaction_id = $1`,
      [key],
    );
    if (!rows[0]) return { known: false };
    // A transaction from before runs were recorded: its workflow is the one under its id, whichever run.
    const runId = rows[0].workflow_run_id;
    return { known: true, runId: runId && runId !== LEGACY_RUN ? runId : undefined };
  }

  /**
   * A page of one merchant's transactions, newest first; `terminalStatus` matches only recorded
   * (finalized) outcomes. Every filter has an index within the merchant (migration 8), so a filter
   * nothing matches reads a few index entries, not every row of the merchant (test/list-indexes.test.ts).
   * `refunded` reads `refund_succeeded`, which a trigger on refunds keeps.
   */
  async listPage(filter: {
    merchantId: string;
    customerId?: string;
    createdFrom?: string;
    createdTo?: string;
    minAmount?: number;
    maxAmount?: number;
    refunded?: boolean;
    terminalStatus?: TransactionStatus;
    after?: RecordPosition;
    limit: number;
  }): Promise<RecordedSummary[]> {
    const { rows } = await this.db.query<{
      transaction_id: string;
      customer_id: string;
      status: TransactionStatus;
      amount: string | number;
      currency: string;
      created_at: Date | string;
      created_at_exact: string;
      finalized_at: Date | string | null;
    }>(LIST_TRANSACTIONS_SQL, [
      filter.customerId ?? null,
      filter.terminalStatus ?? null,
      filter.after?.createdAt ?? null,
      filter.after?.transactionKey ?? null,
      filter.limit,
      filter.merchantId,
      filter.createdFrom ?? null,
      filter.createdTo ?? null,
      filter.minAmount ?? null,
      filter.maxAmount ?? null,
      filter.refunded ?? null,
    ]);
    return rows.map((row) => ({
      transactionId: parseTransactionKey(row.transaction_id).transactionId,
      transactionKey: row.transaction_id,
      customerId: row.customer_id,
      status: row.status,
      finalized: row.finalized_at !== null,
      amount: Number(row.amount),
      currency: row.currency.trim(),
      createdAt: new Date(row.created_at).toISOString(),
      finalizedAt: row.finalized_at ? new Date(row.finalized_at).toISOString() : undefined,
      position: { createdAt: row.created_at_exact, transactionKey: row.transaction_id },
    }));
  }

  /** The key of the transaction a Zuz payment belongs to (known once the transaction is finalized). */
  async transactionOfPayment(paymentId: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ transaction_id: string }>(`SELECT transaction_id FROM transactions WHERE zuz_payment_id = $1`, [
      paymentId,
    ]);
    return rows[0]?.transaction_id;
  }

  /** The transaction as the record knows it (no step journal: that lives in the workflow's history). */
  async find(key: string): Promise<Omit<TransactionView, 'steps'> | undefined> {
    return recordedView(this.db, key);
  }

  /**
   * The outcome, once the workflow has decided it. Written once: a finalized record is never rewritten.
   * The merchant's event for the outcome (`transaction.<status>`, the transaction as GET shows it
   * from the record, with the id of the request that started it) is written by the same statement:
   * both or neither (src/merchant-events/store.ts). True when this call finalized the record,
   * false when it was finalized before (a retried step): what happens once hangs on it.
   */
  async finalize(view: Omit<TransactionView, 'steps'>): Promise<boolean> {
    const key = transactionKey(view.merchantId, view.transactionId);
    const type = `transaction.${view.status}`;
    const published = Object.fromEntries(
      Object.entries(view).filter(([field]) => !(FIELDS_ONLY_IN_HISTORY as readonly string[]).includes(field)),
    );
    const { rows } = await this.db.query<{ finalized: number }>(
      `WITH updated AS (
         UPDATE transactions
            SET status = $2, authorized_amount = $3, captured_amount = $4, zuz_payment_id = $5,
                zuz_authorization_id = $6, zuz_capture_id = $7, zuz_void_id = $8,
                failure_code = $9, failure_message = $10, release_outcome = $11, finalized_at = now(), updated_at = now()
          WHERE transaction_id = $1 AND finalized_at IS NULL
         RETURNING transaction_id, merchant_id, request_id),
       event AS (
         ${INSERT_MERCHANT_EVENT}
         SELECT $12, u.merchant_id, $13, u.transaction_id, ${NEXT_SEQUENCE('u.transaction_id')}, $14::jsonb, u.request_id FROM updated u
         ON CONFLICT (id) DO NOTHING
         RETURNING 1)
       SELECT count(*)::int AS finalized FROM updated`,
      [
        key,
        view.status,
        view.authorizedAmount,
        view.capturedAmount,
        view.zuz.paymentId ?? null,
        view.zuz.authorizationId ?? null,
        view.zuz.captureId ?? null,
        view.zuz.voidId ?? null,
        view.failure?.code ?? null,
        view.failure?.message ?? null,
        view.release ?? null,
        merchantEventId(key, type, view.status),
        type,
        JSON.stringify(published),
      ],
    );
    return rows[0].finalized === 1;
  }

  /**
   * Zuz holds the authorized amount: the record says so (`authorized`, the amount, Zuz's ids) and
   * the merchant's `transaction.authorized` event (the transaction as the record shows it then,
   * with the id of the request that started it) is written in the same database transaction: both
   * or neither. Idempotent: the event's id is stable, so a retry adds nothing; a finalized record is
   * never touched (its terminal event is the last word), and the flow writes this before it finalizes.
   */
  async noteAuthorized(
    key: string,
    authorization: { authorizedAmount: number; paymentId?: string; authorizationId?: string },
  ): Promise<void> {
    await this.db.transaction(async (connection) => {
      const { rows } = await connection.query<{ merchant_id: string; request_id: string | null }>(
        `UPDATE transactions
            SET status = 'authorized', authorized_amount = $2, zuz_payment_id = coalesce($3, zuz_payment_id),
                zuz_authorization_id = coalesce($4, zuz_authorization_id), updated_at = now()
          WHERE transaction_id = $1 AND finalized_at IS NULL
         RETURNING merchant_id, request_id`,
        [key, authorization.authorizedAmount, authorization.paymentId ?? null, authorization.authorizationId ?? null],
      );
      if (!rows[0]) return;
      const type = 'transaction.authorized';
      await insertMerchantEvent(connection, {
        id: merchantEventId(key, type, 'authorized'),
        merchantId: rows[0].merchant_id,
        type,
        transactionKey: key,
        data: await recordedView(connection, key),
        requestId: rows[0].request_id ?? undefined,
      });
    });
  }

  /** The payment Zuz opened for the transaction, noted as soon as it exists (finalize writes it again). */
  async linkPayment(key: string, paymentId: string): Promise<void> {
    await this.db.query(`UPDATE transactions SET zuz_payment_id = $2 WHERE transaction_id = $1 AND zuz_payment_id IS NULL`, [
      key,
      paymentId,
    ]);
  }

  /** Whether a Zuz event was already handed to its transaction's workflow (a replay adds nothing). */
  async wasDelivered(eventId: string): Promise<boolean> {
    const { rows } = await this.db.query(`SELECT 1 FROM zuz_delivered_events WHERE event_id = $1`, [eventId]);
    return rows.length > 0;
  }

  /** Notes that the workflow has the event: written only after Temporal took the signal, so a failed hand-over is retried. */
  async markDelivered(eventId: string, key: string): Promise<void> {
    await this.db.query(`INSERT INTO zuz_delivered_events (event_id, transaction_id) VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING`, [
      eventId,
      key,
    ]);
  }

  /**
   * Keeps a Zuz event no workflow could take (its run has finished, or Temporal has forgotten it)
   * for reconciliation. Idempotent on the event id: Zuz's retries store it once.
   * Says whether it was stored now, had been already (a retry), or names a transaction the record does not know.
   */
  async storeLateEvent(key: string, event: ZuzEvent): Promise<'stored' | 'already-stored' | 'unknown-transaction'> {
    const { rows } = await this.db.query(
      `INSERT INTO zuz_late_events (event_id, transaction_id, payment_id, kind, operation_id, status, amount)
       SELECT $1, $2, $3, $4, $5, $6, $7 WHERE EXISTS (SELECT 1 FROM transactions WHERE transaction_id = $2)
       ON CONFLICT (event_id) DO NOTHING
       RETURNING event_id`,
      [event.eventId, key, event.paymentId, event.kind, event.operationId, event.status, event.amount],
    );
    if (rows.length > 0) return 'stored';
    const known = await this.db.query(`SELECT 1 FROM zuz_late_events WHERE event_id = $1`, [event.eventId]);
    return known.rows.length > 0 ? 'already-stored' : 'unknown-transaction';
  }
}

/** The transaction as the record knows it, on any connection (a database transaction's too: reconciliation-store.ts). */
export async function recordedView(db: Queryable, key: string): Promise<Omit<TransactionView, 'steps'> | undefined> {
  const { rows } = await db.query<TransactionRow>(`SELECT * FROM transactions WHERE transaction_id = $1`, [key]);
  const row = rows[0];
  if (!row) return undefined;
  const failure: Failure | undefined = row.failure_code ? { code: row.failure_code, message: row.failure_message ?? '' } : undefined;
  return {
    transactionId: parseTransactionKey(row.transaction_id).transactionId,
    merchantId: row.merchant_id,
    customerId: row.customer_id,
    status: row.status,
    amount: Number(row.amount),
    currency: row.currency.trim(),
    capture: row.capture_mode,
    authorizedAmount: Number(row.authorized_amount),
    capturedAmount: Number(row.captured_amount),
    accountId: row.account_id ?? undefined,
    zuz: definedOnly({
      paymentId: row.zuz_payment_id,
      authorizationId: row.zuz_authorization_id,
      captureId: row.zuz_capture_id,
      voidId: row.zuz_void_id,
      refundId: row.zuz_refund_id,
    }),
    failure,
    release: row.release_outcome ?? undefined,
  };
}

function definedOnly<T extends Record<string, string | null>>(values: T): { [K in keyof T]?: string } {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== null)) as { [K in keyof T]?: string };
}
