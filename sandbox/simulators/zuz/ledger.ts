/**
 * The ledger: one entry per operation the simulator actually performed (idempotent replays add
 * nothing), so a test can tell "captured once" from "captured twice". Entries point at the live
 * transaction, so `status` is always the current one.
 */
import type { ZuzResultStatus, ZuzTransaction } from '../../../src/zuz/wire';
import type { TransactionKind } from './payments';

export interface LedgerEntry {
  paymentId: string;
  reconciliationId?: string;
  kind: TransactionKind;
  operationId: string;
  amount: number;
  currency: string;
  /** The transaction's current result status. */
  status: ZuzResultStatus;
  /** When the operation was performed (ISO 8601). */
  at: string;
}

export interface LedgerFilter {
  paymentId?: string;
  reconciliationId?: string;
}

interface Recorded {
  paymentId: string;
  kind: TransactionKind;
  transaction: ZuzTransaction;
}

export class Ledger {
  private readonly recorded: Recorded[] = [];

  record(paymentId: string, kind: TransactionKind, transaction: ZuzTransaction): void {
    this.recorded.push({ paymentId, kind, transaction });
  }

  entries(filter: LedgerFilter = {}): LedgerEntry[] {
    return this.recorded
      .filter(
        ({ paymentId, transaction }) =>
          (filter.paymentId === undefined || paymentId === filter.paymentId) &&
          (filter.reconciliationId === undefined || transaction.reconciliation_id === filter.reconciliationId),
      )
      .map(({ paymentId, kind, transaction }) => ({
        paymentId,
        ...(transaction.reconciliation_id !== undefined ? { reconciliationId: transaction.reconciliation_id } : {}),
        kind,
        operationId: transaction.id,
        amount: transaction.amount,
        currency: transaction.currency,
        status: transaction.result.status,
        at: transaction.created,
      }));
  }
}
