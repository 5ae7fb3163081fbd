/** In-memory payments and their transactions, and how a payment is shown on the wire. */
import type { ZuzPayment, ZuzTransaction } from '../../../src/zuz/wire';
import { derivePaymentStatus, possibleNextActions } from './transitions';

export type TransactionKind = 'authorization' | 'capture' | 'void' | 'refund';
export const TRANSACTION_KINDS: readonly TransactionKind[] = ['authorization', 'capture', 'void', 'refund'];

export interface PaymentRecord {
  id: string;
  amount: number;
  currency: string;
  created: string;
  customer_id?: string;
  order?: { id: string };
  /** Transactions by kind, oldest first. They are mutated in place when a Pending one resolves. */
  transactions: Record<TransactionKind, ZuzTransaction[]>;
}

export class PaymentStore {
  private readonly byId = new Map<string, PaymentRecord>();

  add(payment: PaymentRecord): void {
    this.byId.set(payment.id, payment);
  }

  get(paymentId: string): PaymentRecord | undefined {
    return this.byId.get(paymentId);
  }
}

const PLURAL: Record<TransactionKind, 'authorizations' | 'captures' | 'voids' | 'refunds'> = {
  authorization: 'authorizations',
  capture: 'captures',
  void: 'voids',
  refund: 'refunds',
};

export function pluralOf(kind: TransactionKind): 'authorizations' | 'captures' | 'voids' | 'refunds' {
  return PLURAL[kind];
}

/**
 * Reads `?expand=authorizations,captures` or `?expand=all` (repeated parameters are allowed too).
 * Unknown names are ignored, as a lenient provider would.
 */
export function parseExpand(expand: unknown): Set<TransactionKind> {
  const values = (Array.isArray(expand) ? expand : [expand]).filter((v): v is string => typeof v === 'string');
  const names = values.flatMap((value) => value.split(',')).map((name) => name.trim());
  if (names.includes('all')) return new Set(TRANSACTION_KINDS);
  return new Set(TRANSACTION_KINDS.filter((kind) => names.includes(PLURAL[kind])));
}

/** A deep copy, so a stored replay or a sent webhook never changes afterwards. */
export function snapshot<T>(value: T): T {
  return structuredClone(value);
}

export function paymentToWire(payment: PaymentRecord, expand: ReadonlySet<TransactionKind> = new Set()): ZuzPayment {
  const wire: ZuzPayment = {
    id: payment.id,
    status: derivePaymentStatus(payment),
    amount: payment.amount,
    currency: payment.currency,
    created: payment.created,
    ...(payment.customer_id !== undefined ? { customer_id: payment.customer_id } : {}),
    ...(payment.order !== undefined ? { order: payment.order } : {}),
    possible_next_actions: possibleNextActions(payment).map((kind) => ({
      action: kind,
      href: `/payments/${payment.id}/${PLURAL[kind]}`,
    })),
  };
  if (expand.size > 0) {
    wire.related_resources = {};
    for (const kind of expand) wire.related_resources[PLURAL[kind]] = payment.transactions[kind];
  }
  return snapshot(wire);
}
