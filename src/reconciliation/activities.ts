/**
 * Activities of the daily reconciliation: check each transaction of the period against Zuz and
 * against its workflow, repair what money allows (refund a capture made after the transaction was
 * decided not to succeed, void an authorization left held), report the rest. Every repair carries
 * its own idempotency key, so a retried page never refunds or voids twice.
 */
import { Context, log } from '@temporalio/activity';
import { findDiscrepancies, LOST_AFTER_MS, reconciliationRefunds, type Discrepancy, type RecordedFacts, type WorkflowFacts } from './model';
import { refundKey, refundWorkflowIdFor, type RefundOutcome } from '../refund/model';
import { workflowIdFor } from '../transaction/model';
import { RefundRecords } from '../refund/record';
import type { Database } from '../shared/database';
import { ReconciliationStore } from './store';
import type { ZuzClient, ZuzPaymentState } from '../zuz';
import { UpstreamError } from '../shared/http';

/** How the reconciliation learns whether a workflow (a transaction's, or a refund's) still runs, by its workflow id. */
export type WorkflowLookup = (workflowId: string) => Promise<WorkflowFacts>;

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

/** What reconciling one transaction needs: the record, Zuz, the workflows, and where to report what it found. */
export interface Reconciler {
  store: ReconciliationStore;
  refunds: RefundRecords;
  zuz: ZuzClient;
  workflowOf: WorkflowLookup;
  /** Each discrepancy found and what was done about it (the activity logs it and counts it). */
  report(found: { runId: string; transactionId: string; discrepancy: Discrepancy; outcome: string }): void;
  /** A payment Zuz refused to show: nothing compared, left for the next run. */
  unreadable(skipped: { runId: string; transactionId: string; paymentId: string }): void;
}

export function createReconciliationActivities(db: Database, zuz: ZuzClient, workflowOf: WorkflowLookup) {
  const reconciler: Reconciler = {
    store: new ReconciliationStore(db),
    refunds: new RefundRecords(db),
    zuz,
    workflowOf,
    report: ({ runId, transactionId, discrepancy, outcome }) => {
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
    },
    unreadable: (skipped) => {
      log.warn('Reconciliation could not read the payment at Zuz; left for the next run', skipped);
    },
  };
  const { store } = reconciler;
  return {
    async openReconciliationRun(input: { runId: string; periodStart: string }): Promise<void> {
      await store.openRun(input.runId, new Date(input.periodStart));
    },

    async reconcilePage(page: ReconciliationPage): Promise<ReconciledPage> {
      const ids = await store.candidates(new Date(page.periodStart), page.after, PAGE_SIZE);
      let discrepancies = 0;
      for (const transactionId of ids) {
        Context.current().heartbeat(transactionId);
        discrepancies += await reconcileTransaction(reconciler, page.runId, transactionId);
      }
      return { checked: ids.length, discrepancies, next: ids.length === PAGE_SIZE ? ids[ids.length - 1] : undefined };
    },

    async closeReconciliationRun(input: { runId: string; checked: number }): Promise<void> {
      await store.closeRun(input.runId, input.checked);
    },
  };
}

/**
 * One transaction of a run: its record, its workflow and Zuz compared, repairs made, findings
 * recorded and reported; returns how many it found. Outside Temporal's activity context too (the
 * simulation runs the daily reconciliation with it).
 */
