/** What an invariant check answers: its violations, each with the transaction (or event) and why. */
import type { TransactionView } from '../../../src/domain/transaction';
import type { Evidence } from '../evidence';

export interface Violation {
  transactionId?: string;
  eventId?: string;
  why: string;
}

export interface InvariantResult {
  name: string;
  description: string;
  violations: Violation[];
  /** Counts worth showing that are not violations (e.g. voids the mock rules refuse). */
  notes?: Record<string, unknown>;
}

/** The transaction's final state by the most authoritative source available: the workflow's result, else the API's view. */
export function finalView(evidence: Evidence): TransactionView | undefined {
  return evidence.workflowResult ?? evidence.apiView ?? evidence.run.lastView;
}
