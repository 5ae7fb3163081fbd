/**
 * Invariant 6: a status a client saw as terminal never changes — not in a later poll, not in the
 * final view, not in the answer to the same request sent again after Temporal forgot the run.
 * A till acts on the first terminal status it sees (hands over the goods, or asks for another card).
 */
import { isTerminal, type TransactionStatus } from '../../src/transaction/model';
import { type TransactionEvidence as Evidence, finalView, type InvariantResult, type Violation } from './types';

export function checkStatusesFinal(evidence: readonly Evidence[]): InvariantResult {
  const violations: Violation[] = [];
  for (const item of evidence) {
    const seen = item.run.observedStatuses ?? [];
    const firstTerminal = seen.findIndex((status) => isTerminal(status as TransactionStatus));
    if (firstTerminal < 0) continue;
    const terminal = seen[firstTerminal];
    const later = seen.slice(firstTerminal + 1);
    if (later.length > 0)
      violations.push({ transactionId: item.run.plan.transactionId, why: `seen ${terminal}, then ${later.join(', ')}` });
    const final = finalView(item)?.status;
    if (final && final !== terminal)
      violations.push({ transactionId: item.run.plan.transactionId, why: `seen ${terminal}, ended ${final}` });
  }
  return { name: 'statuses-final', description: 'no status a client saw as terminal ever changed', violations };
}
