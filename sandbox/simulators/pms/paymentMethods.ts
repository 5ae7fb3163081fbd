/** The PMS simulator's data: payment methods by id, seeded with the shared mock cards. */
import { z } from 'zod';
import { MOCK_CARDS, type MockCard } from '../cards';

/** A stored payment method: a mock card without its number (the PMS only knows the token). */
export type PaymentMethod = Omit<MockCard, 'cardNumber'>;

/** The JSON the PMS answers with, and accepts on the admin route. */
export const paymentMethodWire = z.object({
  id: z.string().min(1),
  customer_id: z.string().min(1),
  type: z.literal('card').default('card'),
  brand: z.string().min(1),
  last4: z.string().regex(/^\d{4}$/, 'must be 4 digits'),
  expiry_month: z.number().int().min(1).max(12),
  expiry_year: z.number().int().min(2000).max(2100),
  status: z.enum(['active', 'expired', 'blocked']),
  provider_token: z.string().min(1),
});
export type PaymentMethodWire = z.output<typeof paymentMethodWire>;

export function toWire(method: PaymentMethod): PaymentMethodWire {
  return {
    id: method.paymentMethodId,
    customer_id: method.customerId,
    type: 'card',
    brand: method.brand,
    last4: method.last4,
    expiry_month: method.expiryMonth,
    expiry_year: method.expiryYear,
    status: method.status,
    provider_token: method.providerToken,
  };
}

export function fromWire(wire: PaymentMethodWire): PaymentMethod {
  return {
    paymentMethodId: wire.id,
    customerId: wire.customer_id,
    brand: wire.brand,
    last4: wire.last4,
    expiryMonth: wire.expiry_month,
    expiryYear: wire.expiry_year,
    status: wire.status,
    providerToken: wire.provider_token,
  };
}

export class PaymentMethodStore {
  private readonly byId = new Map<string, PaymentMethod>();

  constructor() {
    for (const { cardNumber: _number, ...method } of MOCK_CARDS) this.add(method);
  }

  /** Adds or replaces (by id). */
  add(method: PaymentMethod): void {
    this.byId.set(method.paymentMethodId, { ...method });
  }

  /** Only the owner sees a method: another customer's id is indistinguishable from an unknown one. */
  findForCustomer(customerId: string, paymentMethodId: string): PaymentMethod | undefined {
    const method = this.byId.get(paymentMethodId);
    return method && method.customerId === customerId ? { ...method } : undefined;
  }
}
