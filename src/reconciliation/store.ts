/**
 * The reconciliation's tables: each run, the transactions it checked (page by page, in id order),
 * the discrepancies it found and what was done about each, and the repairs' facts written into
 * the transaction record (a refund next to the published status, never instead of it).
 */
import type { Database } from '../shared/database';
import { parseTransactionKey } from '../merchants/model';
import { insertMerchantEvent, merchantEventId } from '../merchant-events/store';
import { recordedView } from '../transaction/record';
import type { Discrepancy, RecordedFacts } from './model';
import type { TransactionStatus, ZuzOperationResult } from '../transaction/model';

export interface ReconciliationRunReport {
  runId: string;
  startedAt: string;
  finishedAt?: string;
  periodStart: string;
  /** Operators only: how many transactions the run checked, across merchants. */
  checked?: number;
  discrepancies: Array<{
    merchantId?: string;
    transactionId: string;
    kind: string;
    detail: string;
    repair: string;
    outcome: string;
    foundAt: string;
  }>;
}

/** A finding an operator may act on (src/reconciliation/operator-routes.ts). */
export interface OpenFinding {
  merchantId: string;
  transactionId: string;
  kind: string;
  subject?: string;
  detail: string;
  outcome: string;
  foundAt: string;
  runId: string;
}

/** Outcomes after which nothing is left to do: the repair went through, or the refund's fate is recorded. */
const SETTLED_OUTCOMES = ['refunded', 'voided', 'refund_succeeded', 'refund_failed', 'released'];

export class ReconciliationStore {
  constructor(private readonly db: Database) {}

  /** Opens a run (a retry of the same run finds it open already). */
  async openRun(runId: string, periodStart: Date): Promise<void> {
    await this.db.query(`INSERT INTO reconciliation_runs (run_id, period_start) VALUES ($1, $2) ON CONFLICT (run_id) DO NOTHING`, [
      runId,
      periodStart.toISOString(),
    ]);
  }

  /**
   * The next page of transactions to check, in id order after `after`: every one that changed
   * since the period's start (`updated_at`: accepted, finalized days later, or refunded by a run),
   * any never finalized, any with late events not yet reconciled or a refund still pending, and
   * any a run left open.
   */
  async candidates(periodStart: Date, after: string, limit: number): Promise<string[]> {
    const { rows } = await this.db.query<{ transaction_id: string }>(
      `SELECT transaction_id FROM (
         SELECT transaction_id FROM transactions WHERE updated_at >= $1 OR finalized_at IS NULL OR reconcile_again
         UNION
         SELECT transaction_id FROM zuz_late_events WHERE reconciled_at IS NULL
         UNION
         SELECT transaction_id FROM refunds WHERE status = 'pending'
       ) candidates
       WHERE transaction_id > $2 ORDER BY transaction_id LIMIT $3`,
      [periodStart.toISOString(), after, limit],
    );
    return rows.map((row) => row.transaction_id);
  }

  /** Whether the next run looks at the transaction again, whatever its age (something is still open). */
  async reconcileAgain(transactionId: string, again: boolean): Promise<void> {
    await this.db.query(`UPDATE transactions SET reconcile_again = $2 WHERE transaction_id = $1 AND reconcile_again <> $2`, [
      transactionId,
      again,
    ]);
  }

  /**
   * What Zuz has refunded of the reconciliation's own refunds: the record's figure only grows. What
   * it grew by (a refund that was pending and has settled) is told to the merchant in the same
   * database transaction, as `recordRefund` tells of one that succeeded at once.
   */
  async noteRefunded(transactionId: string, refunded: number): Promise<void> {
    await this.db.transaction(async (connection) => {
      const before = await connection.query<{ refunded_amount: string }>(
        `SELECT refunded_amount FROM transactions WHERE transaction_id = $1 FOR UPDATE`,
        [transactionId],
      );
      const previous = Number(before.rows[0]?.refunded_amount ?? refunded);
      if (refunded <= previous) return;
      const { rows } = await connection.query<{ merchant_id: string }>(
        `UPDATE transactions SET refunded_amount = $2, updated_at = now() WHERE transaction_id = $1 RETURNING merchant_id`,
        [transactionId, refunded],
      );
      const type = 'transaction.refunded_by_reconciliation';
      await insertMerchantEvent(connection, {
        id: merchantEventId(`${transactionId}#settled#${refunded}`, type, 'Succeed'),
        merchantId: rows[0].merchant_id,
        type,
        transactionKey: transactionId,
        data: { ...(await recordedView(connection, transactionId)), reconciliationRefund: { amount: refunded - previous } },
      });
    });
  }

