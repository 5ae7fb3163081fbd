/**
 * After the run, everything each transaction left behind, from every source that keeps a
 * record of it: the API's view (the workflow's query), the workflow's own result (Temporal),
 * the database row, and Zuz's ledger. The invariants compare these.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { TemporalConfig } from '../../src/shared/config';
import { connectClient } from '../../src/shared/temporal';
import { Pool } from 'pg';
import { workflowIdFor, type TransactionView } from '../../src/transaction/model';
import type { LedgerEntry, ZuzSimulator } from '../../sandbox/simulators/zuz';
import type { ApiClient } from './api-client';
import { mapWithConcurrency } from './concurrency';
import type { TransactionRun } from './driver';
import type { TransactionEvidence } from '../invariants/types';

export type { DatabaseRow } from '../invariants/types';

/** The shared invariants' evidence (tools/invariants/types.ts), with the chaos driver's own record of the run. */
export interface Evidence extends Omit<TransactionEvidence, 'run'> {
  run: TransactionRun;
}

export interface EvidenceSources {
  api: ApiClient;
  /** The stack's Temporal, with the service's payload keys: results and failures are read decrypted, as the API reads them. */
  temporal: TemporalConfig;
  databaseUrl: string;
  zuz: ZuzSimulator;
  /** Reads stop retrying at this time (the global timeout may leave little). */
  giveUpAt: number;
}

export async function collectEvidence(runs: readonly TransactionRun[], sources: EvidenceSources): Promise<Evidence[]> {
  const client = await connectClient(sources.temporal, [], { connectTimeout: 10_000 });
  const connection = client.connection;
  const pool = new Pool({ connectionString: sources.databaseUrl, max: 4 });
  pool.on('error', () => undefined);
  try {
    return await mapWithConcurrency(runs, 8, async (run) => {
      const evidence: Evidence = { run, paymentIds: [], ledger: [] };
      const id = run.plan.transactionId;
      if (run.startedAt === undefined) return evidence; // never started (the run was stopped first)
      await Promise.all([readApi(evidence, sources), readWorkflow(evidence, client), readRow(evidence, pool)]);
      readLedger(evidence, sources.zuz, id);
      return evidence;
    });
  } finally {
    await pool.end().catch(() => undefined);
    await connection.close().catch(() => undefined);
  }
}

async function readApi(evidence: Evidence, sources: EvidenceSources): Promise<void> {
  try {
    const answer = await sources.api.call<TransactionView>('GET', `/v1/transactions/${evidence.run.plan.transactionId}`, undefined, {
      giveUpAt: sources.giveUpAt,
    });
    if (answer.status === 200) evidence.apiView = answer.body;
    else evidence.apiError = `HTTP ${answer.status}: ${JSON.stringify(answer.body)}`;
  } catch (err) {
    evidence.apiError = (err as Error).message;
  }
}

async function readWorkflow(evidence: Evidence, client: Client): Promise<void> {
  try {
    const handle = client.workflow.getHandle(workflowIdFor(evidence.run.plan.transactionId));
    const description = await handle.describe();
    evidence.workflowStatus = description.status.name;
    evidence.workflowRunId = description.runId;
    if (description.status.name === 'COMPLETED') evidence.workflowResult = (await handle.result()) as TransactionView;
  } catch (err) {
    if (evidence.run.forgotten && err instanceof WorkflowNotFoundError) {
      // Deleted on purpose: what it answered before stands in for its result (and no new run may exist).
      evidence.workflowStatus = 'FORGOTTEN';
      evidence.workflowResult = evidence.run.forgotten.view;
      return;
    }
    evidence.workflowError = (err as Error).message;
  }
}

async function readRow(evidence: Evidence, pool: Pool): Promise<void> {
  try {
    const { rows } = await pool.query<{
      status: string;
      captured_amount: string;
      authorized_amount: string;
      refunded_amount: string;
      zuz_payment_id: string | null;
      failure_code: string | null;
    }>(
      'SELECT status, captured_amount, authorized_amount, refunded_amount, zuz_payment_id, failure_code FROM transactions WHERE transaction_id = $1',
      [evidence.run.plan.transactionId],
    );
    const row = rows[0];
    if (row) {
      evidence.row = {
        status: row.status,
        capturedAmount: Number(row.captured_amount),
        authorizedAmount: Number(row.authorized_amount),
        zuzPaymentId: row.zuz_payment_id,
        failureCode: row.failure_code,
        refundedAmount: Number(row.refunded_amount),
      };
    }
    const refunds = await pool.query<{ refund_id: string; amount: string; status: string }>(
      'SELECT refund_id, amount, status FROM refunds WHERE transaction_id = $1 ORDER BY created_at, refund_id',
      [evidence.run.plan.transactionId],
    );
    evidence.refunds = refunds.rows.map((r) => ({ refundId: r.refund_id, amount: Number(r.amount), status: r.status }));
  } catch (err) {
    evidence.databaseError = (err as Error).message;
  }
}

/**
 * Authorizations and captures carry the transaction id as reconciliation id; a void does not,
 * so the payments found (there, in the workflow and in the row) are looked up by id too.
 */
function readLedger(evidence: Evidence, zuz: ZuzSimulator, transactionId: string): void {
  const byReconciliation = zuz.ledger.entries({ reconciliationId: transactionId });
  const paymentIds = new Set(byReconciliation.map((entry) => entry.paymentId));
  for (const known of [
    evidence.apiView?.zuz.paymentId,
    evidence.workflowResult?.zuz.paymentId,
    evidence.row?.zuzPaymentId,
    evidence.run.lastView?.zuz.paymentId,
  ]) {
    if (known) paymentIds.add(known);
  }
  evidence.paymentIds = [...paymentIds];
  const entries = new Map<string, LedgerEntry>();
  for (const entry of byReconciliation) entries.set(entry.operationId, entry);
  for (const paymentId of paymentIds) for (const entry of zuz.ledger.entries({ paymentId })) entries.set(entry.operationId, entry);
  evidence.ledger = [...entries.values()];
}
