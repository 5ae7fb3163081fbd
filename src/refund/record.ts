/**
 * The refunds of each transaction, in the database. Reserving a refund and checking that it fits
 * in what is left happen in one database transaction holding the transaction's row, so refunds
 * racing for the last amount are decided one after the other: never more than was captured.
 */
import type { Database } from '../shared/database';
import { refundKey, type RefundOutcome, type RefundRequest, type RefundStatus, type RefundView } from './model';
import { parseTransactionKey } from '../merchants/model';
import { INSERT_MERCHANT_EVENT, ISO_UTC, merchantEventId, NEXT_SEQUENCE } from '../merchant-events/store';

export type Reservation =
  | { kind: 'reserved'; refund: RefundView }
  /** The same refund id with the same request: the first one, as it stands; `askedZuz`: whether it may have reached Zuz. */
  | { kind: 'repeat'; refund: RefundView; askedZuz: boolean }
  | { kind: 'conflict' }
  | { kind: 'not_refundable'; status: string }
  | { kind: 'exceeds'; refundable: number };

interface RefundRow {
  refund_id: string;
  request_fingerprint: string;
  amount: string | number;
  reason: string;
  status: RefundStatus;
  zuz_refund_id: string | null;
  failure_message: string | null;
  created_at: Date | string;
  finalized_at: Date | string | null;
  asked_zuz_at: Date | string | null;
}

/** A refund still pending in the record, as the reconciliation follows it. */
export interface PendingRefund {
  refundId: string;
  amount: number;
  /** Whether the refund may have reached Zuz (it is then never asked again, only read). */
  askedZuz: boolean;
  ageMs: number;
}

export class RefundRecords {
  constructor(private readonly db: Database) {}

  /**
   * Reserves the refund's amount on a succeeded transaction, if it fits. Failed refunds give their
   * amount back; pending and succeeded ones hold it. `requestId`: the API request that asked for the
   * refund, which its event carries.
   */
  async reserve(transactionKey: string, request: RefundRequest, fingerprint: string, requestId?: string): Promise<Reservation> {
    return this.db.transaction(async (connection): Promise<Reservation> => {
      const { rows } = await connection.query<{ status: string; captured_amount: string; refunded_amount: string }>(
        `SELECT status, captured_amount, refunded_amount FROM transactions WHERE transaction_id = $1 FOR UPDATE`,
        [transactionKey],
      );
      const transaction = rows[0];
      if (!transaction) throw new Error(`Transaction ${transactionKey} is not recorded`);
      const existing = await connection.query<RefundRow>(`SELECT * FROM refunds WHERE transaction_id = $1 AND refund_id = $2`, [
        transactionKey,
        request.refundId,
      ]);
      if (existing.rows[0]) {
        return existing.rows[0].request_fingerprint === fingerprint
          ? { kind: 'repeat', refund: toView(existing.rows[0]), askedZuz: existing.rows[0].asked_zuz_at !== null }
          : { kind: 'conflict' };
      }
      if (transaction.status !== 'succeeded') return { kind: 'not_refundable', status: transaction.status };
      const held = await connection.query<{ held: string }>(
        `SELECT coalesce(sum(amount), 0) AS held FROM refunds WHERE transaction_id = $1 AND status <> 'failed'`,
        [transactionKey],
      );
      // Money reconciliation already gave back (a late capture refunded) is not refundable again.
      const refundable = Number(transaction.captured_amount) - Number(transaction.refunded_amount) - Number(held.rows[0]?.held ?? 0);
      const amount = request.amount ?? refundable;
      if (amount <= 0 || amount > refundable) return { kind: 'exceeds', refundable: Math.max(0, refundable) };
      const inserted = await connection.query<RefundRow>(
        `INSERT INTO refunds (transaction_id, refund_id, request_fingerprint, amount, reason, status, request_id)
             VALUES ($1, $2, $3, $4, $5, 'pending', $6) RETURNING *`,
        [transactionKey, request.refundId, fingerprint, amount, request.reason, requestId ?? null],
      );
      return { kind: 'reserved', refund: toView(inserted.rows[0]) };
    });
  }

