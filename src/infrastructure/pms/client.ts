/** The payment-methods service (PMS) client: a customer's saved card, and the provider token that stands for it. */
import { z } from 'zod';
import { requestJson, UpstreamError } from '../http';

export const paymentMethodSchema = z.object({
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
export type PaymentMethod = z.infer<typeof paymentMethodSchema>;

export interface PmsClientConfig {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
}

export class PmsClient {
  constructor(private readonly config: PmsClientConfig) {}

  /** The method, or undefined when PMS knows no such method for this customer. */
  async findPaymentMethod(customerId: string, paymentMethodId: string): Promise<PaymentMethod | undefined> {
    const path = `/v1/customers/${encodeURIComponent(customerId)}/payment-methods/${encodeURIComponent(paymentMethodId)}`;
    const { status, body } = await requestJson('PMS', this.config.baseUrl.replace(/\/$/, '') + path, {
      method: 'GET',
      headers: { authorization: `Bearer ${this.config.apiKey}` },
      timeoutMs: this.config.timeoutMs,
    });
    if (status === 404) return undefined;
    if (status >= 400) throw new UpstreamError('PMS', status, `GET payment method answered ${status}`);
    const parsed = paymentMethodSchema.safeParse(body);
    if (!parsed.success) throw new UpstreamError('PMS', 502, 'answered with an unexpected payment-method shape');
    return parsed.data;
  }
}