  async factsOf(transactionId: string): Promise<RecordedFacts | undefined> {
    const { rows } = await this.db.query<{
      status: TransactionStatus;
      finalized: boolean;
      captured_amount: string;
      refunded_amount: string;
      zuz_payment_id: string | null;
      age_ms: string;
      reconcile_again: boolean;
      release_untold: boolean;
    }>(
      `SELECT status, finalized_at IS NOT NULL AS finalized, captured_amount, refunded_amount, zuz_payment_id, reconcile_again,
              (extract(epoch FROM now() - created_at) * 1000)::bigint AS age_ms,
              reconciliation_void_asked_at IS NOT NULL AND reconciliation_void_id IS NULL AS release_untold
         FROM transactions WHERE transaction_id = $1`,
      [transactionId],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      transactionId,
      status: row.status,
      finalized: row.finalized,
      capturedAmount: Number(row.captured_amount),
      refundedAmount: Number(row.refunded_amount),
      paymentId: row.zuz_payment_id ?? undefined,
      ageMs: Number(row.age_ms),
      reconcileAgain: row.reconcile_again,
      ...(row.release_untold && { releaseUntold: true }),
    };
  }

  /** Late events can name a payment the record has not linked yet (an outcome never recorded). */
  async paymentOfLateEvents(transactionId: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ payment_id: string }>(
      `SELECT payment_id FROM zuz_late_events WHERE transaction_id = $1 LIMIT 1`,
      [transactionId],
    );
    return rows[0]?.payment_id;
  }

  async recordDiscrepancy(runId: string, transactionId: string, discrepancy: Discrepancy, outcome: string): Promise<void> {
    await this.db.query(
      `INSERT INTO reconciliation_discrepancies (run_id, transaction_id, kind, subject, detail, repair, outcome) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (run_id, transaction_id, kind, subject) DO UPDATE SET outcome = EXCLUDED.outcome`,
      [runId, transactionId, discrepancy.kind, discrepancy.subject ?? '', discrepancy.detail, discrepancy.repair.action, outcome],
    );
  }

  /**
   * The refund as a second fact on the record: the published status stays. A refund adds to what earlier ones gave back.
   * A succeeded one writes the merchant's event (`transaction.refunded_by_reconciliation`, the
   * transaction as the record shows it then) in the same database transaction: both or neither.
   */
  async recordRefund(transactionId: string, refund: ZuzOperationResult): Promise<void> {
    await this.db.transaction(async (connection) => {
      const { rows } = await connection.query<{ merchant_id: string }>(
        `UPDATE transactions SET zuz_refund_id = $2, refunded_amount = CASE WHEN $3 = 'Succeed' THEN refunded_amount + $4 ELSE refunded_amount END, updated_at = now()
          WHERE transaction_id = $1 RETURNING merchant_id`,
        [transactionId, refund.operationId, refund.status, refund.amount],
      );
      if (!rows[0] || refund.status !== 'Succeed') return;
      const type = 'transaction.refunded_by_reconciliation';
      await insertMerchantEvent(connection, {
        id: merchantEventId(`${transactionId}#${refund.operationId}`, type, refund.status),
        merchantId: rows[0].merchant_id,
        type,
        transactionKey: transactionId,
        // What this refund gave back, beside the transaction as the record shows it (the settlement report sums these).
        data: {
          ...(await recordedView(connection, transactionId)),
          reconciliationRefund: { operationId: refund.operationId, amount: refund.amount },
        },
      });
    });
  }

  /**
   * Notes, before the void leaves, that the reconciliation asks Zuz to release the transaction's
   * hold: should its answer be lost (or pending), a later look that finds the hold released still
   * tells the merchant (`noteReleased`).
   */
  async markReleaseAsked(transactionId: string): Promise<void> {
    await this.db.query(
      `UPDATE transactions SET reconciliation_void_asked_at = coalesce(reconciliation_void_asked_at, now()) WHERE transaction_id = $1`,
      [transactionId],
    );
  }

  /**
   * The hold the reconciliation asked to release is released (Zuz shows the void succeeded): the
   * void as a fact on the record (the published status stays) and the merchant's event
   * (`authorization.released`, the transaction as the record shows it then, with the void) in the
   * same database transaction: both or neither. Once: a repeat finds the void noted and writes nothing.
   */
  async noteReleased(transactionId: string, voided: ZuzOperationResult): Promise<void> {
    await this.db.transaction(async (connection) => {
      const { rows } = await connection.query<{ merchant_id: string }>(
        `UPDATE transactions SET reconciliation_void_id = $2, updated_at = now()
          WHERE transaction_id = $1 AND reconciliation_void_id IS NULL RETURNING merchant_id`,
        [transactionId, voided.operationId],
      );
      if (!rows[0]) return;
      const type = 'authorization.released';
      await insertMerchantEvent(connection, {
        id: merchantEventId(`${transactionId}#release`, type, voided.status),
        merchantId: rows[0].merchant_id,
        type,
        transactionKey: transactionId,
        // What released the hold, beside the transaction as the record shows it (its status stays as published).
        data: {
          ...(await recordedView(connection, transactionId)),
          reconciliationRelease: { operationId: voided.operationId, amount: voided.amount },
        },
      });
    });
  }

  /**
   * The findings still open, across merchants, newest first: the latest finding of each kind on a
   * transaction the runs still follow (`reconcile_again`), whose repair has not settled it and that
   * no operator has resolved.
   */
  async openFindings(limit: number): Promise<OpenFinding[]> {
    const { rows } = await this.db.query<{
      transaction_id: string;
      kind: string;
      subject: string;
      detail: string;
      outcome: string;
      found_at: Date;
      run_id: string;
    }>(
      `SELECT * FROM (
         SELECT DISTINCT ON (d.transaction_id, d.kind, d.subject) d.*
           FROM reconciliation_discrepancies d JOIN transactions t USING (transaction_id)
          WHERE t.reconcile_again
          ORDER BY d.transaction_id, d.kind, d.subject, d.found_at DESC
       ) latest
       WHERE outcome <> ALL($1)
         AND NOT EXISTS (SELECT 1 FROM discrepancy_resolutions r
                          WHERE r.transaction_id = latest.transaction_id AND r.kind = latest.kind AND r.subject = latest.subject)
       ORDER BY found_at DESC LIMIT $2`,
      [SETTLED_OUTCOMES, limit],
    );
    return rows.map((row) => ({
      ...parseTransactionKey(row.transaction_id),
      kind: row.kind,
      ...(row.subject && { subject: row.subject }),
      detail: row.detail,
      outcome: row.outcome,
      foundAt: new Date(row.found_at).toISOString(),
      runId: row.run_id,
    }));
  }

  /** An operator settles a finding by hand; a second resolution keeps the first. Says whether the finding was known. */
  async resolve(transactionId: string, kind: string, subject: string, resolvedBy: string, reason: string): Promise<boolean> {
    const known = await this.db.query(
      `SELECT 1 FROM reconciliation_discrepancies WHERE transaction_id = $1 AND kind = $2 AND subject = $3 LIMIT 1`,
      [transactionId, kind, subject],
    );
    if (known.rows.length === 0) return false;
    await this.db.query(
      `INSERT INTO discrepancy_resolutions (transaction_id, kind, subject, resolved_by, reason) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (transaction_id, kind, subject) DO NOTHING`,
      [transactionId, kind, subject, resolvedBy, reason],
    );
    return true;
  }

  /** The findings of the transaction operators have resolved, as `kind/subject`: the runs neither repair nor report them again. */
  async resolvedOf(transactionId: string): Promise<Set<string>> {
    const { rows } = await this.db.query<{ kind: string; subject: string }>(
      `SELECT kind, subject FROM discrepancy_resolutions WHERE transaction_id = $1`,
      [transactionId],
    );
    return new Set(rows.map((row) => `${row.kind}/${row.subject}`));
  }

  async markLateEventsReconciled(transactionId: string, note: string): Promise<void> {
    await this.db.query(
      `UPDATE zuz_late_events SET reconciled_at = now(), reconciliation = $2 WHERE transaction_id = $1 AND reconciled_at IS NULL`,
      [transactionId, note],
    );
  }

  async closeRun(runId: string, checked: number): Promise<void> {
    await this.db.query(`UPDATE reconciliation_runs SET finished_at = now(), checked = $2 WHERE run_id = $1`, [runId, checked]);
  }

  /**
   * The latest runs, newest first, with what each found: for one merchant, only its own
   * transactions' findings, named by its own ids (and no run-wide count, which would tell of
   * other merchants' volume); for operators (`every-merchant`), every finding with its merchant.
   */
  async latestRuns(limit: number, scope: { merchantId: string } | 'every-merchant'): Promise<ReconciliationRunReport[]> {
    const runs = await this.db.query<{ run_id: string; started_at: Date; finished_at: Date | null; period_start: Date; checked: number }>(
      `SELECT * FROM reconciliation_runs ORDER BY started_at DESC LIMIT $1`,
      [limit],
    );
    const ids = runs.rows.map((run) => run.run_id);
    const found = ids.length
      ? await this.db.query<{
          run_id: string;
          transaction_id: string;
          merchant_id: string | null;
          kind: string;
          detail: string;
          repair: string;
          outcome: string;
          found_at: Date;
        }>(
          `SELECT d.*, t.merchant_id FROM reconciliation_discrepancies d LEFT JOIN transactions t USING (transaction_id)
            WHERE d.run_id = ANY($1) AND ($2::text IS NULL OR t.merchant_id = $2) ORDER BY d.found_at`,
          [ids, scope === 'every-merchant' ? null : scope.merchantId],
        )
      : { rows: [] };
    return runs.rows.map((run) => ({
      runId: run.run_id,
      startedAt: new Date(run.started_at).toISOString(),
      finishedAt: run.finished_at ? new Date(run.finished_at).toISOString() : undefined,
      periodStart: new Date(run.period_start).toISOString(),
      ...(scope === 'every-merchant' ? { checked: Number(run.checked) } : {}),
      discrepancies: found.rows
        .filter((d) => d.run_id === run.run_id)
        .map((d) => ({
          ...(scope === 'every-merchant' ? { merchantId: parseTransactionKey(d.transaction_id).merchantId } : {}),
          transactionId: scope === 'every-merchant' ? d.transaction_id : parseTransactionKey(d.transaction_id).transactionId,
          kind: d.kind,
          detail: d.detail,
          repair: d.repair,
          outcome: d.outcome,
          foundAt: new Date(d.found_at).toISOString(),
        })),
    }));
  }
}
