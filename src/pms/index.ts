/**
 * The payment-methods service (PMS) adapter: a customer's saved card, and the provider token
 * that stands for it. The one place that knows PMS's wire format; callers get a SavedCard.
 *
 * Customers are each merchant's own (as for accounts and risk), so a lookup names the merchant:
 * `GET /v1/merchants/:merchantId/customers/:customerId/payment-methods/:paymentMethodId`. Another
 * merchant's customer, or a method of another customer, answers 404 like an unknown id: a
 * merchant can never have another merchant's saved card charged.
 */
import { z } from 'zod';
import { requestJson, UpstreamError } from '../shared/http';

// Non-strict: PMS may add fields without breaking the client. Only status and token are used.
const paymentMethodSchema = z.object({
  id: z.string(),
  customer_id: z.string(),
  type: z.string(),
  brand: z.string().optional(),
  last4: z.string().optional(),
  expiry_month: z.number().int().optional(),
  expiry_year: z.number().int().optional(),
  status: z.enum(['active', 'expired', 'blocked']),
  provider_token: z.string().min(1),
});

/** What the payment flow needs of a saved card. `token` is for Zuz only: never return or log it. */
export interface SavedCard {
  status: 'active' | 'expired' | 'blocked';
  token: string;
}

export interface PmsClientConfig {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
}

export class PmsClient {
  constructor(private readonly config: PmsClientConfig) {}

  /** The card, or undefined when PMS knows no such payment method for this merchant's customer. */
  async findPaymentMethod(merchantId: string, customerId: string, paymentMethodId: string): Promise<SavedCard | undefined> {
    const path =
      `/v1/merchants/${encodeURIComponent(merchantId)}/customers/${encodeURIComponent(customerId)}` +
      `/payment-methods/${encodeURIComponent(paymentMethodId)}`;
    const { status, body } = await requestJson('PMS', this.config.baseUrl.replace(/\/$/, '') + path, {
      method: 'GET',
      headers: { authorization: `Bearer ${this.config.apiKey}` },
      timeoutMs: this.config.timeoutMs,
    });
    if (status === 404) return undefined;
    if (status >= 400) throw new UpstreamError('PMS', status, `GET payment method answered ${status}`);
    const parsed = paymentMethodSchema.safeParse(body);
    if (!parsed.success) throw new UpstreamError('PMS', 502, 'answered with an unexpected payment-method shape');
    return { status: parsed.data.status, token: parsed.data.provider_token };
  }
}
