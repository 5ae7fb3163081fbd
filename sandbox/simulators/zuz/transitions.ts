/**
 * The payment state machine: which operations a payment allows (anything else is a 409), how
 * much may be captured or refunded, and the payment status that follows from its transactions.
 * The status is derived, never stored, so it cannot drift from the transactions.
 *
 * These are PaymentsOS's rules for both models of Zuz: this simulator (over HTTP) and the
 * deterministic simulation's in-process Zuz (tools/simulation/world.ts), which evaluates them on
 * its payment as of a server time. So the rules take only what they read.
 */
import type { ZuzPaymentStatus, ZuzResultStatus } from '../../../src/zuz/wire';
import type { ZuzOperationKind as TransactionKind } from '../../../src/transaction/model';

/** What the rules read of a Zuz transaction. */
export interface RuledTransaction {
  id: string;
  amount: number;
  result: { status: ZuzResultStatus };
}

/** What the rules read of a payment: its transactions by kind, oldest first. */
export interface RuledPayment {
  transactions: Record<TransactionKind, RuledTransaction[]>;
}

const succeeded = (t: RuledTransaction) => t.result.status === 'Succeed';
/** Succeeded or still pending: it counts against what is left, since it may yet succeed. */
const live = (t: RuledTransaction) => t.result.status !== 'Failed';
const total = (transactions: RuledTransaction[]) => transactions.reduce((sum, t) => sum + t.amount, 0);

export function derivePaymentStatus(payment: RuledPayment): ZuzPaymentStatus {
  const { authorization: authorizations, capture: captures, void: voids, refund: refunds } = payment.transactions;
  if (voids.some(succeeded)) return 'Voided';
  const captured = total(captures.filter(succeeded));
  if (captured > 0 && total(refunds.filter(succeeded)) >= captured) return 'Refunded';
  if (captured > 0) return 'Captured';
  const authorization = authorizations[0];
  if (authorization?.result.status === 'Succeed') return 'Authorized';
  if (authorization?.result.status === 'Pending') return 'Pending';
  return 'Initialized';
}

/** The authorized amount not yet captured (succeeded or pending captures both use it up). */
export function capturableAmount(payment: RuledPayment): number {
  const authorization = payment.transactions.authorization.find(succeeded);
  return authorization ? authorization.amount - total(payment.transactions.capture.filter(live)) : 0;
}

/** The captured amount not yet refunded (succeeded or pending refunds both use it up). */
export function refundableAmount(payment: RuledPayment): number {
  return total(payment.transactions.capture.filter(succeeded)) - total(payment.transactions.refund.filter(live));
}

/** Why an authorization is refused, or undefined when it is allowed. */
export function authorizationRefusal(payment: RuledPayment): string | undefined {
  if (payment.transactions.authorization.length > 0) return 'The payment already has an authorization';
  return undefined;
}

export function captureRefusal(payment: RuledPayment, amount: number): string | undefined {
  if (!payment.transactions.authorization.some(succeeded)) return 'The payment has no successful authorization to capture';
  if (payment.transactions.void.some(live)) return 'The payment has been voided';
  const capturable = capturableAmount(payment);
  if (capturable <= 0) return 'The authorized amount has already been captured';
  if (amount > capturable) return `The capture amount ${amount} exceeds the capturable amount ${capturable}`;
  return undefined;
}

export function voidRefusal(payment: RuledPayment): string | undefined {
  if (!payment.transactions.authorization.some(succeeded)) return 'The payment has no successful authorization to void';
  if (payment.transactions.capture.some(live)) return 'The payment has been captured; refund it instead';
  if (payment.transactions.void.some(live)) return 'The payment has already been voided';
  return undefined;
}

export function refundRefusal(payment: RuledPayment, amount: number, captureId?: string): string | undefined {
  if (captureId !== undefined) {
    const capture = payment.transactions.capture.find((c) => c.id === captureId);
    if (capture && !succeeded(capture)) return `Capture ${captureId} has not succeeded`;
  }
  const refundable = refundableAmount(payment);
  if (refundable <= 0) return 'The payment has nothing captured left to refund';
  if (amount > refundable) return `The refund amount ${amount} exceeds the refundable amount ${refundable}`;
  return undefined;
}

/** For `possible_next_actions`: the operations that would not be refused right now. */
export function possibleNextActions(payment: RuledPayment): TransactionKind[] {
  const actions: TransactionKind[] = [];
  if (!authorizationRefusal(payment)) actions.push('authorization');
  if (!captureRefusal(payment, 1)) actions.push('capture');
  if (!voidRefusal(payment)) actions.push('void');
  if (!refundRefusal(payment, 1)) actions.push('refund');
  return actions;
}

/** Whether some transaction of the payment is still waiting for its final result. */
export function hasPendingTransaction(payment: RuledPayment): boolean {
  return Object.values(payment.transactions).some((list) => list.some((t) => t.result.status === 'Pending'));
}
