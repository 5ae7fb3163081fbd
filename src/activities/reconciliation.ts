/**
 * Activities of the daily reconciliation: check each transaction of the period against Zuz and
 * against its workflow, repair what money allows (refund a capture made after the transaction was
 * decided not to succeed, void an authorization left held), report the rest. Every repair carries
 * its own idempotency key, so a retried page never refunds or voids twice.
 */
import { Context, log } from '@temporalio/activity';
import { findDiscrepancies, type Discrepancy, type WorkflowFacts } from '../domain/reconciliation';
import type { Database } from '../infrastructure/database';
import { ReconciliationStore } from '../infrastructure/reconciliation-store';
import type { ZuzClient, ZuzPaymentState } from '../infrastructure/zuz';
import { UpstreamError } from '../infrastructure/http';

/** How the reconciliation learns whether a transaction's workflow still runs. */
export type WorkflowLookup = (transactionId: string) => Promise<WorkflowFacts>;

export interface ReconciliationPage {
  runId: string;
  periodStart: string;
  /** The last transaction id of the previous page ('' for the first). */
  after: string;
}

export interface ReconciledPage {
  checked: number;
  discrepancies: number;
  /** Where the next page starts; absent after the last page. */
  next?: string;
}

const PAGE_SIZE = 100;

export function createReconciliationActivities(db: Database, zuz: ZuzClient, workflowOf: WorkflowLookup) {
  const store = new ReconciliationStore(db);
  return {
    async openReconciliationRun(input: { runId: string; periodStart: string }): Promise<void> {
      await store.openRun(input.runId, new Date(input.periodStart));
    },

    async reconcilePage(page: ReconciliationPage): Promise<ReconciledPage> {
      const ids = await store.candidates(new Date(page.periodStart), page.after, PAGE_SIZE);
      let discrepancies = 0;
      for (const transactionId of ids) {
        Context.current().heartbeat(transactionId);
        discrepancies += await reconcileOne(store, zuz, workflowOf, page.runId, transactionId);
      }
      return { checked: ids.length, discrepancies, next: ids.length === PAGE_SIZE ? ids[ids.length - 1] : undefined };
    },

    async closeReconciliationRun(input: { runId: string; checked: number }): Promise<void> {
      await store.closeRun(input.runId, input.checked);
    },
  };
}

async function reconcileOne(
  store: ReconciliationStore,
  zuz: ZuzClient,
  workflowOf: WorkflowLookup,
  runId: string,
  transactionId: string,
): Promise<number> {
  const recorded = await store.factsOf(transactionId);
  if (!recorded) return 0;
  const workflow = await workflowOf(transactionId);
  const paymentId = recorded.paymentId ?? (await store.paymentOfLateEvents(transactionId));
  const zuzState = paymentId ? await readPaymentUnlessUnknown(zuz, paymentId) : {};
  if (!zuzState) {
    // Zuz definitely refused to show the payment (404, say): nothing to compare, and one such
    // payment must not stop the run for every other transaction. Reported; the next run tries again.
    log.warn('Reconciliation could not read the payment at Zuz; left for the next run', { runId, transactionId, paymentId });
    return 0;
  }
  const found = findDiscrepancies({ ...recorded, paymentId }, workflow, zuzState);
  for (const discrepancy of found) {
    const outcome = await repair(store, zuz, transactionId, paymentId, discrepancy);
    await store.recordDiscrepancy(runId, transactionId, discrepancy, outcome);
    log.warn('Reconciliation discrepancy', {
      runId,
      transactionId,
      kind: discrepancy.kind,
      detail: discrepancy.detail,
      repair: discrepancy.repair.action,
      outcome,
    });
    Context.current()
      .metricMeter.createCounter('pos_reconciliation_discrepancies', 'count', 'Discrepancies found by reconciliation')
      .add(1, { kind: discrepancy.kind, outcome });
  }
  if (workflow !== 'running')
    await store.markLateEventsReconciled(transactionId, found.length ? found.map((d) => d.kind).join(',') : 'agrees');
  return found.length;
}

/** The payment at Zuz, or undefined when Zuz definitely refuses to show it; an outage still fails (and retries) the page. */
async function readPaymentUnlessUnknown(zuz: ZuzClient, paymentId: string): Promise<ZuzPaymentState | undefined> {
  try {
    return await zuz.readPayment(paymentId);
  } catch (err) {
    if (err instanceof UpstreamError && !err.retryable) return undefined;
    throw err;
  }
}

/** Carries out the repair; a repair Zuz refuses is reported rather than retried for ever. */
async function repair(
  store: ReconciliationStore,
  zuz: ZuzClient,
  transactionId: string,
  paymentId: string | undefined,
  discrepancy: Discrepancy,
): Promise<string> {
  const { repair } = discrepancy;
  if (repair.action === 'report' || !paymentId) return 'reported';
  try {
    if (repair.action === 'refund') {
      const refund = await zuz.createRefund(
        paymentId,
        { amount: repair.amount, reason: 'reconciliation', reconciliationId: transactionId },
        `pos:${transactionId}:refund:reconciliation`,
      );
      await store.recordRefund(transactionId, refund);
      return refund.status === 'Failed' ? 'refund_refused' : 'refunded';
    }
    const voided = await zuz.createVoid(paymentId, `pos:${transactionId}:void:reconciliation`);
    return voided.status === 'Failed' ? 'void_refused' : 'voided';
  } catch (err) {
    // A refusal (4xx) is final for this run and reported; an outage fails the page, which Temporal retries.
    if (err instanceof UpstreamError && !err.retryable) return `repair_refused: ${err.message}`;
    throw err;
  }
}