  /** Every refund of the transaction, oldest first. */
  async of(transactionKey: string): Promise<RefundView[]> {
    const { rows } = await this.db.query<RefundRow>(`SELECT * FROM refunds WHERE transaction_id = $1 ORDER BY created_at, refund_id`, [
      transactionKey,
    ]);
    return rows.map(toView);
  }

  /**
   * Notes that the refund is about to be asked of Zuz, before the request leaves: from then on a
   * repeat of it is answered from the record and never starts a refund again, even once Temporal
   * and Zuz have both forgotten it.
   */
  async markAsked(transactionKey: string, refundId: string): Promise<void> {
    await this.db.query(`UPDATE refunds SET asked_zuz_at = coalesce(asked_zuz_at, now()) WHERE transaction_id = $1 AND refund_id = $2`, [
      transactionKey,
      refundId,
    ]);
  }

  /** The transaction's refunds still pending, for the reconciliation to follow. */
  async pendingOf(transactionKey: string): Promise<PendingRefund[]> {
    const { rows } = await this.db.query<{ refund_id: string; amount: string; asked: boolean; age_ms: string }>(
      `SELECT refund_id, amount, asked_zuz_at IS NOT NULL AS asked, (extract(epoch FROM now() - created_at) * 1000)::bigint AS age_ms
         FROM refunds WHERE transaction_id = $1 AND status = 'pending' ORDER BY created_at, refund_id`,
      [transactionKey],
    );
    return rows.map((row) => ({ refundId: row.refund_id, amount: Number(row.amount), askedZuz: row.asked, ageMs: Number(row.age_ms) }));
  }

  /**
   * The refund's outcome, written once: a final refund is never rewritten. A final outcome writes
   * the merchant's event (`refund.succeeded`, `refund.failed`: the refund as GET shows it, with its
   * transaction's id, and the id of the request that asked for it) in the same statement: both or
   * neither (src/merchant-events/store.ts).
   */
  async finalize(transactionKey: string, refundId: string, outcome: RefundOutcome): Promise<void> {
    const type = `refund.${outcome.status}`;
    await this.db.query(
      `WITH updated AS (
         UPDATE refunds SET status = $3, zuz_refund_id = $4, failure_message = $5,
                finalized_at = CASE WHEN $3 = 'pending' THEN NULL ELSE now() END
          WHERE transaction_id = $1 AND refund_id = $2 AND status = 'pending'
         RETURNING *)
       ${INSERT_MERCHANT_EVENT}
       SELECT $6, t.merchant_id, $7, u.transaction_id, ${NEXT_SEQUENCE('u.transaction_id')},
              jsonb_strip_nulls(jsonb_build_object(
                'transactionId', $8::text, 'refundId', u.refund_id, 'amount', u.amount, 'reason', u.reason, 'status', u.status,
                'zuzRefundId', u.zuz_refund_id, 'failureMessage', nullif(u.failure_message, ''),
                'createdAt', ${ISO_UTC('u.created_at')}, 'finalizedAt', ${ISO_UTC('u.finalized_at')})),
              u.request_id
         FROM updated u JOIN transactions t ON t.transaction_id = u.transaction_id
        WHERE u.status <> 'pending'
       ON CONFLICT (id) DO NOTHING`,
      [
        transactionKey,
        refundId,
        outcome.status,
        outcome.zuz?.operationId ?? null,
        outcome.status === 'failed' ? outcome.message : null,
        merchantEventId(refundKey(transactionKey, refundId), type, outcome.status),
        type,
        parseTransactionKey(transactionKey).transactionId,
      ],
    );
  }
}

function toView(row: RefundRow): RefundView {
  return {
    refundId: row.refund_id,
    amount: Number(row.amount),
    reason: row.reason,
    status: row.status,
    ...(row.zuz_refund_id ? { zuzRefundId: row.zuz_refund_id } : {}),
    ...(row.failure_message ? { failureMessage: row.failure_message } : {}),
    createdAt: new Date(row.created_at).toISOString(),
    ...(row.finalized_at ? { finalizedAt: new Date(row.finalized_at).toISOString() } : {}),
  };
}

/** The amount refunded: succeeded refunds only. */
export function refundedAmount(refunds: RefundView[]): number {
  return refunds.filter((r) => r.status === 'succeeded').reduce((sum, r) => sum + r.amount, 0);
}
