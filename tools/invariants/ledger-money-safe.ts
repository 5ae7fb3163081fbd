/**
 * Invariant 2, on Zuz's ledger: no payment captured twice or for more than authorized, no
 * transaction authorized twice, and every successful authorization ended captured or voided.
 * A void Zuz itself refuses or keeps pending (the real simulator's mock rules: payment amount
 * below 50; the simulation: the voids its world decided to fail) is counted apart and not as a
 * violation: the flow did release the money, the provider said no.
 */
import type { LedgerEntry } from '../../sandbox/simulators/zuz';
import type { TransactionEvidence as Evidence, InvariantResult, Violation } from './types';

/** Below this amount Zuz's mock rules do not let a void succeed at once. */
const MOCK_VOID_SUCCEEDS_FROM = 50;

/** The real simulator's mock rules: a void on a payment below 50 minor units does not succeed at once. */
export const refusedByMockRules = (entry: LedgerEntry) => entry.amount < MOCK_VOID_SUCCEEDS_FROM;

export function checkLedgerMoneySafe(
  evidence: readonly Evidence[],
  refusedByZuz: (voidEntry: LedgerEntry) => boolean = refusedByMockRules,
): InvariantResult {
  const violations: Violation[] = [];
  const voidsRefusedByMockRules: Array<{ transactionId: string; paymentId: string; status: string; amount: number }> = [];
  for (const { run, ledger } of evidence) {
    const transactionId = run.plan.transactionId;
    const of = (kind: LedgerEntry['kind']) => ledger.filter((entry) => entry.kind === kind);
    const succeeded = (entries: LedgerEntry[]) => entries.filter((entry) => entry.status === 'Succeed');
    const authorizations = of('authorization');
    const captures = of('capture');
    const voids = of('void');

    if (authorizations.length > 1) {
      violations.push({ transactionId, why: `authorized ${authorizations.length} times at Zuz (${describe(authorizations)})` });
    }
    for (const pending of authorizations.filter((entry) => entry.status === 'Pending')) {
      violations.push({ transactionId, why: `authorization ${pending.operationId} is still Pending at Zuz` });
    }
    const capturedOk = succeeded(captures);
    if (capturedOk.length > 1) violations.push({ transactionId, why: `captured ${capturedOk.length} times (${describe(capturedOk)})` });
    const authorizedTotal = sum(succeeded(authorizations));
    const capturedTotal = sum(capturedOk);
    if (capturedTotal > authorizedTotal)
      violations.push({ transactionId, why: `captured ${capturedTotal} but authorized ${authorizedTotal}` });

    for (const authorization of succeeded(authorizations)) {
      const onPayment = (entries: LedgerEntry[]) => entries.filter((entry) => entry.paymentId === authorization.paymentId);
      if (succeeded(onPayment(captures)).length > 0) continue;
      const paymentVoids = onPayment(voids);
      if (paymentVoids.some((entry) => entry.status === 'Succeed')) continue;
      const pendingCaptures = onPayment(captures).filter((entry) => entry.status === 'Pending');
      if (pendingCaptures.length > 0) {
        violations.push({ transactionId, why: `capture ${pendingCaptures[0].operationId} still Pending at Zuz` });
      } else if (paymentVoids.length === 0) {
        violations.push({
          transactionId,
          why: `authorization ${authorization.operationId} (${authorization.amount}) left open: neither captured nor voided`,
        });
      } else {
        const last = paymentVoids[paymentVoids.length - 1];
        if (refusedByZuz(last)) {
          voidsRefusedByMockRules.push({ transactionId, paymentId: last.paymentId, status: last.status, amount: last.amount });
        } else {
          violations.push({ transactionId, why: `void ${last.operationId} of ${last.amount} ended ${last.status}` });
        }
      }
    }
  }
  return {
    name: 'ledger-money-safe',
    description:
      'Zuz ledger: nothing captured twice or beyond the authorization, no double authorization, every authorization captured or voided',
    violations,
    notes: {
      voidsRefusedByMockRules: voidsRefusedByMockRules.length,
      voidsRefusedByMockRulesExamples: voidsRefusedByMockRules.slice(0, 5),
      explanation: `voids on payments below ${MOCK_VOID_SUCCEEDS_FROM} minor units are Pending/Failed by Zuz's mock rules; counted here, not as violations`,
    },
  };
}

function sum(entries: LedgerEntry[]): number {
  return entries.reduce((total, entry) => total + entry.amount, 0);
}

function describe(entries: LedgerEntry[]): string {
  return entries.map((entry) => `${entry.operationId} ${entry.amount} ${entry.status} on ${entry.paymentId}`).join(', ');
}
