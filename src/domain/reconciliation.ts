/**
 * Reconciliation: what the record, the workflow and Zuz each say about one transaction, and what
 * a disagreement means for the money. Pure rules, so each case is tested without a server; the
 * reconciliation activities gather the three views and carry out the repairs decided here.
 */
import { isTerminal, type TransactionStatus, type ZuzOperationKind, type ZuzOperationResult } from './transaction';

export interface RecordedFacts {
  transactionId: string;
  status: TransactionStatus;
  finalized: boolean;
  capturedAmount: number;
  /** Money already given back by an earlier reconciliation. */
  refundedAmount: number;
  paymentId?: string;
  /** How long ago the transaction was accepted. */
  ageMs: number;
}

/** Whether a workflow is still working for the transaction (then the flow, not reconciliation, is in charge). */
export type WorkflowFacts = 'running' | 'closed' | 'gone';

export type DiscrepancyKind =
  /** Zuz captured money the record says was not taken (a late capture after `failed`, say). */
  | 'captured_after_failure'
  /** Zuz holds an approved authorization for a transaction that will never capture it. */
  | 'authorization_held'
  /** Zuz captured a different amount from the one recorded. */
  | 'capture_amount_mismatch'
  /** No workflow works for a transaction whose outcome was never recorded. */
  | 'outcome_lost';

export type Repair = { action: 'refund'; amount: number } | { action: 'void' } | { action: 'report' };

export interface Discrepancy {
  kind: DiscrepancyKind;
  detail: string;
  repair: Repair;
}

/** Long enough that a transaction still starting is not mistaken for a lost one. */
export const LOST_AFTER_MS = 60 * 60 * 1000;

/** The discrepancies between the record, the workflow and Zuz for one transaction; empty when they agree. */
export function findDiscrepancies(
  record: RecordedFacts,
  workflow: WorkflowFacts,
  zuz: Partial<Record<ZuzOperationKind, ZuzOperationResult>>,
): Discrepancy[] {
  // While its workflow runs, the flow itself settles the money: nothing to judge yet.
  if (workflow === 'running') return [];
  if (!record.finalized || !isTerminal(record.status)) {
    return record.ageMs > LOST_AFTER_MS
      ? [{ kind: 'outcome_lost', detail: `Recorded as ${record.status}, and no workflow is working for it`, repair: { action: 'report' } }]
      : [];
  }
  const found: Discrepancy[] = [];
  const captured = zuz.capture?.status === 'Succeed' ? zuz.capture.amount : 0;
  const stillCharged = captured - record.refundedAmount;
  if (record.status !== 'succeeded' && stillCharged > 0) {
    found.push({
      kind: 'captured_after_failure',
      detail: `Recorded as ${record.status}, yet Zuz captured ${captured}`,
      repair: { action: 'refund', amount: stillCharged },
    });
  }
  if (record.status === 'succeeded' && captured !== record.capturedAmount) {
    found.push({
      kind: 'capture_amount_mismatch',
      detail: `Recorded capture ${record.capturedAmount}, Zuz captured ${captured}`,
      repair: { action: 'report' },
    });
  }
  const held = zuz.authorization?.status === 'Succeed' && !zuz.capture && zuz.void?.status !== 'Succeed';
  if (held && record.status !== 'succeeded') {
    found.push({
      kind: 'authorization_held',
      detail: `Recorded as ${record.status}, yet Zuz holds an approved authorization`,
      repair: { action: 'void' },
    });
  }
  return found;
}