export async function reconcileTransaction(reconciler: Reconciler, runId: string, transactionId: string): Promise<number> {
  const { store, refunds, zuz, workflowOf } = reconciler;
  const recorded = await store.factsOf(transactionId);
  if (!recorded) return 0;
  const workflow = await workflowOf(workflowIdFor(transactionId));
  const paymentId = recorded.paymentId ?? (await store.paymentOfLateEvents(transactionId));
  const zuzState = paymentId ? await readPaymentUnlessUnknown(zuz, paymentId) : {};
  if (!zuzState) {
    // Zuz definitely refused to show the payment (404, say): nothing to compare, and one such
    // payment must not stop the run for every other transaction. Left for the next run.
    reconciler.unreadable({ runId, transactionId, paymentId: paymentId! });
    if (!recorded.reconcileAgain) await store.reconcileAgain(transactionId, true);
    return 0;
  }
  const facts = { ...recorded, paymentId };
  // A finding an operator resolved by hand is neither repaired nor reported again.
  const resolved = await store.resolvedOf(transactionId);
  const open = (discrepancy: Discrepancy) => !resolved.has(`${discrepancy.kind}/${discrepancy.subject ?? ''}`);
  const found: Array<{ discrepancy: Discrepancy; outcome: string }> = [];
  for (const discrepancy of findDiscrepancies(facts, workflow, zuzState).filter(open)) {
    found.push({ discrepancy, outcome: await repair(store, zuz, facts, zuzState, discrepancy) });
  }
  found.push(...(await followPendingRefunds(refunds, workflowOf, transactionId, zuzState)).filter((f) => open(f.discrepancy)));
  for (const { discrepancy, outcome } of found) {
    await store.recordDiscrepancy(runId, transactionId, discrepancy, outcome);
    reconciler.report({ runId, transactionId, discrepancy, outcome });
  }
  // What Zuz says it has refunded is the record's figure from now on (a refund that settled since).
  // Written only when it changed: most candidates agree, and the daily run should not rewrite every row it reads.
  const refunded = reconciliationRefunds(facts, zuzState).refunded;
  if (refunded > facts.refundedAmount) await store.noteRefunded(transactionId, refunded);
  // A hold this reconciliation asked to release, found released (its void was pending, or its answer lost), is told to the merchant.
  if (facts.releaseUntold && zuzState.void?.status === 'Succeed') await store.noteReleased(transactionId, zuzState.void);
  // Anything found is looked at again next run, until a run finds nothing: a pending refund or release is followed to its end.
  if (found.length > 0 !== Boolean(recorded.reconcileAgain)) await store.reconcileAgain(transactionId, found.length > 0);
  if (workflow !== 'running')
    await store.markLateEventsReconciled(transactionId, found.length ? found.map((d) => d.discrepancy.kind).join(',') : 'agrees');
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

/**
 * Carries out the repair; a repair Zuz refuses is reported rather than retried for ever. Its
 * outcome says where the money stands: a refund or void Zuz has not settled yet is `*_pending`,
 * and the transaction is checked again next run until it is settled.
 */
async function repair(
  store: ReconciliationStore,
  zuz: ZuzClient,
  facts: RecordedFacts,
  zuzState: ZuzPaymentState,
  discrepancy: Discrepancy,
): Promise<string> {
  const { repair } = discrepancy;
  const { transactionId, paymentId } = facts;
  if (repair.action === 'report' || !paymentId) return 'reported';
  try {
    if (repair.action === 'refund') {
      // Each refund Zuz failed is asked again under a new key; the same key otherwise, so a retried
      // page (or a read lagging behind the refund) meets Zuz's answer to the first request.
      const failed = reconciliationRefunds(facts, zuzState).failed;
      const refund = await zuz.createRefund(
        paymentId,
        { amount: repair.amount, reason: 'reconciliation', reconciliationId: transactionId },
        `pos:${transactionId}:refund:reconciliation${failed ? `:${failed + 1}` : ''}`,
      );
      await store.recordRefund(transactionId, refund);
      return { Succeed: 'refunded', Pending: 'refund_pending', Failed: 'refund_refused' }[refund.status];
    }
    // A void Zuz failed is asked again under a new key (the first one's key answers its failure for a day).
    const round = zuzState.void?.status === 'Failed' ? ':2' : '';
    // Noted before it leaves, so a release whose answer is lost (or pending) is still told once a later look finds it through.
    await store.markReleaseAsked(transactionId);
    const voided = await zuz.createVoid(paymentId, `pos:${transactionId}:void:reconciliation${round}`);
    // The hold is released: the merchant is told (authorization.released), once, as a reconciliation refund is.
    if (voided.status === 'Succeed') await store.noteReleased(transactionId, voided);
    return { Succeed: 'voided', Pending: 'release_pending', Failed: 'release_failed' }[voided.status];
  } catch (err) {
    // A refusal (4xx) is final for this run and reported; an outage fails the page, which Temporal retries.
    if (err instanceof UpstreamError && !err.retryable) return `repair_refused: ${err.message}`;
    throw err;
  }
}

/**
 * A merchant's refund still pending in the record with no workflow following it (it reached its
 * deadline, or its workflow never started) is settled from what Zuz shows of it, found by the
 * reconciliation id it was asked with, and never asked of Zuz again. One that never reached Zuz
 * gives its amount back once it is clearly abandoned.
 */
async function followPendingRefunds(
  refunds: RefundRecords,
  workflowOf: WorkflowLookup,
  transactionId: string,
  zuzState: ZuzPaymentState,
): Promise<Array<{ discrepancy: Discrepancy; outcome: string }>> {
  const followed: Array<{ discrepancy: Discrepancy; outcome: string }> = [];
  for (const pending of await refunds.pendingOf(transactionId)) {
    const key = refundKey(transactionId, pending.refundId);
    if ((await workflowOf(refundWorkflowIdFor(key))) === 'running') continue;
    const atZuz = zuzState.refunds?.find((r) => r.reconciliationId === key);
    const discrepancy = (detail: string): Discrepancy => ({
      kind: 'refund_unsettled',
      subject: pending.refundId,
      detail,
      repair: { action: 'report' },
    });
    if (atZuz && atZuz.status !== 'Pending') {
      const outcome: RefundOutcome =
        atZuz.status === 'Succeed'
          ? { status: 'succeeded', zuz: atZuz }
          : { status: 'failed', message: atZuz.description ?? 'Zuz declined the refund', zuz: atZuz };
      await refunds.finalize(transactionId, pending.refundId, outcome);
      followed.push({
        discrepancy: discrepancy(`Refund ${pending.refundId} ${atZuz.status} at Zuz; recorded`),
        outcome: `refund_${outcome.status}`,
      });
    } else if (atZuz) {
      followed.push({ discrepancy: discrepancy(`Refund ${pending.refundId} still pending at Zuz`), outcome: 'refund_pending' });
    } else if (!pending.askedZuz && pending.ageMs > LOST_AFTER_MS) {
      await refunds.finalize(transactionId, pending.refundId, {
        status: 'failed',
        message: 'The refund never reached Zuz; its amount is refundable again',
      });
      followed.push({ discrepancy: discrepancy(`Refund ${pending.refundId} never reached Zuz`), outcome: 'released' });
    } else if (pending.askedZuz) {
      // Asked, yet Zuz shows nothing under its id: asking again could refund twice, so a person decides.
      followed.push({
        discrepancy: discrepancy(`Refund ${pending.refundId} was asked of Zuz, which shows no such refund`),
        outcome: 'reported',
      });
    }
  }
  return followed;
}
