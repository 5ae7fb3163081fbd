/**
 * The invariants shared by the chaos suite (the real stack) and the deterministic simulation (the
 * flow against a simulated world): what each needs to know of a transaction, and what a check answers.
 * Each source fills in what it can observe; a check uses only what is there.
 */
import type { FailureCode, TerminalStatus, TransactionView } from '../../src/transaction/model';
import type { LedgerEntry } from '../../sandbox/simulators/zuz';

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

/** The terminal state a transaction must end in, whatever the faults. */
export interface ExpectedOutcome {
  status: TerminalStatus;
  failureCode?: FailureCode;
  capturedAmount: number;
  /** What Zuz's ledger must show for the authorization's money in the end. */
  money: 'captured' | 'voided' | 'never-authorized';
}

/** How one transaction was driven and what its client saw (times are epoch ms of the source's clock). */
export interface TransactionRunFacts {
  /** `transactionKey`: the name refunds and Zuz's reconciliation ids use (merchant/id), when it is not the id itself. */
  plan: { transactionId: string; transactionKey?: string; kind: string; expected: ExpectedOutcome; action: { type: string } };
  startedAt?: number;
  deadlineAt?: number;
  actionSentAt?: number;
  actionStatus?: number;
  actionAnswer?: unknown;
  actionAnsweredAt?: number;
  terminalAt?: number;
  lastView?: TransactionView;
  /** Every status seen, in order: a terminal one must never change. */
  observedStatuses?: string[];
  forgotten?: { view: TransactionView; runId?: string; repeatStatus?: number; repeatView?: TransactionView };
  /** Refunds asked again once Temporal had forgotten their workflows: what the record said, and whether a workflow started. */
  refundRepeats?: Array<{
    refundId: string;
    httpStatus: number;
    statusBefore?: string;
    workflowAfter: 'none' | 'deletion-pending' | 'started';
  }>;
  problem?: string;
}

/** A merchant's refund as the record keeps it (src/refund/record.ts). */
export interface RecordedRefund {
  refundId: string;
  amount: number;
  status: string;
}

/** The transaction's database row, as the invariants compare it. */
export interface DatabaseRow {
  status: string;
  capturedAmount: number;
  authorizedAmount: number;
  zuzPaymentId: string | null;
  failureCode: string | null;
  /** Money the reconciliation gave back (a late capture refunded). */
  refundedAmount?: number;
}

/** Everything a transaction left behind, from every source that keeps a record of it. */
export interface TransactionEvidence {
  run: TransactionRunFacts;
  apiView?: TransactionView;
  apiError?: string;
  workflowStatus?: string;
  workflowRunId?: string;
  workflowResult?: TransactionView;
  workflowError?: string;
  row?: DatabaseRow;
  /** The merchant's refunds in the record, where the source can read them. */
  refunds?: RecordedRefund[];
  databaseError?: string;
  /** Every Zuz payment the transaction touched, and every ledger entry on them. */
  paymentIds: string[];
  ledger: LedgerEntry[];
}

/** The transaction's final state by the most authoritative source available: the workflow's result, else the API's view. */
export function finalView(evidence: TransactionEvidence): TransactionView | undefined {
  return evidence.workflowResult ?? evidence.apiView ?? evidence.run.lastView;
}
