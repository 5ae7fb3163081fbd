/**
 * The PMS simulator's data: payment methods by merchant and id, the shared mock cards seeded for
 * each merchant. Customers are each merchant's own, as in the service: one merchant's lookup never
 * finds another's method, whatever customer and method ids it names.
 */
import { z } from 'zod';
import { DEFAULT_MERCHANT_ID, MERCHANT_ID_PATTERN } from '../../../src/merchants/model';
import { MOCK_CARDS, type MockCard } from '../cards';

export { DEFAULT_MERCHANT_ID };

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

/** The admin route's body: a method in the wire shape, for a merchant (`default` when absent, as before merchants). */
export const addPaymentMethodWire = paymentMethodWire.extend({
  merchant_id: z.string().regex(MERCHANT_ID_PATTERN, `must match ${MERCHANT_ID_PATTERN.source}`).default(DEFAULT_MERCHANT_ID),
});

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
  /** Merchant id, then payment-method id. */
  private readonly byMerchant = new Map<string, Map<string, PaymentMethod>>();

  /**
   * Seeds the mock cards for each merchant (at least `default`). With `seedOnFirstLookup`, a merchant
   * met for the first time (one an operator created at run time, under `npm start`) gets them too.
   */
  constructor(
    merchants: readonly string[] = [DEFAULT_MERCHANT_ID],
    private readonly seedOnFirstLookup = false,
  ) {
    for (const merchantId of merchants) this.seed(merchantId);
  }

  private seed(merchantId: string): void {
    for (const { cardNumber: _number, ...method } of MOCK_CARDS) this.add(merchantId, method);
  }

  /** Adds or replaces (by merchant and id). */
  add(merchantId: string, method: PaymentMethod): void {
    let methods = this.byMerchant.get(merchantId);
    if (!methods) this.byMerchant.set(merchantId, (methods = new Map<string, PaymentMethod>()));
    methods.set(method.paymentMethodId, { ...method });
  }

  /** Only the owner (this merchant's customer) sees a method: anyone else's is indistinguishable from an unknown one. */
  findForCustomer(merchantId: string, customerId: string, paymentMethodId: string): PaymentMethod | undefined {
    if (this.seedOnFirstLookup && !this.byMerchant.has(merchantId)) this.seed(merchantId);
    const method = this.byMerchant.get(merchantId)?.get(paymentMethodId);
    return method && method.customerId === customerId ? { ...method } : undefined;
  }
}
