/**
 * The invariants of the money given back: refunds (a merchant's, through the API) and the
 * reconciliation's repairs, judged on Zuz's ledger against the record, after the closing
 * reconciliation. Refunds are asked under reconciliation ids: `<transaction key>/refunds/<id>`
 * for a merchant's refund, the transaction key itself for the reconciliation's own.
 */
import type { LedgerEntry } from '../../sandbox/simulators/zuz';
import { refundKey, transactionKeyOfRefund } from '../../src/refund/model';
import { finalView, type TransactionEvidence as Evidence, type InvariantResult, type Violation } from './types';

const sum = (entries: LedgerEntry[]) => entries.reduce((total, entry) => total + entry.amount, 0);
const refundsOf = (ledger: LedgerEntry[]) => ledger.filter((entry) => entry.kind === 'refund');
const withStatus = (entries: LedgerEntry[], ...statuses: string[]) => entries.filter((entry) => statuses.includes(entry.status));

/** refunds-within-capture: on every payment, what Zuz refunded or is refunding never passes what it captured. */
export function checkRefundsWithinCapture(evidence: readonly Evidence[]): InvariantResult {
  const violations: Violation[] = [];
  for (const { run, ledger } of evidence) {
    for (const paymentId of new Set(ledger.map((entry) => entry.paymentId))) {
      const onPayment = ledger.filter((entry) => entry.paymentId === paymentId);
      const captured = sum(
        withStatus(
          onPayment.filter((entry) => entry.kind === 'capture'),
          'Succeed',
        ),
      );
      const refunded = sum(withStatus(refundsOf(onPayment), 'Succeed', 'Pending'));
      if (refunded > captured)
        violations.push({
          transactionId: run.plan.transactionId,
          why: `${paymentId}: refunded ${refunded} (with pending) of ${captured} captured`,
        });
    }
  }
  return {
    name: 'refunds-within-capture',
    description: 'on every payment, Zuz refunded (succeeded or pending) no more than it captured',
    violations,
  };
}

/**
 * refund-once-at-zuz: each merchant refund id was performed at Zuz at most once, ever, and every
 * refund Zuz performed under one is one the record knows; the reconciliation's own refunds never
 * overlap (at most one not failed).
 */
export function checkRefundOnceAtZuz(evidence: readonly Evidence[]): InvariantResult {
  const violations: Violation[] = [];
  let merchantRefunds = 0;
  let reconciliationRefunds = 0;
  let repeated = 0;
  let deletionPending = 0;
  for (const { run, ledger, refunds } of evidence) {
    const transactionId = run.plan.transactionKey ?? run.plan.transactionId;
    const byId = new Map<string, LedgerEntry[]>();
    for (const entry of refundsOf(ledger)) {
      const id = entry.reconciliationId ?? '(none)';
      byId.set(id, [...(byId.get(id) ?? []), entry]);
    }
    for (const [id, entries] of byId) {
      if (id === transactionId) {
        reconciliationRefunds += entries.length;
        if (withStatus(entries, 'Succeed', 'Pending').length > 1)
          violations.push({ transactionId, why: `the reconciliation refunded ${entries.length} times: ${describe(entries)}` });
        continue;
      }
      merchantRefunds += entries.length;
      if (transactionKeyOfRefund(id) !== transactionId)
        violations.push({ transactionId, why: `a refund under another transaction's id ${id}` });
      if (entries.length > 1)
        violations.push({ transactionId, why: `refund ${id} performed ${entries.length} times: ${describe(entries)}` });
      if (refunds && !refunds.some((r) => refundKey(transactionId, r.refundId) === id))
        violations.push({ transactionId, why: `Zuz performed refund ${id}, which the record does not know` });
    }
    // Asked again after Temporal forgot it: the record answers, and no refund that reached Zuz starts again.
    for (const repeat of run.refundRepeats ?? []) {
      repeated++;
      if (repeat.workflowAfter === 'deletion-pending') deletionPending++;
      if (repeat.httpStatus !== 200)
        violations.push({ transactionId, why: `refund ${repeat.refundId} asked again answered ${repeat.httpStatus}` });
      if (repeat.workflowAfter === 'started' && repeat.statusBefore !== undefined)
        violations.push({
          transactionId,
          why: `refund ${repeat.refundId} (${repeat.statusBefore}) was started again after Temporal forgot it`,
        });
    }
  }
  return {
    name: 'refund-once-at-zuz',
    description: 'each refund id performed at Zuz at most once, ever, and only refunds the record knows',
    violations,
    notes: {
      merchantRefundsAtZuz: merchantRefunds,
      reconciliationRefundsAtZuz: reconciliationRefunds,
      askedAgainAfterForgetting: repeated,
      deletionStillPending: deletionPending,
    },
  };
}

