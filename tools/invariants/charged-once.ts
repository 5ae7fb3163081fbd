/**
 * Invariant 7: a transaction id is charged by one workflow run, for ever. Some finished
 * transactions had their workflow deleted (as retention does) and their request sent again: the
 * repeat must answer 200 with the recorded transaction, start no workflow, and reach no payment
 * at Zuz but the first.
 */
import type { TransactionEvidence as Evidence, InvariantResult, Violation } from './types';

export function checkChargedOnce(evidence: readonly Evidence[]): InvariantResult {
  const violations: Violation[] = [];
  let repeated = 0;
  let deletionPending = 0;
  for (const item of evidence) {
    const forgotten = item.run.forgotten;
    if (!forgotten) continue;
    repeated++;
    const transactionId = item.run.plan.transactionId;
    if (forgotten.repeatStatus !== 200)
      violations.push({ transactionId, why: `the repeated request answered ${forgotten.repeatStatus ?? 'nothing'}` });
    else if (forgotten.repeatView?.status !== forgotten.view.status) {
      violations.push({
        transactionId,
        why: `the repeat answered ${forgotten.repeatView?.status}, the transaction had ended ${forgotten.view.status}`,
      });
    }
    if (item.workflowStatus !== 'FORGOTTEN') {
      // Temporal deletes in the background: the same run still there is slow deletion, another run a second start.
      if (item.workflowRunId && item.workflowRunId === forgotten.runId) deletionPending++;
      else
        violations.push({
          transactionId,
          why: `another workflow run exists after the repeat (${item.workflowStatus ?? item.workflowError})`,
        });
    }
    const payments = new Set(item.ledger.map((entry) => entry.paymentId));
    if (payments.size > 1) violations.push({ transactionId, why: `${payments.size} payments at Zuz: ${[...payments].join(', ')}` });
  }
  return {
    name: 'charged-once',
    description: 'a request repeated after Temporal forgot its run answers the record and charges nothing more',
    violations,
    notes: { repeatedAfterForgetting: repeated, deletionStillPending: deletionPending },
  };
}
