/**
 * Invariant 1: every transaction reached a terminal state within its deadline — and finished
 * there: a status already `cancelled` whose void is still being retried is not done yet.
 */
import type { TransactionEvidence as Evidence, InvariantResult, Violation } from './types';

export function checkTerminalWithinDeadline(evidence: readonly Evidence[]): InvariantResult {
  const violations: Violation[] = [];
  for (const { run } of evidence) {
    const transactionId = run.plan.transactionId;
    if (run.startedAt === undefined) {
      violations.push({ transactionId, why: 'never started: the run was stopped first' });
    } else if (run.terminalAt === undefined) {
      violations.push({
        transactionId,
        why: `not finished within ${Math.round((run.deadlineAt! - run.startedAt) / 1000)} s: ${run.problem ?? `last seen ${run.lastView?.status ?? 'never'}`}`,
      });
    } else if (run.terminalAt > run.deadlineAt!) {
      violations.push({ transactionId, why: `terminal only after ${run.terminalAt - run.startedAt} ms, past its deadline` });
    }
  }
  return {
    name: 'terminal-within-deadline',
    description: 'every transaction reached a terminal state within its deadline',
    violations,
  };
}
