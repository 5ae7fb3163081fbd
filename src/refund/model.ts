/**
 * Refunds: money given back from a succeeded transaction, in full or in parts, each named by the
 * client's own refund id. Each refund is its own durable workflow; the record holds every refund
 * for ever and decides how much is left to refund, so refunds never exceed what was captured.
 */
import type { ZuzOperationResult } from '../transaction/model';

/** What a client asks for in `POST /v1/transactions/:id/refunds`. */
export interface RefundRequest {
  /** The client's id for this refund, unique per transaction: the same id again is the same refund. */
  refundId: string;
  /** Minor units; absent: everything still refundable. */
  amount?: number;
  reason: string;
}

/** `pending`: asked of Zuz, no final answer yet (its amount stays reserved). */
export const REFUND_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

export interface RefundView {
  refundId: string;
  amount: number;
  reason: string;
  status: RefundStatus;
  zuzRefundId?: string;
  failureMessage?: string;
  createdAt: string;
  finalizedAt?: string;
}

/** The refund workflow's input: everything it needs, so it never reads the transaction's workflow. */
export interface RefundOrder {
  /** The transaction's key (src/merchants/model.ts). */
  transactionKey: string;
  refundId: string;
  paymentId: string;
  amount: number;
  reason: string;
}

/** How a refund ended, as its workflow reports it. */
export type RefundOutcome =
  | { status: 'succeeded'; zuz: ZuzOperationResult }
  | { status: 'failed'; message: string; zuz?: ZuzOperationResult }
  /** No final answer from Zuz by the deadline: the amount stays reserved and an operator is alerted. */
  | { status: 'pending'; zuz: ZuzOperationResult };

/**
 * The refund's name across the service: its workflow id and its reconciliation id at Zuz (so
 * Zuz's webhooks about it find its workflow). Transaction ids never contain `/`, so this never
 * collides with a transaction's key.
 */
export function refundKey(transactionKey: string, refundId: string): string {
  return `${transactionKey}${REFUNDS}${refundId}`;
}

/**
 * The transaction a refund's reconciliation id belongs to: a client's refund (`refundKey`), or the
 * reconciliation's own, asked under the transaction's key itself.
 */
export function transactionKeyOfRefund(reconciliationId: string): string {
  const at = reconciliationId.lastIndexOf(REFUNDS);
  return at < 0 ? reconciliationId : reconciliationId.slice(0, at);
}

const REFUNDS = '/refunds/';

export function refundWorkflowIdFor(key: string): string {
  return `refund-${key}`;
}