/**
 * nothing-left-after-reconciliation: after the closing run, a transaction that did not succeed
 * has no net charge (what Zuz still has pending is named apart), a succeeded one's net charge is
 * its capture minus the refunds the record says succeeded, and the record's refunds agree with
 * Zuz (succeeded, failed or still pending alike). Held authorizations are ledger-money-safe's.
 */
export function checkNothingLeftAfterReconciliation(evidence: readonly Evidence[]): InvariantResult {
  const violations: Violation[] = [];
  let pendingAtZuz = 0;
  for (const item of evidence) {
    const { run, ledger, refunds } = item;
    const transactionId = run.plan.transactionKey ?? run.plan.transactionId;
    const status = finalView(item)?.status ?? item.row?.status;
    if (!status) continue;
    const captured = sum(
      withStatus(
        ledger.filter((entry) => entry.kind === 'capture'),
        'Succeed',
      ),
    );
    const refunded = sum(withStatus(refundsOf(ledger), 'Succeed'));
    const pending = sum(withStatus(refundsOf(ledger), 'Pending'));
    if (pending) pendingAtZuz++;
    if (status !== 'succeeded') {
      if (captured - refunded - pending > 0)
        violations.push({
          transactionId,
          why: `${status}, yet charged ${captured - refunded} (captured ${captured}, refunded ${refunded})`,
        });
    } else if (refunds && item.row) {
      const refundedByRecord = refunds.filter((r) => r.status === 'succeeded').reduce((total, r) => total + r.amount, 0);
      if (captured - refunded !== item.row.capturedAmount - refundedByRecord)
        violations.push({
          transactionId,
          why: `net charge at Zuz ${captured - refunded}, the record's ${item.row.capturedAmount - refundedByRecord} (captured minus refunds)`,
        });
    }
    for (const refund of refunds ?? []) {
      const atZuz = refundsOf(ledger).filter((entry) => entry.reconciliationId === refundKey(transactionId, refund.refundId));
      const zuzStatus = atZuz[atZuz.length - 1]?.status;
      const agrees =
        (refund.status === 'succeeded' && zuzStatus === 'Succeed') ||
        (refund.status === 'failed' && (zuzStatus === 'Failed' || zuzStatus === undefined)) ||
        (refund.status === 'pending' && zuzStatus === 'Pending');
      if (!agrees)
        violations.push({
          transactionId,
          why: `refund ${refund.refundId} is ${refund.status} in the record, ${zuzStatus ?? 'absent'} at Zuz`,
        });
    }
  }
  return {
    name: 'nothing-left-after-reconciliation',
    description:
      "after the closing reconciliation: no net charge for a transaction that did not succeed, a succeeded one's is its capture minus its refunds, and every refund in the record agrees with Zuz",
    violations,
    notes: { transactionsWithRefundsStillPendingAtZuz: pendingAtZuz },
  };
}

function describe(entries: LedgerEntry[]): string {
  return entries.map((entry) => `${entry.operationId} ${entry.amount} ${entry.status}`).join(', ');
}
