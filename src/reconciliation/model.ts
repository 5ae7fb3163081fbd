/**
 * Reconciliation: what the record, the workflow and Zuz each say about one transaction, and what
 * a disagreement means for the money. Pure rules, so each case is tested without a server; the
 * reconciliation activities gather the three views and carry out the repairs decided here.
 */
import {
  isTerminal,
  type TransactionStatus,
  type ZuzOperationKind,
  type ZuzOperationResult,
  type ZuzRefundResult,
} from '../transaction/model';

export interface RecordedFacts {
  transactionId: string;
  status: TransactionStatus;
  finalized: boolean;
  capturedAmount: number;
  /** Money already given back by an earlier reconciliation (succeeded at Zuz). */
  refundedAmount: number;
  paymentId?: string;
  /** How long ago the transaction was accepted. */
  ageMs: number;
  /** Whether an earlier run left something open on it (it is then checked whatever its age). */
  reconcileAgain?: boolean;
  /** A void the reconciliation asked for (to release a forgotten hold) has not yet been seen through and told to the merchant. */
  releaseUntold?: boolean;
}

/** Whether a workflow is still working for the transaction (then the flow, not reconciliation, is in charge). */
export type WorkflowFacts = 'running' | 'closed' | 'gone';

/** What Zuz shows of the payment: the latest operation of each kind, and every refund. */
export type ZuzPaymentFacts = Partial<Record<ZuzOperationKind, ZuzOperationResult>> & { refunds?: ZuzRefundResult[] };

export type DiscrepancyKind =
  /** Zuz captured money the record says was not taken (a late capture after `failed`, say). */
  | 'captured_after_failure'
  /** A refund the reconciliation asked for has no final answer from Zuz yet: followed until it has. */
  | 'refund_pending'
  /** Zuz has not decided a capture of a transaction that did not succeed: followed until it has (it may yet take the money). */
  | 'capture_pending'
  /** Zuz holds an approved authorization for a transaction that will never capture it. */
  | 'authorization_held'
  /** Zuz captured a different amount from the one recorded. */
  | 'capture_amount_mismatch'
  /** No workflow works for a transaction whose outcome was never recorded. */
  | 'outcome_lost'
  /** A merchant's refund still pending in the record with no workflow following it (src/refund/model.ts). */
  | 'refund_unsettled';

export type Repair = { action: 'refund'; amount: number } | { action: 'void' } | { action: 'report' };

export interface Discrepancy {
  kind: DiscrepancyKind;
  detail: string;
  repair: Repair;
  /** What within the transaction it is about, when there can be several of a kind (a refund's id). */
  subject?: string;
}

/** How many refunds of one late capture the reconciliation asks of Zuz before it reports instead. */
export const MAX_REFUND_ATTEMPTS = 3;

/** Long enough that a transaction still starting is not mistaken for a lost one. */
export const LOST_AFTER_MS = 60 * 60 * 1000;

/** The discrepancies between the record, the workflow and Zuz for one transaction; empty when they agree. */
export function findDiscrepancies(record: RecordedFacts, workflow: WorkflowFacts, zuz: ZuzPaymentFacts): Discrepancy[] {
  // While its workflow runs, the flow itself settles the money: nothing to judge yet.
  if (workflow === 'running') return [];
  if (!record.finalized || !isTerminal(record.status)) {
    if (record.ageMs <= LOST_AFTER_MS) return [];
    // No one will capture for a transaction whose flow is gone: a hold on the customer's card is released all the same.
    return [
      { kind: 'outcome_lost', detail: `Recorded as ${record.status}, and no workflow is working for it`, repair: { action: 'report' } },
      ...heldAuthorization(record, zuz),
    ];
  }
  const found: Discrepancy[] = [];
  const captured = zuz.capture?.status === 'Succeed' ? zuz.capture.amount : 0;
  if (record.status !== 'succeeded') {
    const { refunded, pending, failed } = reconciliationRefunds(record, zuz);
    const stillCharged = captured - refunded - pending;
    if (stillCharged > 0) {
      // A refund Zuz keeps failing is asked again a few times, then left to a person: each run asking anew would never end.
      const giveUp = failed >= MAX_REFUND_ATTEMPTS;
      found.push({
        kind: 'captured_after_failure',
        detail:
          `Recorded as ${record.status}, yet Zuz captured ${captured}` +
          (refunded ? ` (${refunded} refunded so far)` : '') +
          (giveUp ? `; Zuz failed ${failed} refunds of it` : ''),
        repair: giveUp ? { action: 'report' } : { action: 'refund', amount: stillCharged },
      });
    }
    if (zuz.capture?.status === 'Pending') {
      // Zuz may decide days after the flow's deadline: looked at every run (reconcile_again) until it has, then refunded or released.
      found.push({
        kind: 'capture_pending',
        detail: `Recorded as ${record.status}; a capture of ${zuz.capture.amount} is still pending at Zuz`,
        repair: { action: 'report' },
      });
    }
    if (pending > 0) {
      found.push({
        kind: 'refund_pending',
        detail: `Recorded as ${record.status}; a refund of ${pending} is still pending at Zuz`,
        repair: { action: 'report' },
      });
    }
  }
  if (record.status === 'succeeded' && captured !== record.capturedAmount) {
    found.push({
      kind: 'capture_amount_mismatch',
      detail: `Recorded capture ${record.capturedAmount}, Zuz captured ${captured}`,
      repair: { action: 'report' },
    });
  }
  return [...found, ...heldAuthorization(record, zuz)];
}

/**
 * An approved authorization that no capture took and no void released, on a transaction that did
 * not succeed. A capture that failed leaves the hold as surely as none at all; a pending capture
 * may still take the money, so it is left to the next run.
 */
function heldAuthorization(record: RecordedFacts, zuz: ZuzPaymentFacts): Discrepancy[] {
  const captureTookOrMayTake = zuz.capture?.status === 'Succeed' || zuz.capture?.status === 'Pending';
  const held = zuz.authorization?.status === 'Succeed' && !captureTookOrMayTake && zuz.void?.status !== 'Succeed';
  if (!held || record.status === 'succeeded') return [];
  const after = zuz.capture ? ` after a failed capture` : '';
  const release = zuz.void ? ` (the last void is ${zuz.void.status})` : '';
  return [
    {
      kind: 'authorization_held',
      detail: `Recorded as ${record.status}, yet Zuz holds an approved authorization${after}${release}`,
      repair: { action: 'void' },
    },
  ];
}

/**
 * What the reconciliation's own refunds of this transaction came to at Zuz (they carry the
 * transaction's key as their reconciliation id). The record's figure counts too, so a read that
 * lags behind a refund already made never leads to a second one.
 */
export function reconciliationRefunds(record: RecordedFacts, zuz: ZuzPaymentFacts): { refunded: number; pending: number; failed: number } {
  const own = (zuz.refunds ?? []).filter((r) => r.reconciliationId === record.transactionId);
  const sum = (status: ZuzOperationResult['status']) => own.filter((r) => r.status === status).reduce((total, r) => total + r.amount, 0);
  return {
    refunded: Math.max(record.refundedAmount, sum('Succeed')),
    pending: sum('Pending'),
    failed: own.filter((r) => r.status === 'Failed').length,
  };
}
