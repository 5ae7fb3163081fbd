/**
 * Invariant 3: the database row, the workflow (its result and the API's view of it) and Zuz's
 * ledger tell the same story of each transaction: same status, amounts and payment, and a ledger
 * that matches the status (succeeded: exactly one successful capture of the captured amount;
 * declined or failed before the authorization: no capture; cancelled: a void).
 */
import type { TransactionView } from '../../src/transaction/model';
import type { LedgerEntry } from '../../sandbox/simulators/zuz';
import type { TransactionEvidence as Evidence, InvariantResult, Violation } from './types';

export function checkRecordsAgree(evidence: readonly Evidence[]): InvariantResult {
  const violations: Violation[] = [];
  for (const item of evidence) {
    if (item.run.startedAt === undefined) continue; // never started: nothing to compare (invariant 1 counts it)
    const transactionId = item.run.plan.transactionId;
    for (const why of disagreements(item)) violations.push({ transactionId, why });
  }
  return {
    name: 'records-agree',
    description: 'database row, workflow result / API view and Zuz ledger agree on every transaction',
    violations,
  };
}

function disagreements(item: Evidence): string[] {
  const problems: string[] = [];
  const result = item.workflowResult;
  if (!result) {
    problems.push(
      `no workflow result (execution ${item.workflowStatus ?? 'unknown'}${item.workflowError ? `: ${item.workflowError}` : ''})`,
    );
  }
  if (!item.apiView) problems.push(`the API could not show it: ${item.apiError ?? 'no answer'}`);
  if (!item.row) problems.push(item.databaseError ? `database read failed: ${item.databaseError}` : 'no database row');
  const view = result ?? item.apiView;
  if (!view) return problems;

  if (result && item.apiView) problems.push(...compareViews(result, item.apiView));
  if (item.row) {
    const row = item.row;
    if (row.status !== view.status) problems.push(`database says ${row.status}, workflow says ${view.status}`);
    if (row.capturedAmount !== view.capturedAmount)
      problems.push(`database captured ${row.capturedAmount}, workflow ${view.capturedAmount}`);
    if (row.authorizedAmount !== view.authorizedAmount)
      problems.push(`database authorized ${row.authorizedAmount}, workflow ${view.authorizedAmount}`);
    if ((row.zuzPaymentId ?? undefined) !== view.zuz.paymentId)
      problems.push(`database payment ${row.zuzPaymentId}, workflow ${view.zuz.paymentId}`);
    if ((row.failureCode ?? undefined) !== view.failure?.code)
      problems.push(`database failure ${row.failureCode}, workflow ${view.failure?.code}`);
  }
  problems.push(...againstLedger(view, item.ledger, item.run.plan.transactionKey ?? item.run.plan.transactionId));
  return problems;
}

function compareViews(result: TransactionView, api: TransactionView): string[] {
  const problems: string[] = [];
  if (result.status !== api.status) problems.push(`workflow result ${result.status}, API ${api.status}`);
  if (result.capturedAmount !== api.capturedAmount)
    problems.push(`workflow result captured ${result.capturedAmount}, API ${api.capturedAmount}`);
  if (result.zuz.paymentId !== api.zuz.paymentId)
    problems.push(`workflow result payment ${result.zuz.paymentId}, API ${api.zuz.paymentId}`);
  return problems;
}

/**
 * A capture Zuz decided after the flow gave up on it (its deadline passed) is the reconciliation's
 * to refund, under the transaction's own key as reconciliation id: what it gave back is not charged.
 */
function againstLedger(view: TransactionView, ledger: LedgerEntry[], transactionKey: string): string[] {
  const problems: string[] = [];
  const captures = ledger.filter((entry) => entry.kind === 'capture');
  const capturedOk = captures.filter((entry) => entry.status === 'Succeed');
  const voids = ledger.filter((entry) => entry.kind === 'void');
  const authorizations = ledger.filter((entry) => entry.kind === 'authorization');
  const givenBack =
    view.status === 'succeeded'
      ? 0
      : ledger
          .filter((entry) => entry.kind === 'refund' && entry.reconciliationId === transactionKey && entry.status === 'Succeed')
          .reduce((total, entry) => total + entry.amount, 0);
  const ledgerCaptured = capturedOk.reduce((total, entry) => total + entry.amount, 0) - givenBack;
  const ledgerAuthorized = authorizations.filter((entry) => entry.status === 'Succeed').reduce((total, entry) => total + entry.amount, 0);

  if (ledgerCaptured !== view.capturedAmount) problems.push(`Zuz captured ${ledgerCaptured}, workflow ${view.capturedAmount}`);
  if (ledgerAuthorized !== view.authorizedAmount) problems.push(`Zuz authorized ${ledgerAuthorized}, workflow ${view.authorizedAmount}`);
  if (view.zuz.paymentId && ledger.some((entry) => entry.paymentId !== view.zuz.paymentId)) {
    problems.push(`Zuz has operations on another payment than the workflow's ${view.zuz.paymentId}`);
  }
  switch (view.status) {
    case 'succeeded':
      if (capturedOk.length !== 1) problems.push(`succeeded but Zuz has ${capturedOk.length} successful captures`);
      if (voids.some((entry) => entry.status === 'Succeed')) problems.push('succeeded but Zuz voided the payment');
      break;
    case 'declined':
      if (captures.length > 0) problems.push(`declined but Zuz has ${captures.length} capture(s)`);
      if (view.failure?.code === 'authorization_declined' && !authorizations.some((entry) => entry.status === 'Failed')) {
        problems.push('declined by Zuz but no failed authorization in its ledger');
      }
      break;
    case 'failed':
      if (ledgerCaptured > 0)
        problems.push(`failed but Zuz captured it${givenBack ? ` (${givenBack} refunded by the reconciliation)` : ''}`);
      if (!view.zuz.authorizationId && captures.length > 0) problems.push('failed before the authorization but Zuz has a capture');
      break;
    case 'cancelled':
      if (captures.length > 0) problems.push(`cancelled but Zuz has ${captures.length} capture(s)`);
      if (voids.length === 0) problems.push('cancelled but Zuz has no void');
      break;
    default:
      problems.push(`not terminal: ${view.status}`);
  }
  return problems;
}
