/** Invariant 5: each kind ended in the terminal state it is designed for, with its failure code and captured amount. */
import type { Evidence } from '../evidence';
import { finalView, type InvariantResult, type Violation } from './types';

export function checkOutcomeAsExpected(evidence: readonly Evidence[]): InvariantResult {
  const violations: Violation[] = [];
  for (const item of evidence) {
    const { plan } = item.run;
    if (item.run.startedAt === undefined) continue; // counted by invariant 1
    const view = finalView(item);
    const expected = plan.expected;
    const got = view ? `${view.status}${view.failure ? `/${view.failure.code}` : ''} captured ${view.capturedAmount}` : 'nothing (never seen)';
    const matches =
      view !== undefined &&
      view.status === expected.status &&
      view.failure?.code === expected.failureCode &&
      view.capturedAmount === expected.capturedAmount;
    if (!matches) {
      const client = item.run.actionStatus !== undefined ? `; the ${plan.action.type} request was answered ${item.run.actionStatus} ${JSON.stringify(item.run.actionAnswer)}` : '';
      violations.push({
        transactionId: plan.transactionId,
        why: `${plan.kind}: expected ${expected.status}${expected.failureCode ? `/${expected.failureCode}` : ''} captured ${expected.capturedAmount}, got ${got}${client}`,
      });
    }
  }
  return { name: 'outcome-as-expected', description: 'each kind ended in its expected terminal status (and failure code, captured amount)', violations };
}
